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
// Apps' built-in browsers (Facebook, Instagram, LINE, TikTok and the like) often block the
// camera, so they are told apart first.
//
// checkCompat is pure (it reads only its arguments) so the browser test can run it against
// a table of user agents without changing the real one.

const OK = "ok";
const DEGRADED = "degraded";
const UNSUPPORTED = "unsupported";
const IN_APP = "inapp";

// Huawei phones often identify only by model code (ELS-NX9, VOG-L29, ...) in Chrome's UA.
// These prefixes cover the common P, Mate, nova, Y and Enjoy series; "HUAWEI" and
// "HarmonyOS" catch the rest. Honor phones are a separate vendor since 2020.
const HUAWEI_MODEL = /;\s*(?:HUAWEI|ELS|ANA|VOG|ELE|CLT|EML|LYA|HMA|TAS|LIO|NOH|NOP|OCE|JAD|MAR|WAS|NOVA|JNY|WLZ|JEF|CDY|ANE|POT|AMN|MED|DUB|STK|ART)[-\s][A-Z0-9]/i;

// In-app browsers: the pages social and chat apps open links in. Many of them do not let a
// page use the camera (or ask for it in ways Tencent's page cannot rely on), so the user
// is asked to open the page in the phone's own browser before anything is started. WeChat
// is not among them: Tencent supports its built-in browser.
const IN_APP_BROWSERS = [
  // LINE: "Line/13.20.0"; it opens a link in the system browser when asked with
  // openExternalBrowser=1.
  ["line", /\bLine\/\d/],
  // Facebook, and Messenger: "[FBAN/FBIOS;FBAV/…]", "[FB_IAB/FB4A;FBAV/…]".
  ["facebook", /FBAN\/|FBAV\/|FB_IAB\//],
  ["instagram", /\bInstagram \d/],
  // TikTok (and Douyin): "musical_ly_32.5.0", "trill_…", "BytedanceWebview/…", "TikTok 26.2.0".
  ["tiktok", /musical_ly|BytedanceWebview|\bTikTok[ /]\d/],
  ["twitter", /\bTwitter(?:Android| for )/],
  ["snapchat", /\bSnapchat\/\d/],
  ["kakaotalk", /\bKAKAOTALK\b/i],
];

// The verdicts' explanations are message ids of facegate's catalogue (messages/<lang>.json),
// so the page says them in the user's language.
const MSG = {
  ok: "demo.compat.ok",
  desktop: "demo.compat.desktop",
  iosOld: "demo.compat.ios_old",
  iosOtherBrowser: "demo.compat.ios_other_browser",
  wechatOld: "demo.compat.wechat_old",
  androidOld: "demo.compat.android_old",
  qq: "demo.compat.qq_browser",
  uc: "demo.compat.uc_browser",
  huawei: "demo.compat.huawei",
  xiaomi: "demo.compat.xiaomi",
  inApp: "ui.in_app",
  inAppLINE: "ui.in_app_line",
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

function result(level, reason, app = "") {
  return { level, reason, app };
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
 * check, or may fail), "unsupported" (it will not work: use another browser) or "inapp"
 * (an app's built-in browser, which may block the camera: open the page in the phone's
 * browser; app names which app). reason is the catalogue's message id of the explanation.
 * hints are optional: navigator.maxTouchPoints as maxTouchPoints, and the platform,
 * platformVersion and model of navigator.userAgentData.getHighEntropyValues.
 * @param {string} userAgent
 * @param {{maxTouchPoints?: number, platform?: string, platformVersion?: string, model?: string}} [hints]
 * @returns {{level: "ok"|"degraded"|"unsupported"|"inapp", reason: string, app: string}}
 */
export function checkCompat(userAgent, hints = {}) {
  const ua = String(userAgent || "");
  for (const [app, pattern] of IN_APP_BROWSERS) {
    if (pattern.test(ua)) return result(IN_APP, app === "line" ? MSG.inAppLINE : MSG.inApp, app);
  }
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
