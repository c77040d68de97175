// Browser compatibility check for Tencent's hosted eKYC page.
//
// The rules follow Tencent's published compatibility table: lighting (reflection) liveness
// needs WebRTC, which iOS Safari has from 11.1.2, iOS Chrome and iOS WeChat from iOS 14.3
// (WeChat 6.5+), and Android from version 7 in Chrome and most vendor browsers. QQ Browser
// and UC Browser on Android do not work at all. Chrome and WebView on Huawei phones lack
// H.264 for WebRTC, so Tencent's page falls back to recording a short video instead.
//
// Two things the user-agent string alone no longer tells: Chrome 110+ on Android sends a
// reduced string ("Android 10; K") that hides the phone's model and Android version, and
// iPads send a Mac's string. The caller passes what the browser does tell (client hints and
// touch points) as the second argument.
//
// checkCompat is pure (it reads only its arguments) so the browser test can run it against
// a table of user agents without changing the real one.

const OK = "ok";
const DEGRADED = "degraded";
const UNSUPPORTED = "unsupported";

// Huawei phones often identify only by model code (ELS-NX9, VOG-L29, ...) in Chrome's UA.
// These prefixes cover the common P, Mate, nova, Y and Enjoy series; "HUAWEI" and
// "HarmonyOS" catch the rest. Honor phones are a separate vendor since 2020.
const HUAWEI_MODEL = /;\s*(?:HUAWEI|ELS|ANA|VOG|ELE|CLT|EML|LYA|HMA|TAS|LIO|NOH|NOP|OCE|JAD|MAR|WAS|NOVA|JNY|WLZ|JEF|CDY|ANE|POT|AMN|MED|DUB|STK|ART)[-\s][A-Z0-9]/i;

const MSG = {
  ok: "Your browser supports the full check. Have your face well lit and your ID card nearby if asked.",
  desktop:
    "This check is designed for phones. On a computer you need a working webcam; for the best result open this page on your phone.",
  iosOld:
    "Your iOS version is older than 11.1.2, so the check will record a short video instead of the live light check. Updating iOS gives a faster check.",
  iosOtherBrowser:
    "Chrome and other browsers on iOS before 14.3 cannot run the live check, so a short video will be recorded instead. For the best result open this page in Safari or update iOS.",
  wechatOld:
    "This version of WeChat is too old for the live check, so a short video will be recorded instead. Update WeChat to 6.5 or later, or open the page in Safari or Chrome.",
  androidOld:
    "Android versions before 7 cannot run the live check, so a short video will be recorded instead. If it fails, try a newer phone.",
  qq: "QQ Browser on Android cannot run the verification. Open this page in Chrome or your phone's own browser.",
  uc: "UC Browser on Android cannot run the verification. Open this page in Chrome or your phone's own browser.",
  huawei:
    "Chrome on Huawei phones cannot run the live light check, so a short video will be recorded instead. For the best result open this page in the Huawei Browser.",
  xiaomi:
    "Some Xiaomi browsers cannot run the live check; a short video may be recorded instead. If the check fails, open this page in Chrome.",
};

function version(match) {
  if (!match) return null;
  return match.slice(1).map((part) => (part === undefined ? 0 : parseInt(part, 10)));
}

// atLeast compares dotted versions given as arrays: atLeast([14, 2], [14, 3]) is false.
function atLeast(have, want) {
  for (let i = 0; i < want.length; i++) {
    const h = have[i] || 0;
    if (h !== want[i]) return h > want[i];
  }
  return true;
}

function result(level, message) {
  return { level, message };
}

// androidFacts gives the Android version and the "; model" part to match, preferring
// Chrome's client hints, which are exact where the reduced user agent is not.
function androidFacts(ua, hints) {
  const fromHints = hints.platform === "Android";
  const hinted = fromHints && hints.platformVersion ? version(hints.platformVersion.match(/^(\d+)(?:\.(\d+))?/)) : null;
  const android = hinted || version(ua.match(/Android (\d+)(?:\.(\d+))?/));
  const model = fromHints && hints.model ? `${ua}; ${hints.model} ` : ua;
  return { android, model };
}

/**
 * checkCompat tells whether Tencent's verification page will work in the browser that sent
 * userAgent: "ok", "degraded" (it works, but records a video instead of the live light
 * check, or may fail), or "unsupported" (it will not work: use another browser).
 * hints are optional: navigator.maxTouchPoints as maxTouchPoints, and the platform,
 * platformVersion and model of navigator.userAgentData.getHighEntropyValues.
 * @param {string} userAgent
 * @param {{maxTouchPoints?: number, platform?: string, platformVersion?: string, model?: string}} [hints]
 * @returns {{level: "ok"|"degraded"|"unsupported", message: string}}
 */
export function checkCompat(userAgent, hints = {}) {
  const ua = String(userAgent || "");
  const wechat = version(ua.match(/MicroMessenger\/(\d+)\.(\d+)(?:\.(\d+))?/));

  let ios = version(ua.match(/\((?:iPhone|iPad|iPod)(?:;[^)]*?)? OS (\d+)_(\d+)(?:_(\d+))?/));
  // iPadOS 13+ asks for desktop sites with a Mac's user agent; only touch gives it away.
  // Its Version/ is Safari's, which follows iPadOS's own version.
  if (!ios && /Macintosh/.test(ua) && (hints.maxTouchPoints || 0) > 1) {
    ios = version(ua.match(/Version\/(\d+)\.(\d+)(?:\.(\d+))?/)) || [13, 0];
  }
  if (ios) {
    if (wechat && !atLeast(wechat, [6, 5])) return result(DEGRADED, MSG.wechatOld);
    // Every iOS browser uses WebKit, but only Safari got WebRTC camera access before 14.3.
    const safari = !wechat && !/CriOS|FxiOS|EdgiOS|OPiOS|MQQBrowser|UCBrowser|GSA\//.test(ua);
    if (safari) {
      return atLeast(ios, [11, 1, 2]) ? result(OK, MSG.ok) : result(DEGRADED, MSG.iosOld);
    }
    return atLeast(ios, [14, 3]) ? result(OK, MSG.ok) : result(DEGRADED, MSG.iosOtherBrowser);
  }

  const { android, model } = androidFacts(ua, hints);
  if (android) {
    // WeChat's own UA carries "MQQBrowser" on older builds, so WeChat is decided first.
    if (wechat) {
      if (!atLeast(wechat, [6, 5])) return result(DEGRADED, MSG.wechatOld);
    } else if (/UCBrowser|UCWEB|UBrowser/.test(ua)) {
      return result(UNSUPPORTED, MSG.uc);
    } else if (/MQQBrowser|QQBrowser/.test(ua)) {
      return result(UNSUPPORTED, MSG.qq);
    }
    if (!atLeast(android, [7])) return result(DEGRADED, MSG.androidOld);
    const huaweiBrowser = /HuaweiBrowser|HONORBrowser/i.test(ua);
    if (!huaweiBrowser && !wechat && (HUAWEI_MODEL.test(model) || /HarmonyOS/i.test(ua))) {
      return result(DEGRADED, MSG.huawei);
    }
    if (/MiuiBrowser|XiaoMi\//i.test(ua)) return result(DEGRADED, MSG.xiaomi);
    return result(OK, MSG.ok);
  }

  if (/Mobile|Windows Phone|HarmonyOS/.test(ua)) return result(OK, MSG.ok);
  return result(DEGRADED, MSG.desktop);
}
