"""A start-token signer written from openapi.yaml's description of the startToken security
scheme alone, step by step (docs/openapi_test.go runs it and uses its tokens).

Reads [{"secret", "options", "ttl"}] as JSON on standard input and prints one token a line;
an options member "compareImage" is replaced by its compareImageSha256 (step 1).
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time


def base64url(data):
    # Step 2: RFC 4648 section 5, without "=" padding.
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def sign(secret, options, ttl):
    # Step 1: the options, exp, nonce, and compareImageSha256 for an inline compareImage.
    payload = dict(options)
    image = payload.pop("compareImage", None)
    if image is not None:
        payload["compareImageSha256"] = hashlib.sha256(image.encode("utf-8")).hexdigest()
    payload["exp"] = int(time.time()) + ttl
    payload["nonce"] = base64url(os.urandom(16))
    part = base64url(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    # Step 3: HMAC-SHA256 over "facegate-start/v1", a line feed, and the payload part.
    mac = hmac.new(secret.encode("utf-8"), b"facegate-start/v1" + b"\x0a" + part.encode("ascii"), hashlib.sha256)
    # Step 4.
    return "v1." + part + "." + base64url(mac.digest())


for request in json.load(sys.stdin):
    print(sign(request["secret"], request["options"], request["ttl"]))
