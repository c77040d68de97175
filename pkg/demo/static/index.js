// Start page: shows what to expect in this browser, then navigates to GET /start, which
// answers with a redirect to Tencent's verification page and sets the cookie that binds
// this browser to the session.
import { checkCompat } from "./compat.js";

const api = new URL(document.querySelector('meta[name="facegate-api"]').content, location.href);
const form = document.getElementById("start");
const notice = document.getElementById("compat");
const blocked = document.getElementById("blocked");

let compat = checkCompat(navigator.userAgent, { maxTouchPoints: navigator.maxTouchPoints });
showCompat();

function showCompat() {
  notice.textContent = compat.message;
  notice.dataset.level = compat.level;
  notice.hidden = false;
}

// Chrome hides the phone's model and Android version from its user agent; its client
// hints still tell them, which is how a Huawei phone running Chrome is recognised.
if (navigator.userAgentData && navigator.userAgentData.getHighEntropyValues) {
  navigator.userAgentData
    .getHighEntropyValues(["model", "platformVersion"])
    .then((hints) => {
      const refined = checkCompat(navigator.userAgent, { maxTouchPoints: navigator.maxTouchPoints, ...hints });
      if (refined.level !== compat.level || refined.message !== compat.message) {
        compat = refined;
        showCompat();
      }
    })
    .catch(() => {}); // the user agent alone has decided already
}

// The return page links here for the camera advice after a failed check.
if (location.hash === "#camera-help") document.getElementById("camera-help").open = true;

const langs = Array.from(form.lang.options, (o) => o.value);
const preferred = (navigator.language || "").toLowerCase();
const match = langs.find((l) => preferred === l || preferred.startsWith(l + "-"));
if (match) form.lang.value = match;
else if (/^zh-(tw|hk|mo|hant)/.test(preferred)) form.lang.value = "zh-tc";
else if (preferred.startsWith("zh")) form.lang.value = "zh-cn";

function startURL() {
  const url = new URL("start", api);
  url.searchParams.set("returnTo", new URL("return.html", location.href).href);
  url.searchParams.set("lang", form.lang.value);
  url.searchParams.set("mode", form.mode.value);
  return url.href;
}

function go() {
  document.getElementById("go").disabled = true;
  location.assign(startURL());
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (compat.level === "unsupported") {
    // Tencent's page cannot work here: say so where the user is looking instead of
    // sending them to a page that fails half way.
    blocked.hidden = false;
    notice.tabIndex = -1;
    notice.focus();
    return;
  }
  go();
});

document.getElementById("anyway").addEventListener("click", go);

// A page restored from the back-forward cache keeps the disabled button otherwise.
window.addEventListener("pageshow", () => {
  document.getElementById("go").disabled = false;
});
