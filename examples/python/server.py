"""A merchant's backend for facegate in Python 3.11: the standard library only. It

- sends a user's browser to facegate with a start token it signs
  (GET /kyc/start?user=…), or starts a verification itself with the merchant key and an
  Idempotency-Key (POST /kyc/start?user=…&attempt=…);
- receives facegate's webhooks (POST /webhooks/facegate): checks the signature, drops
  events it has seen, and fetches the full result with the merchant key;
- tells the user's app what it knows (GET /kyc/status?user=…);
- erases a user's verifications at facegate (POST /kyc/erase?user=…).

Configuration comes from the environment: FACEGATE_URL (facegate's gateway, with any stage
prefix), FACEGATE_MERCHANT_KEY (one of facegate's FACEGATE_MERCHANT_KEYS),
FACEGATE_START_TOKEN_SECRET (one of FACEGATE_START_TOKEN_SECRETS), FACEGATE_WEBHOOK_SECRETS
(facegate's, comma-separated), RETURN_TO (your return page, on facegate's FACEGATE_RETURN_TO
allowlist) and PORT (default 8000).

The user is named by a query parameter so that the example stays small; a real backend takes
the user from its own login session, never from the request.

Run: python3 server.py
"""

# ---- Verifying webhooks: README.md, "Verifying webhooks", as it is there (a test keeps it so).
import hashlib
import hmac
import re
import time

TOLERANCE_SECONDS = 5 * 60


def verify_facegate_signature(raw_body, header, secrets, now=None):
    """raw_body: the body exactly as received (bytes), e.g. Flask's request.get_data();
    header: the Facegate-Signature header; secrets: every webhook secret you accept."""
    t = None
    signatures = []
    for part in (header or "").split(","):
        key, eq, value = part.strip().partition("=")
        if not eq:
            continue
        if key == "t":
            if t is not None or not re.fullmatch(r"[0-9]{1,18}", value):
                return False  # one t, unix seconds
            t = value
        elif key == "v1" and re.fullmatch(r"[0-9a-fA-F]{64}", value):
            signatures.append(bytes.fromhex(value))
    if t is None or not signatures:
        return False
    if abs((time.time() if now is None else now) - int(t)) > TOLERANCE_SECONDS:
        return False
    signed = t.encode() + b"." + raw_body
    for secret in secrets:
        if not secret:
            continue
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
        if any(hmac.compare_digest(signature, expected) for signature in signatures):
            return True
    return False

# ---- Start tokens: docs/integration.md, as it is there (a test keeps it so).
import base64
import hashlib
import hmac
import json
import secrets
import time


def sign_start_token(secret, options, ttl_seconds=600):
    """Returns a single-use start token for options (returnTo, reference, extra, lang, mode,
    documentType, ruleId, compareImageKey, and compareImage, of which the token holds only
    the SHA-256), valid for ttl_seconds (at most 900), signed with secret (one of facegate's
    FACEGATE_START_TOKEN_SECRETS)."""
    payload = {key: value for key, value in options.items() if key != "compareImage"}
    if "compareImage" in options:
        payload["compareImageSha256"] = hashlib.sha256(options["compareImage"].encode()).hexdigest()
    payload["exp"] = int(time.time()) + ttl_seconds
    payload["nonce"] = secrets.token_urlsafe(16)
    body = _b64url(json.dumps(payload).encode())
    signature = hmac.new(secret.encode(), b"facegate-start/v1\n" + body.encode(), hashlib.sha256).digest()
    return "v1." + body + "." + _b64url(signature)


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

# ---- The backend.
import os
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

USER = re.compile(r"[A-Za-z0-9_-]{1,64}")
ATTEMPT = re.compile(r"[0-9]{1,9}")


class Config:
    def __init__(self, env):
        self.facegate_url = env.get("FACEGATE_URL", "").rstrip("/")
        self.merchant_key = env.get("FACEGATE_MERCHANT_KEY", "")
        self.start_token_secret = env.get("FACEGATE_START_TOKEN_SECRET", "")
        self.webhook_secrets = [s.strip() for s in env.get("FACEGATE_WEBHOOK_SECRETS", "").split(",") if s.strip()]
        self.return_to = env.get("RETURN_TO", "")
        self.port = int(env.get("PORT", "8000"))
        missing = [name for name, value in [
            ("FACEGATE_URL", self.facegate_url),
            ("FACEGATE_MERCHANT_KEY", self.merchant_key),
            ("FACEGATE_START_TOKEN_SECRET", self.start_token_secret),
            ("FACEGATE_WEBHOOK_SECRETS", self.webhook_secrets),
            ("RETURN_TO", self.return_to),
        ] if not value]
        if missing:
            sys.exit("set " + ", ".join(missing))


config = Config(os.environ)
lock = threading.Lock()
seen = set()  # ids of the events handled (a redelivery repeats one)
by_user = {}  # user id (the reference given to facegate) -> [verification]


class FacegateError(Exception):
    def __init__(self, status, code, message):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code


def facegate(method, path, body=None, idempotency_key=None):
    """Sends one request with the merchant key and returns the decoded answer (None for 204).
    It tries up to three times, a second apart, when the network fails or facegate answers
    503, with the same Idempotency-Key, so that a start is never doubled."""
    headers = {"Authorization": "Bearer " + config.merchant_key, "Accept": "application/json"}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    error = None
    for attempt in range(3):
        if attempt:
            time.sleep(1)
        request = urllib.request.Request(config.facegate_url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                raw = response.read()
                return json.loads(raw) if response.status != 204 and raw else None
        except urllib.error.HTTPError as e:
            try:
                answer = json.loads(e.read()).get("error", {})
            except ValueError:
                answer = {}
            error = FacegateError(e.code, answer.get("code"), answer.get("message"))
            if e.code != 503:
                break
        except OSError as e:
            error = e
    raise error


class Backend(BaseHTTPRequestHandler):
    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def route(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        key = method + " " + url.path
        try:
            if key == "POST /webhooks/facegate":
                return self.receive_webhook()
            if key not in ("GET /kyc/start", "POST /kyc/start", "GET /kyc/status", "POST /kyc/erase"):
                return self.send(404, {"error": "not found"})
            user = query.get("user", [""])[0]
            if not USER.fullmatch(user):
                return self.send(400, {"error": "user must be 1 to 64 letters, digits, - or _"})
            if key == "GET /kyc/start":
                return self.start_link(user)
            if key == "POST /kyc/start":
                return self.start_from_backend(user, query.get("attempt", [""])[0])
            if key == "GET /kyc/status":
                with lock:
                    verifications = [dict(v) for v in by_user.get(user, [])]
                return self.send(200, {"user": user, "verifications": verifications})
            return self.erase(user)
        except (FacegateError, OSError) as e:
            print(f"{method} {url.path}: {e}", file=sys.stderr)
            return self.send(502, {"error": "facegate call failed"})

    def start_link(self, user):
        """The browser goes to facegate's /start with a start token that fixes the return page
        and the user's reference. The token is single use and lives 10 minutes."""
        token = sign_start_token(config.start_token_secret, {"returnTo": config.return_to, "reference": user}, 600)
        self.send_response(302)
        self.send_header("Location", config.facegate_url + "/start?startToken=" + urllib.parse.quote(token))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def start_from_backend(self, user, attempt):
        """A start with the merchant key. The Idempotency-Key is derived from the app's own
        attempt number, so a retried request (here, or by the app) gets the same verification
        instead of a second, billed one."""
        if not ATTEMPT.fullmatch(attempt):
            return self.send(400, {"error": "attempt must be a number"})
        started = facegate("POST", "/start", {"returnTo": config.return_to, "reference": user},
                           f"kyc-start-{user}-{attempt}")
        # The app sends the user's browser to verificationUrl.
        self.send(201, {"session": started["session"], "verificationUrl": started["verificationUrl"]})

    def receive_webhook(self):
        """Verify, drop what was seen, fetch the full result, keep. Any answer but 2xx makes
        facegate send the event again later, so the event counts as seen only once its result
        is kept."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > 64 * 1024:
            return self.send(413, {"error": "body too large"})
        raw = self.rfile.read(length)
        if not verify_facegate_signature(raw, self.headers.get("Facegate-Signature"), config.webhook_secrets):
            return self.send(400, {"error": "bad signature"})
        try:
            event = json.loads(raw)
            event_id, session, reference = event["id"], event["data"]["session"], event["data"].get("reference")
        except (ValueError, KeyError, TypeError):
            return self.send(400, {"error": "not an event"})
        with lock:
            if event_id in seen:
                return self.send(200, {"duplicate": True})
        try:
            full = facegate("GET", "/result?session=" + urllib.parse.quote(session))
        except FacegateError as e:
            if e.code != "session_deleted":
                raise
            full = None  # erased meanwhile: nothing to keep
        with lock:
            if event_id in seen:
                return self.send(200, {"duplicate": True})
            seen.add(event_id)
            if full and reference:
                verifications = by_user.setdefault(reference, [])
                v = next((x for x in verifications if x["session"] == session), None)
                if v is None:
                    v = {"session": session, "status": "", "attempts": 0, "events": []}
                    verifications.append(v)
                v["status"] = full["status"]
                if full.get("category"):
                    v["category"] = full["category"]
                v["attempts"] = len(full.get("attempts", []))
                v["events"].append(event_id)
                print(f"{event_id}: verification {session} of {reference} is {full['status']}", flush=True)
        self.send_response(204)
        self.end_headers()

    def erase(self, user):
        """Delete every verification started with the user's reference at facegate, found a page
        at a time with GET /result?reference=, then forget them here."""
        deleted = 0
        after = ""
        while True:
            query = {"reference": user, "limit": "50"}
            if after:
                query["after"] = after
            page = facegate("GET", "/result?" + urllib.parse.urlencode(query))
            for s in page["sessions"]:
                facegate("DELETE", "/result?session=" + urllib.parse.quote(s["session"]))
                deleted += 1
            after = page.get("next")
            if not after:
                break
        with lock:
            by_user.pop(user, None)
        self.send(200, {"deleted": deleted})

    def send(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("", config.port), Backend)
    print(f"merchant backend listening on :{config.port}", flush=True)
    server.serve_forever()
