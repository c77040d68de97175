// A merchant's backend for facegate in Node.js 18 or later: the standard library and the
// global fetch, no dependency, no framework. It
//
//   - sends a user's browser to facegate with a start token it signs
//     (GET /kyc/start?user=…), or starts a verification itself with the merchant key and
//     an Idempotency-Key (POST /kyc/start?user=…&attempt=…);
//   - receives facegate's webhooks (POST /webhooks/facegate): checks the signature, drops
//     events it has seen, and fetches the full result with the merchant key;
//   - tells the user's app what it knows (GET /kyc/status?user=…);
//   - erases a user's verifications at facegate (POST /kyc/erase?user=…).
//
// Configuration comes from the environment: FACEGATE_URL (facegate's gateway, with any
// stage prefix), FACEGATE_MERCHANT_KEY (one of facegate's FACEGATE_MERCHANT_KEYS),
// FACEGATE_START_TOKEN_SECRET (one of FACEGATE_START_TOKEN_SECRETS),
// FACEGATE_WEBHOOK_SECRETS (facegate's, comma-separated), RETURN_TO (your return page,
// on facegate's FACEGATE_RETURN_TO allowlist) and PORT (default 8000).
//
// The user is named by a query parameter so that the example stays small; a real backend
// takes the user from its own login session, never from the request.
//
// Run: node server.js
"use strict";

// ---- Verifying webhooks: README.md, "Verifying webhooks", as it is there (a test keeps it so).
const crypto = require("node:crypto");

const TOLERANCE_SECONDS = 5 * 60;

// rawBody: the body exactly as received (a Buffer), e.g. express.raw({ type: "application/json" });
// header: the Facegate-Signature header; secrets: every webhook secret you accept.
function verifyFacegateSignature(rawBody, header, secrets, nowSeconds = Math.floor(Date.now() / 1000)) {
  let t = null;
  const signatures = [];
  for (const part of String(header || "").split(",")) {
    const item = part.trim();
    const eq = item.indexOf("=");
    if (eq < 0) continue;
    const key = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (key === "t") {
      if (t !== null || !/^[0-9]{1,18}$/.test(value)) return false; // one t, unix seconds
      t = value;
    } else if (key === "v1" && /^[0-9a-fA-F]{64}$/.test(value)) {
      signatures.push(Buffer.from(value, "hex"));
    }
  }
  if (t === null || signatures.length === 0) return false;
  if (Math.abs(nowSeconds - Number(t)) > TOLERANCE_SECONDS) return false;
  for (const secret of secrets) {
    if (!secret) continue;
    const expected = crypto.createHmac("sha256", secret).update(t + ".").update(rawBody).digest();
    if (signatures.some((signature) => crypto.timingSafeEqual(signature, expected))) return true;
  }
  return false;
}

// ---- Start tokens: docs/integration.md, as it is there (a test keeps it so).
const { createHash, createHmac, randomBytes } = require("node:crypto");

// signStartToken returns a single-use start token for options (returnTo, reference, extra,
// lang, mode, documentType, ruleId, compareImageKey, and compareImage, of which the token
// holds only the SHA-256), valid for ttlSeconds (at most 900), signed with secret (one of
// facegate's FACEGATE_START_TOKEN_SECRETS).
function signStartToken(secret, options, ttlSeconds = 600) {
  const { compareImage, ...fixed } = options;
  const payload = { ...fixed, exp: Math.floor(Date.now() / 1000) + ttlSeconds, nonce: randomBytes(16).toString("base64url") };
  if (compareImage !== undefined) {
    payload.compareImageSha256 = createHash("sha256").update(compareImage).digest("hex");
  }
  const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
  const signature = createHmac("sha256", secret).update("facegate-start/v1\n" + body).digest("base64url");
  return `v1.${body}.${signature}`;
}

// ---- The backend.
const http = require("node:http");

const config = loadConfig(process.env);
const seen = new Set(); // ids of the events handled (a redelivery repeats one)
const byUser = new Map(); // user id (the reference given to facegate) -> [verification]

function loadConfig(env) {
  const c = {
    facegateUrl: (env.FACEGATE_URL || "").replace(/\/$/, ""),
    merchantKey: env.FACEGATE_MERCHANT_KEY || "",
    startTokenSecret: env.FACEGATE_START_TOKEN_SECRET || "",
    webhookSecrets: (env.FACEGATE_WEBHOOK_SECRETS || "").split(",").map((s) => s.trim()).filter(Boolean),
    returnTo: env.RETURN_TO || "",
    port: Number(env.PORT || 8000),
  };
  const missing = Object.entries({
    FACEGATE_URL: c.facegateUrl,
    FACEGATE_MERCHANT_KEY: c.merchantKey,
    FACEGATE_START_TOKEN_SECRET: c.startTokenSecret,
    FACEGATE_WEBHOOK_SECRETS: c.webhookSecrets.join(","),
    RETURN_TO: c.returnTo,
  }).filter(([, value]) => !value).map(([name]) => name);
  if (missing.length > 0) {
    console.error(`set ${missing.join(", ")}`);
    process.exit(1);
  }
  return c;
}

class FacegateError extends Error {
  constructor(status, code, message) {
    super(`${status} ${code}: ${message}`);
    this.status = status;
    this.code = code;
  }
}

// facegate sends one request with the merchant key and returns the decoded answer (null
// for 204). It tries up to three times, a second apart, when the network fails or
// facegate answers 503, with the same Idempotency-Key, so that a start is never doubled.
async function facegate(method, path, body, idempotencyKey) {
  const headers = { Authorization: `Bearer ${config.merchantKey}`, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
    let res;
    try {
      res = await fetch(config.facegateUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15000),
      });
    } catch (err) {
      lastError = err;
      continue;
    }
    if (res.status === 204) return null;
    const answer = await res.json().catch(() => ({}));
    if (res.ok) return answer;
    const e = answer.error || {};
    lastError = new FacegateError(res.status, e.code, e.message);
    if (res.status !== 503) break;
  }
  throw lastError;
}

function userOf(url) {
  const user = url.searchParams.get("user") || "";
  return /^[A-Za-z0-9_-]{1,64}$/.test(user) ? user : null;
}

function send(res, status, value) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(value));
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error("body too large"));
        req.destroy();
      } else {
        chunks.push(chunk);
      }
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

// GET /kyc/start: the browser goes to facegate's /start with a start token that fixes
// the return page and the user's reference. The token is single use and lives 10 minutes.
function startLink(res, user) {
  const token = signStartToken(config.startTokenSecret, { returnTo: config.returnTo, reference: user }, 600);
  res.writeHead(302, { Location: `${config.facegateUrl}/start?startToken=${encodeURIComponent(token)}` });
  res.end();
}

// POST /kyc/start: a start with the merchant key. The Idempotency-Key is derived from the
// app's own attempt number, so a retried request (here, or by the app) gets the same
// verification instead of a second, billed one.
async function startFromBackend(res, user, attempt) {
  if (!/^[0-9]{1,9}$/.test(attempt || "")) return send(res, 400, { error: "attempt must be a number" });
  const started = await facegate("POST", "/start", { returnTo: config.returnTo, reference: user }, `kyc-start-${user}-${attempt}`);
  // The app sends the user's browser to verificationUrl.
  send(res, 201, { session: started.session, verificationUrl: started.verificationUrl });
}

// POST /webhooks/facegate: verify, drop what was seen, fetch the full result, keep. Any
// answer but 2xx makes facegate send the event again later, so the event counts as seen
// only once its result is kept.
async function receiveWebhook(req, res) {
  let raw;
  try {
    raw = await readBody(req, 64 * 1024);
  } catch {
    return send(res, 413, { error: "body too large" });
  }
  if (!verifyFacegateSignature(raw, req.headers["facegate-signature"], config.webhookSecrets)) {
    return send(res, 400, { error: "bad signature" });
  }
  let event;
  try {
    event = JSON.parse(raw.toString("utf8"));
  } catch {
    return send(res, 400, { error: "not JSON" });
  }
  if (!event || !event.id || !event.type || !event.data) return send(res, 400, { error: "not an event" });
  if (seen.has(event.id)) return send(res, 200, { duplicate: true });

  let full = null;
  try {
    full = await facegate("GET", `/result?session=${encodeURIComponent(event.data.session)}`);
  } catch (err) {
    if (!(err instanceof FacegateError && err.code === "session_deleted")) throw err; // erased meanwhile: nothing to keep
  }
  if (seen.has(event.id)) return send(res, 200, { duplicate: true });
  seen.add(event.id);
  const user = event.data.reference;
  if (full && user) {
    const list = byUser.get(user) || [];
    let v = list.find((x) => x.session === event.data.session);
    if (!v) {
      v = { session: event.data.session, status: "", attempts: 0, events: [] };
      list.push(v);
      byUser.set(user, list);
    }
    v.status = full.status;
    if (full.category) v.category = full.category;
    v.attempts = (full.attempts || []).length;
    v.events.push(event.id);
    console.log(`${event.id}: verification ${event.data.session} of ${user} is ${full.status}`);
  }
  res.writeHead(204);
  res.end();
}

// POST /kyc/erase: delete every verification started with the user's reference at
// facegate, found a page at a time with GET /result?reference=, then forget them here.
async function erase(res, user) {
  let deleted = 0;
  let after = "";
  for (;;) {
    const q = new URLSearchParams({ reference: user, limit: "50" });
    if (after) q.set("after", after);
    const page = await facegate("GET", `/result?${q}`);
    for (const s of page.sessions) {
      await facegate("DELETE", `/result?session=${encodeURIComponent(s.session)}`);
      deleted++;
    }
    if (!page.next) break;
    after = page.next;
  }
  byUser.delete(user);
  send(res, 200, { deleted });
}

async function route(req, res) {
  const url = new URL(req.url, "http://backend");
  const key = `${req.method} ${url.pathname}`;
  if (key === "POST /webhooks/facegate") return receiveWebhook(req, res);
  const user = userOf(url);
  const known = ["GET /kyc/start", "POST /kyc/start", "GET /kyc/status", "POST /kyc/erase"];
  if (!known.includes(key)) return send(res, 404, { error: "not found" });
  if (!user) return send(res, 400, { error: "user must be 1 to 64 letters, digits, - or _" });
  switch (key) {
    case "GET /kyc/start":
      return startLink(res, user);
    case "POST /kyc/start":
      return startFromBackend(res, user, url.searchParams.get("attempt"));
    case "GET /kyc/status":
      return send(res, 200, { user, verifications: byUser.get(user) || [] });
    case "POST /kyc/erase":
      return erase(res, user);
  }
}

http
  .createServer((req, res) => {
    route(req, res).catch((err) => {
      console.error(`${req.method} ${req.url.split("?")[0]}: ${err.message}`);
      if (!res.headersSent) send(res, err instanceof FacegateError ? 502 : 500, { error: "facegate call failed" });
    });
  })
  .listen(config.port, () => console.log(`merchant backend listening on :${config.port}`));
