// Start page: says what to expect in this browser, lets the user pick the language (of
// this page, Tencent's page and the return page) and what to check, then asks the shop's
// backend for a start link and goes there. The backend signs a start token: a deployment
// starts a (billed) verification only with one, or with the merchant's key. GET /start then
// redirects to Tencent's verification page and sets the cookie that binds this browser to
// the verification. Or, Continue on your phone (the main way on a computer): the backend
// asks facegate for a handoff of the same choices, and handoff.js shows its QR code and
// follows the phone.
import { copyText, selectText } from "./clipboard.js";
import { checkCompat } from "./compat.js";
import * as handoff from "./handoff.js";
import * as i18n from "./i18n.js";

const el = (id) => document.getElementById(id);
const form = el("start");

// What the page shows besides its fixed words, so a change of language can say it again.
const state = {
  compat: checkCompat(navigator.userAgent, { maxTouchPoints: navigator.maxTouchPoints }),
  insisted: false, // the user chose to try a browser the page advised against
  failure: "", // the message id of why the last start failed
  copied: "", // "done" or "manual" after the copy-link button
};

// The levels at which the page stops the user before a start, until they insist.
const BLOCKING = ["unsupported", "inapp"];

const VERDICTS = {
  ok: "demo.compat.ok.title",
  degraded: "demo.compat.degraded.title",
  unsupported: "demo.compat.unsupported.title",
  inapp: "ui.open_in_phone_browser",
};

// A document type that fits each language's users, until the user picks one.
const DOCUMENT_FOR = { "zh-cn": "MainlandIDCard", "zh-tc": "HKIDCard", th: "ThailandIDCard", id: "IndonesiaIDCard" };
let documentPicked = false;

// On a computer (compat.js's verdict), Continue on your phone is the first and main way
// on; elsewhere it comes second, after Start verification. The order is the document's,
// so the keyboard meets the buttons in the order the eye does.
const DESKTOP = "demo.compat.desktop";

function placePhoneButton(desktop) {
  const go = el("go");
  const phone = el("use-phone");
  go.className = desktop ? "secondary" : "primary";
  phone.className = desktop ? "primary" : "secondary";
  const first = desktop ? phone : go;
  if (first.parentNode.firstElementChild !== first) first.parentNode.prepend(first);
}

// The link to this page, to open in the phone's own browser.
function pageLink() {
  const url = new URL(location.href);
  url.hash = "";
  return url.href;
}

function render() {
  const c = state.compat;
  const notice = el("compat");
  notice.dataset.level = c.level;
  el("verdict").textContent = i18n.t(VERDICTS[c.level]);
  el("advice").textContent = i18n.t(c.reason);
  // While the phone's QR code is shown, it replaces the form and the advice for this
  // browser: the check runs on the phone.
  const onPhone = handoff.isOpen();
  notice.hidden = onPhone;
  form.hidden = onPhone;
  handoff.render();
  placePhoneButton(c.reason === DESKTOP);
  // Away from an app's browser or a browser that cannot run the check: the link to this
  // page, to open elsewhere, and for LINE the link that makes LINE open it outside.
  el("elsewhere").hidden = !BLOCKING.includes(c.level);
  const external = el("external");
  external.hidden = c.app !== "line";
  const outside = new URL(pageLink());
  outside.searchParams.set("openExternalBrowser", "1");
  external.href = outside.href;
  el("copied").hidden = state.copied !== "done";
  el("copied").textContent = state.copied === "done" ? i18n.t("ui.link_copied.status") : "";
  el("manual").hidden = state.copied !== "manual";
  el("manual-link").href = el("manual-link").textContent = pageLink();

  el("failed").hidden = !state.failure;
  el("failed-advice").textContent = state.failure ? i18n.t(state.failure) : "";

  el("document-field").hidden = !["1", "4"].includes(form.mode.value);
  const file = i18n.current();
  if (!file) return; // no messages: the HTML's English words, and Tencent's default document
  const doc = el("document");
  const chosen = doc.value;
  doc.replaceChildren(
    ...file.documents.map((d) => {
      const o = document.createElement("option");
      o.value = d.value;
      o.textContent = d.label;
      return o;
    }),
  );
  doc.value = documentPicked ? chosen : DOCUMENT_FOR[form.lang.value] || file.documents[0].value;
}

async function setLanguage(lang) {
  await i18n.load(lang);
  i18n.rememberLanguage(lang);
  form.lang.value = lang;
  i18n.apply();
  render();
}

// Chrome hides the phone's model and Android version from its user agent; its client
// hints still tell them, which is how a Huawei phone running Chrome is recognised.
function refineWithClientHints() {
  if (!navigator.userAgentData || !navigator.userAgentData.getHighEntropyValues) return;
  navigator.userAgentData
    .getHighEntropyValues(["model", "platformVersion"])
    .then((hints) => {
      const refined = checkCompat(navigator.userAgent, { maxTouchPoints: navigator.maxTouchPoints, ...hints });
      if (refined.level !== state.compat.level || refined.reason !== state.compat.reason) {
        state.compat = refined;
        render();
      }
    })
    .catch(() => {}); // the user agent alone has decided already
}

// copyLink puts the page's link on the clipboard, or shows it to copy by hand.
async function copyLink() {
  const done = await copyText(pageLink());
  state.copied = done ? "done" : "manual";
  render();
  if (!done) selectText(el("manual-link"));
}

// choices are what the user picked, as the shop's backend takes them.
function choices() {
  const choice = { lang: form.lang.value, mode: Number(form.mode.value) };
  if (!el("document-field").hidden && el("document").value) choice.documentType = el("document").value;
  return choice;
}

// ask posts the user's choices to the shop's backend at path (pressed is the button that
// asked) and returns its answer when it has want; otherwise it says why on the page and
// returns null.
async function ask(path, want, pressed) {
  pressed.disabled = true;
  state.failure = "";
  render();
  try {
    const res = await fetch(new URL(path, location.href), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(choices()),
      cache: "no-store",
    });
    const body = await res.json();
    if (res.ok && body[want]) return body;
    const code = body && body.error ? body.error.code : "internal";
    state.failure = i18n.has(`error.${code}.message`) ? `error.${code}.message` : "error.internal.message";
  } catch {
    state.failure = "demo.return.error"; // "Please check your connection and try again."
  } finally {
    pressed.disabled = false;
  }
  render();
  el("failed").tabIndex = -1;
  el("failed").focus();
  return null;
}

async function start() {
  const body = await ask("api/start", "startUrl", el("go"));
  if (body) {
    el("go").disabled = true; // until the page is left
    location.assign(body.startUrl);
  }
}

// continueOnPhone asks the backend for a handoff of the user's choices to their phone and
// shows its QR code (handoff.js), in place of the form, until the phone is done.
async function continueOnPhone(pressed) {
  const body = await ask("api/handoff", "url", pressed);
  if (!body) return;
  handoff.open(body);
  render();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (BLOCKING.includes(state.compat.level) && !state.insisted) {
    // Tencent's page cannot work here, or may not: say so where the user is looking,
    // before anything is started (and billed).
    el("blocked").hidden = false;
    const notice = el("compat");
    notice.tabIndex = -1;
    notice.focus();
    return;
  }
  start();
});

el("anyway").addEventListener("click", () => {
  state.insisted = true;
  el("blocked").hidden = true;
  start();
});

el("copy").addEventListener("click", copyLink);
el("use-phone").addEventListener("click", () => continueOnPhone(el("use-phone")));
el("phone-new").addEventListener("click", () => continueOnPhone(el("phone-new")));
el("phone-cancel").addEventListener("click", () => {
  handoff.close();
  render();
  el("use-phone").focus();
});
form.lang.addEventListener("change", () => setLanguage(form.lang.value));
form.addEventListener("change", (event) => {
  if (event.target.name === "mode") render();
  if (event.target.id === "document") documentPicked = true;
});

// The return page links here for the camera advice after a failed face check.
if (location.hash === "#camera-help") el("camera-help").open = true;

// A page restored from the back-forward cache keeps the disabled button otherwise, and,
// back from the return page, the handoff that led there.
window.addEventListener("pageshow", () => {
  el("go").disabled = false;
  if (handoff.isDone()) {
    handoff.close();
    render();
  }
});

setLanguage(i18n.chooseLanguage(new URLSearchParams(location.search).get("lang")))
  .catch(() => i18n.reveal()) // without its words the page still works, in English
  .then(refineWithClientHints);
