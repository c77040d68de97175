// A Node.js twin of facegate's callback function, written the way a merchant would write
// it with Tencent's official Node.js SDK and AWS's S3 client, for `make coldstart` to
// measure beside the Go function under AWS's Runtime Interface Emulator. It does the
// same work per request: read the session the start function stored in S3, read the
// verification's result from Tencent, store the result create-only, and answer the
// browser's redirect to the merchant's page with the status and a signed ticket.
//
// It runs as a Lambda custom runtime (bootstrap starts node on this file): a loop on
// the Runtime API at $AWS_LAMBDA_RUNTIME_API with Node's http module, as AWS documents
// for custom runtimes. Configuration is facegate's own variables (cmd/coldstart sets
// them): FACEGATE_S3_BUCKET, FACEGATE_S3_ENDPOINT, AWS_REGION and AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, FACEGATE_SECRET_ID / FACEGATE_SECRET_KEY,
// FACEGATE_TENCENT_ENDPOINT / FACEGATE_TENCENT_SCHEME, FACEGATE_TICKET_SECRETS.
"use strict";

const http = require("http");
const crypto = require("crypto");
// Only the faceid product of the SDK, as Tencent's README suggests for a smaller load
// (requiring the package's root loads every product).
const { v20180301: faceid } = require("tencentcloud-sdk-nodejs-intl-en/tencentcloud/faceid");
const { Credential, ClientProfile, HttpProfile } = require("tencentcloud-sdk-nodejs-intl-en/tencentcloud/common");
const { S3Client, GetObjectCommand, PutObjectCommand } = require("@aws-sdk/client-s3");

const env = process.env;
const s3 = new S3Client({
  region: env.AWS_REGION,
  endpoint: env.FACEGATE_S3_ENDPOINT || undefined,
  forcePathStyle: env.FACEGATE_S3_PATH_STYLE === "true",
});
const bucket = env.FACEGATE_S3_BUCKET;
const httpProfile = new HttpProfile();
if (env.FACEGATE_TENCENT_ENDPOINT) httpProfile.endpoint = env.FACEGATE_TENCENT_ENDPOINT;
httpProfile.protocol = (env.FACEGATE_TENCENT_SCHEME || "https") + "://";
const tencent = new faceid.Client(
  new Credential(env.FACEGATE_SECRET_ID, env.FACEGATE_SECRET_KEY),
  env.FACEGATE_REGION || "ap-singapore",
  new ClientProfile("TC3-HMAC-SHA256", httpProfile),
);

// getResult is the SDK's callback-style action as a promise.
function getResult(bizToken) {
  return new Promise((resolve, reject) => {
    tencent.GetWebVerificationResultIntl({ BizToken: bizToken }, (err, resp) => (err ? reject(err) : resolve(resp)));
  });
}
const ticketSecret = (env.FACEGATE_TICKET_SECRETS || "").split(",")[0].trim();

// Tencent's ErrorCode: 0 passed; none yet, pending; any other code failed.
function status(result) {
  const code = result && result.ErrorCode;
  if (code === undefined || code === null) return "pending";
  return code === 0 ? "passed" : "failed";
}

async function callback(event) {
  const query = new URLSearchParams(event.rawQueryString || "");
  const token = query.get("token");
  if (!token) return { statusCode: 400, headers: { "content-type": "application/json" }, body: '{"code":"invalid_request"}' };
  const hash = crypto.createHash("sha256").update(token).digest("hex");

  const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `sessions/${hash}.json` }));
  const session = JSON.parse(await stored.Body.transformToString());

  const answer = await getResult(token);
  const st = status(answer);
  const now = new Date().toISOString();
  await s3.send(new PutObjectCommand({
    Bucket: bucket,
    Key: `results/${hash}.json`,
    Body: JSON.stringify({ version: 1, status: st, errorCode: answer.ErrorCode, errorMsg: answer.ErrorMsg, finishedAt: now }),
    ContentType: "application/json",
    IfNoneMatch: "*",
    ServerSideEncryption: "AES256",
  })).catch((err) => {
    if (err.name !== "PreconditionFailed") throw err; // already settled by an earlier callback
  });

  const ticket = crypto.createHmac("sha256", ticketSecret).update(`${hash}.${st}`).digest("base64url");
  const back = new URL(session.returnTo);
  back.searchParams.set("token", token);
  back.searchParams.set("status", st);
  back.searchParams.set("ticket", ticket);
  return {
    statusCode: 302,
    headers: { location: back.toString(), "cache-control": "no-store", "referrer-policy": "no-referrer" },
    cookies: [],
    body: "",
  };
}

// The Runtime API loop.
const api = env.AWS_LAMBDA_RUNTIME_API;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const [host, port] = api.split(":");
    const req = http.request({ host, port, path: "/2018-06-01/runtime" + path, method, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    if (body !== undefined) {
      req.setHeader("content-type", "application/json");
      req.end(body);
    } else {
      req.end();
    }
  });
}

async function loop() {
  for (;;) {
    const next = await request("GET", "/invocation/next");
    const id = next.headers["lambda-runtime-aws-request-id"];
    try {
      const out = await callback(JSON.parse(next.body));
      await request("POST", `/invocation/${id}/response`, JSON.stringify(out));
    } catch (err) {
      await request("POST", `/invocation/${id}/error`, JSON.stringify({ errorMessage: String(err && err.message), errorType: String(err && err.name) }));
    }
  }
}

loop().catch((err) => {
  console.error(err);
  process.exit(1);
});
