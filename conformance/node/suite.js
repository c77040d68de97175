// Conformance suite: Tencent's official Node.js SDK for the international site
// (tencentcloud-sdk-nodejs-intl-en), unchanged but for its endpoint, against the facegate
// sandbox. Every check runs once per signing set-up (TC3-HMAC-SHA256, signature v1 with
// HmacSHA256 and HmacSHA1, each as a POST and as a GET).
//
//   SANDBOX_ENDPOINT=127.0.0.1:8090 node suite.js
//
// The sandbox must be fresh (default options: test credentials, 20 requests/second per
// action) and is scripted through its unsigned control API on the same address. Output:
// one line per check, then "N passed, N failed"; the exit status is 1 if any check failed.
"use strict";

const crypto = require("crypto");
const assert = require("assert/strict");
const tencentcloud = require("tencentcloud-sdk-nodejs-intl-en");

const FaceidClient = tencentcloud.faceid.v20180301.Client;
const { CommonClient, Credential, ClientProfile, HttpProfile } = tencentcloud.common;

const endpoint = process.env.SANDBOX_ENDPOINT || "127.0.0.1:8090";
const control = "http://" + endpoint + "/_sandbox";

// The sandbox's documented test credentials (not real keys).
const longTerm = new Credential("AKID-sandbox-local", "sandbox-secret-key-not-for-production");
const temporary = new Credential("AKID-sandbox-temp", "sandbox-temp-secret-key-not-for-production",
  "sandbox-session-token-not-for-production");

// profile is what a merchant changes to use the sandbox: the endpoint (host:port) and the
// protocol. signMethod is "TC3-HMAC-SHA256", "HmacSHA256" (the SDK's default) or
// "HmacSHA1"; reqMethod "POST" (the default) or "GET".
function profile(setup) {
  const httpProfile = new HttpProfile();
  httpProfile.endpoint = endpoint;
  httpProfile.protocol = "http://";
  httpProfile.reqMethod = setup.reqMethod;
  return new ClientProfile(setup.signMethod, httpProfile);
}

// A merchant's client, written as Tencent's README and examples write it.
function newClient(setup, credential = longTerm, region = "ap-singapore") {
  return new FaceidClient(credential, region, profile(setup));
}

// The legacy web actions left the SDK's faceid client in March 2026; merchants still on them
// call them through the SDK's CommonClient.
function newCommonClient(setup) {
  return new CommonClient(endpoint, "2018-03-01", longTerm, "ap-singapore", profile(setup));
}

// call runs one callback-style SDK action as a promise.
function call(client, action, req) {
  return new Promise((resolve, reject) => {
    const cb = (err, resp) => (err ? reject(err) : resolve(resp));
    if (client instanceof CommonClient) client.request(action, req, cb);
    else client[action](req, cb);
  });
}

// fails runs an action that must fail and returns the SDK's error.
async function fails(client, action, req) {
  try {
    const resp = await call(client, action, req);
    assert.fail(`${action} succeeded: ${JSON.stringify(resp).slice(0, 200)}`);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    return err;
  }
}

async function failsWith(code, client, action, req) {
  const err = await fails(client, action, req);
  assert.equal(err.code, code, `error ${err.code}: ${err.message}`);
  assert.ok(err.requestId, "the error carries a RequestId");
  return err;
}

async function ctl(method, path, body) {
  const resp = await fetch(control + path, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const out = await resp.json();
  if (!resp.ok) throw new Error(`${method} ${path}: ${resp.status} ${JSON.stringify(out)}`);
  return out;
}

const setOutcome = (BizToken, Outcome) => ctl("POST", "/outcome", { BizToken, Outcome });
const tokenState = (token) => ctl("GET", "/tokens/" + token);
const advance = (seconds) => ctl("POST", "/clock", { AdvanceSeconds: seconds });
const setFaults = (faults) => ctl("PUT", "/faults", faults);

// withClock runs fn with the process clock moved by ms, as a machine with a wrong clock
// would sign: the SDK reads the time from Date.
async function withClock(ms, fn) {
  const RealDate = Date;
  global.Date = class extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + ms);
      else super(...args);
    }
    static now() {
      return RealDate.now() + ms;
    }
  };
  try {
    return await fn();
  } finally {
    global.Date = RealDate;
  }
}

// A JPEG as far as Tencent's checks go (its magic bytes), base64 without a data: prefix.
const jpegBytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(64), Buffer.from([0xff, 0xd9])]);
const jpeg = jpegBytes.toString("base64");
const uuid = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

// The sandbox limits every action to 20 requests a second, as Tencent does. The suite makes
// more than that, so before an action's 15th call it moves the sandbox clock on by a
// second (which refills the bucket and changes no check).
const calls = new Map();
async function paced(action) {
  const n = (calls.get(action) || 0) + 1;
  if (n >= 15) {
    await advance(1);
    calls.clear();
    calls.set(action, 1);
    return;
  }
  calls.set(action, n);
}

function checks(setup) {
  const client = newClient(setup);
  const apply = async (req, c = client) => {
    await paced("ApplyWebVerificationBizTokenIntl");
    return call(c, "ApplyWebVerificationBizTokenIntl", req);
  };
  const result = async (token, c = client) => {
    await paced("GetWebVerificationResultIntl");
    return call(c, "GetWebVerificationResultIntl", { BizToken: token });
  };
  const applyFails = async (code, req, c = client) => {
    await paced("ApplyWebVerificationBizTokenIntl");
    return failsWith(code, c, "ApplyWebVerificationBizTokenIntl", req);
  };
  const resultFails = async (code, token, c = client) => {
    await paced("GetWebVerificationResultIntl");
    return failsWith(code, c, "GetWebVerificationResultIntl", { BizToken: token });
  };
  const redirect = "https://merchant.example/callback?shop=7";
  const liveness = { RedirectURL: redirect, Config: { CheckMode: 3 } };
  const compare = (config = {}) => ({ RedirectURL: redirect, CompareImageBase64: jpeg, Config: config });
  // outcome issues a token for req, records the outcome as the page would, and reads the result.
  const outcome = async (req, o) => {
    const { BizToken } = await apply(req);
    await setOutcome(BizToken, o);
    return result(BizToken);
  };

  return [
    ["apply answers a BizToken and the VerificationURL on the page origin", async () => {
      const r = await apply(liveness);
      assert.match(r.BizToken, uuid);
      assert.ok(r.RequestId);
      assert.match(r.VerificationURL, new RegExp("^http://.+/reflect/\\?token=" + r.BizToken + "$"));
      assert.equal(r.VerificationUrl, r.VerificationURL);
    }],

    ["apply carries every Config type (booleans, numbers, strings) and Extra", async () => {
      const extra = "order 42 & more = ünïcode / 订单";
      const r = await apply({
        RedirectURL: redirect, CompareImageBase64: jpeg, Extra: extra,
        Config: {
          CheckMode: 2, AutoSkip: true, AutoSkipStartPage: false, SecurityLevel: 2, ActionList: "blink,nod",
          ThemeColor: "#00AA33", Language: "th", LivenessRetryLimit: 3, LivenessTimeout: 600, Version: "PLUS",
        },
      });
      const st = await tokenState(r.BizToken);
      assert.equal(st.State, "issued");
      assert.equal(st.CheckMode, 2);
      assert.equal(st.AutoSkip, true);
      assert.equal(st.ThemeColor, "#00AA33");
      assert.equal(st.Language, "th");
      assert.equal(st.HasCompareImage, true);
      const pending = await result(r.BizToken);
      assert.equal(pending.Extra, extra);
    }],

    ["result is pending (ErrorCode null) until the user finishes", async () => {
      const { BizToken } = await apply(liveness);
      const r = await result(BizToken);
      assert.equal(r.ErrorCode, null);
      assert.equal(r.VerificationDetailList, null);
      assert.ok(r.RequestId);
    }],

    ["outcome pass: ErrorCode 0, one attempt with its similarity, best frame and video", async () => {
      const r = await outcome(compare(), { Result: "pass", Similarity: 88.5 });
      assert.equal(r.ErrorCode, 0);
      assert.equal(r.VerificationDetailList.length, 1);
      assert.equal(r.VerificationDetailList[0].Similarity, 88.5);
      assert.ok(r.BestFrameBase64 && r.VideoBase64);
    }],

    ["outcome liveness_fail: ErrorCode 1005 (1003 with silent liveness)", async () => {
      assert.equal((await outcome(compare(), { Result: "liveness_fail" })).ErrorCode, 1005);
      assert.equal((await outcome(compare({ SecurityLevel: 1 }), { Result: "liveness_fail" })).ErrorCode, 1003);
    }],

    ["outcome compare_fail: ErrorCode 2016 with the similarity below 70", async () => {
      const r = await outcome(compare(), { Result: "compare_fail", Similarity: 35 });
      assert.equal(r.ErrorCode, 2016);
      assert.equal(r.VerificationDetailList[0].Similarity, 35);
    }],

    ["outcome retry_limit: ErrorCode 16 with one attempt per try", async () => {
      const r = await outcome(compare({ LivenessRetryLimit: 3 }), { Result: "retry_limit" });
      assert.equal(r.ErrorCode, 16);
      assert.equal(r.VerificationDetailList.length, 3);
    }],

    ["outcomes timeout and user_exit: ErrorCode 1409 and 1410, no attempts", async () => {
      const t = await outcome(liveness, { Result: "timeout" });
      assert.equal(t.ErrorCode, 1409);
      assert.deepEqual(t.VerificationDetailList, []);
      assert.equal((await outcome(liveness, { Result: "user_exit" })).ErrorCode, 1410);
    }],

    ["outcome document (CheckMode 1): ErrorCode 0 with the HKID card data", async () => {
      const r = await outcome(compare({ CheckMode: 1, IDCardType: "HKIDCard" }), { Result: "document" });
      assert.equal(r.ErrorCode, 0);
      assert.equal(r.OCRResult.length, 1);
      assert.equal(r.OCRResult[0].IsPass, true);
      assert.ok(r.OCRResult[0].NormalCardInfo.HKIDCard, JSON.stringify(r.OCRResult[0].NormalCardInfo));
    }],

    ["outcome document_fail (CheckMode 4): the first SelectedWarningCodes code", async () => {
      const req = { RedirectURL: redirect, Config: { CheckMode: 4, IDCardType: "MLIDCard", SelectedWarningCodes: "-9103,-9101" } };
      const r = await outcome(req, { Result: "document_fail" });
      assert.equal(r.ErrorCode, -9103);
      assert.equal(r.OCRResult[0].IsPass, false);
      assert.deepEqual(r.OCRResult[0].WarnCardInfos, [9103]);
      // The sandbox also sends OriginalCardInfo (CheckMode 4), HeadImageBase64 and
      // CardBackImageBase64, but this SDK's OCRResult model has none of them and drops them.
    }],

    ["an outcome with any ErrorCode (1207) reads back as given", async () => {
      const r = await outcome(compare(), { Result: "liveness_fail", ErrorCode: 1207 });
      assert.equal(r.ErrorCode, 1207);
    }],

    ["a finished result reads the same every time", async () => {
      const { BizToken } = await apply(compare());
      await setOutcome(BizToken, { Result: "pass" });
      const a = await result(BizToken);
      const b = await result(BizToken);
      assert.equal(a.VerificationDetailList[0].Seq, b.VerificationDetailList[0].Seq);
      assert.notEqual(a.RequestId, b.RequestId);
    }],

    ["token lifecycle: pending, unopened past 10 minutes (15), finished, expired after 72 hours", async () => {
      const unused = (await apply(liveness)).BizToken;
      const finished = (await apply(liveness)).BizToken;
      assert.equal((await result(unused)).ErrorCode, null);
      await setOutcome(finished, { Result: "pass" });
      await advance(601);
      assert.equal((await tokenState(unused)).State, "start_expired");
      assert.equal((await result(unused)).ErrorCode, 15);
      assert.equal((await result(finished)).ErrorCode, 0);
      await advance(72 * 3600 - 601 + 1);
      assert.equal((await tokenState(finished)).State, "expired");
      await resultFails("InvalidParameterValue.BizTokenExpired", finished);
    }],

    ["unknown and malformed BizTokens: BizTokenIllegal and InvalidParameterValue", async () => {
      await resultFails("InvalidParameterValue.BizTokenIllegal", "00000000-0000-4000-8000-000000000000");
      await resultFails("InvalidParameterValue", "not-a-token");
      await resultFails("InvalidParameter", "");
    }],

    ["bad parameters: InvalidParameterValue, InvalidParameter, UnknownParameter", async () => {
      await applyFails("InvalidParameterValue", { RedirectURL: "/relative" });
      await applyFails("InvalidParameterValue", { ...liveness, Config: { CheckMode: 9 } });
      await applyFails("InvalidParameterValue", { ...liveness, Config: { CheckMode: 3, ThemeColor: "red" } });
      await applyFails("InvalidParameterValue", { RedirectURL: redirect, Config: { CheckMode: 4, IDCardType: "JapanIDCard" } });
      await applyFails("InvalidParameterValue", { RedirectURL: redirect, Config: { CheckMode: 4, IDCardType: "HKIDCard", SelectedWarningCodes: "-9901" } });
      await applyFails("InvalidParameterValue", { ...liveness, Extra: "x".repeat(1001) });
      await applyFails("InvalidParameter", { Config: { CheckMode: 3 } });
      await applyFails("InvalidParameter", { RedirectURL: redirect });
      await applyFails("UnknownParameter", { ...liveness, Config: { CheckMode: 4, IdCardType: "HKIDCard" } });
    }],

    ["wrong SecretKey: AuthFailure.SignatureFailure", async () => {
      const c = newClient(setup, new Credential(longTerm.secretId, longTerm.secretKey + "x"));
      await applyFails("AuthFailure.SignatureFailure", liveness, c);
    }],

    ["unknown SecretId: AuthFailure.SecretIdNotFound", async () => {
      const c = newClient(setup, new Credential("AKID-not-known", longTerm.secretKey));
      await applyFails("AuthFailure.SecretIdNotFound", liveness, c);
    }],

    ["temporary credential: accepted with its token, AuthFailure.TokenFailure without", async () => {
      const r = await apply(liveness, newClient(setup, temporary));
      assert.match(r.BizToken, uuid);
      const noToken = newClient(setup, new Credential(temporary.secretId, temporary.secretKey));
      await applyFails("AuthFailure.TokenFailure", liveness, noToken);
      const wrongToken = newClient(setup, new Credential(temporary.secretId, temporary.secretKey, temporary.token + "x"));
      await applyFails("AuthFailure.TokenFailure", liveness, wrongToken);
    }],

    ["a clock 10 minutes off: AuthFailure.SignatureExpire; the sandbox's own clock offset does not matter", async () => {
      const err = await withClock(-10 * 60 * 1000, () => fails(client, "ApplyWebVerificationBizTokenIntl", liveness));
      assert.equal(err.code, "AuthFailure.SignatureExpire", err.message);
      await withClock(+10 * 60 * 1000, () => applyFails("AuthFailure.SignatureExpire", liveness));
      await advance(3600);
      assert.match((await apply(liveness)).BizToken, uuid);
    }],

    ["region outside the web actions: UnsupportedRegion", async () => {
      await applyFails("UnsupportedRegion", liveness, newClient(setup, longTerm, "ap-guangzhou"));
    }],

    ["rate limit: the 21st request in a second is RequestLimitExceeded", async () => {
      await advance(2);
      calls.clear();
      const burst = await Promise.allSettled(
        Array.from({ length: 30 }, () => call(client, "GetWebVerificationResultIntl", { BizToken: "00000000-0000-4000-8000-000000000000" })),
      );
      const codes = burst.map((b) => b.reason && b.reason.code);
      const limited = codes.filter((c) => c === "RequestLimitExceeded").length;
      assert.ok(limited >= 1 && limited <= 10, codes.join(","));
      assert.ok(codes.every((c) => c === "RequestLimitExceeded" || c === "InvalidParameterValue.BizTokenIllegal"), codes.join(","));
      await advance(2);
    }],

    ["faults: InternalError, both throttling codes, a dropped connection", async () => {
      try {
        await setFaults({ InternalErrorRate: 1 });
        await applyFails("InternalError", liveness);
        await setFaults({ ThrottleRate: 1 });
        await applyFails("RequestLimitExceeded", liveness);
        await setFaults({ ThrottleRate: 1, ThrottleCode: "FailedOperation.RequestLimitExceeded" });
        await applyFails("FailedOperation.RequestLimitExceeded", liveness);
        await setFaults({ DropRate: 1 });
        const before = (await ctl("GET", "/tokens")).Tokens.length;
        const err = await fails(client, "ApplyWebVerificationBizTokenIntl", liveness);
        assert.equal(err.code, undefined, "a network error has no Tencent code: " + err.message);
        assert.equal((await ctl("GET", "/tokens")).Tokens.length, before, "a dropped request stores nothing");
      } finally {
        await setFaults({});
      }
    }],

    ["DropAfterRate: the answer is lost but the token exists and reads as pending", async () => {
      let err;
      try {
        await setFaults({ DropAfterRate: 1 });
        err = await fails(client, "ApplyWebVerificationBizTokenIntl", { ...liveness, Extra: "lost-" + setup.name });
      } finally {
        await setFaults({});
      }
      assert.equal(err.code, undefined, "a network error has no Tencent code: " + err.message);
      const newest = (await ctl("GET", "/tokens")).Tokens[0];
      assert.equal(newest.State, "issued");
      const r = await result(newest.BizToken);
      assert.equal(r.ErrorCode, null);
      assert.equal(r.Extra, "lost-" + setup.name);
    }],

    ["CreateUploadUrl, PUT, then the legacy ApplyWebVerificationToken and GetWebVerificationResult", async () => {
      await paced("CreateUploadUrl");
      const up = await call(client, "CreateUploadUrl", { TargetAction: "ApplyWebVerificationToken" });
      assert.ok(up.UploadUrl && up.ResourceUrl && up.ExpiredTimestamp > Date.now() / 1000, JSON.stringify(up));
      const put = await fetch(up.UploadUrl, { method: "PUT", body: jpegBytes });
      assert.equal(put.status, 200);
      const md5 = crypto.createHash("md5").update(jpegBytes).digest("hex");
      const legacy = newCommonClient(setup);
      const applied = await call(legacy, "ApplyWebVerificationToken", {
        RedirectUrl: redirect, CompareImageUrl: up.ResourceUrl, CompareImageMd5: md5,
      });
      assert.match(applied.BizToken, uuid);
      assert.ok(applied.VerificationUrl);
      await setOutcome(applied.BizToken, { Result: "pass" });
      const r = await call(legacy, "GetWebVerificationResult", { BizToken: applied.BizToken });
      assert.equal(r.ErrorCode, 0);
      const frame = await fetch(r.VideoBestFrameUrl);
      const frameMD5 = crypto.createHash("md5").update(Buffer.from(await frame.arrayBuffer())).digest("hex");
      assert.equal(frameMD5, r.VideoBestFrameMd5);
      await failsWith("InvalidParameterValue", legacy, "ApplyWebVerificationToken", {
        RedirectUrl: redirect, CompareImageUrl: up.ResourceUrl, CompareImageMd5: "0".repeat(32),
      });
      await paced("CreateUploadUrl");
      await failsWith("InvalidParameterValue", client, "CreateUploadUrl", { TargetAction: "DetectAuth" });
    }],
  ];
}

const setups = [
  { name: "TC3-HMAC-SHA256 POST", signMethod: "TC3-HMAC-SHA256", reqMethod: "POST" },
  { name: "TC3-HMAC-SHA256 GET", signMethod: "TC3-HMAC-SHA256", reqMethod: "GET" },
  { name: "HmacSHA256 POST", signMethod: "HmacSHA256", reqMethod: "POST" },
  { name: "HmacSHA256 GET", signMethod: "HmacSHA256", reqMethod: "GET" },
  { name: "HmacSHA1 POST", signMethod: "HmacSHA1", reqMethod: "POST" },
  { name: "HmacSHA1 GET", signMethod: "HmacSHA1", reqMethod: "GET" },
];

async function main() {
  const started = Date.now();
  let passed = 0;
  let failed = 0;
  for (const setup of setups) {
    for (const [name, check] of checks(setup)) {
      try {
        await check();
        passed++;
        console.log(`ok   ${setup.name}: ${name}`);
      } catch (err) {
        failed++;
        console.log(`FAIL ${setup.name}: ${name}\n     ${String(err && err.stack || err).split("\n").join("\n     ")}`);
      }
    }
  }
  console.log(`SDK tencentcloud-sdk-nodejs-intl-en ${require("tencentcloud-sdk-nodejs-intl-en/package.json").version}, ` +
    `endpoint ${endpoint}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
