// Continue on your phone: the start page's panel that hands the check to the user's phone.
// The shop's backend has asked facegate for a handoff of the user's choices (POST
// api/handoff); the panel shows its single-use link as a QR code for the phone's camera
// and as text to copy, and until when it works. It then follows the verification through
// the handoff's status URL, which reveals a summary only: waiting for the phone, in
// progress there, then done, and the desktop continues where a direct start would have
// returned, the return page, at the address the status gives. A code the phone never
// opened in time, or a start the phone could not make, offers a new code.
import { copyText, selectText } from "./clipboard.js";
import * as i18n from "./i18n.js";

const el = (id) => document.getElementById(id);

// The wait between two questions, in seconds: the status's Retry-After, kept within
// these bounds; after a question that got no answer, twice the last wait up to LONGEST.
const SHORTEST = 2;
const LONGEST = 10;
const USUAL = 3; // without a Retry-After

// What the status region says in each phase.
const PROGRESS = {
  waiting: "ui.handoff.waiting.title",
  started: "ui.handoff.in_progress.title",
  done: "demo.handoff.done.status",
  expired: "demo.handoff.expired.title",
  error: "demo.start_failed.title",
};

const state = {
  phase: "", // "" while closed, else a key of PROGRESS
  code: "", // why, in the error phase: an error code of facegate's
  offline: false, // the last question got no answer; the panel keeps asking
  copied: false,
  expiresAt: null,
};
let statusUrl = "";
let timer = 0;
let round = 0; // counts handoffs, so that an answer about an earlier one is dropped
let misses = 0; // questions in a row that got no answer

// isOpen tells whether the panel shows a handoff.
export function isOpen() {
  return state.phase !== "";
}

// isDone tells whether the phone is done and the page has gone on to the outcome.
export function isDone() {
  return state.phase === "done";
}

// open shows handoff, the backend's answer ({url, qrCode, statusUrl, expiresAt}), and
// starts following it.
export function open(handoff) {
  close();
  const mine = round;
  statusUrl = handoff.statusUrl;
  Object.assign(state, { phase: "waiting", code: "", offline: false, copied: false, expiresAt: new Date(handoff.expiresAt) });
  // The QR code is an SVG drawing from facegate, through our own backend. As an image it
  // is only a picture: a browser runs no script and loads nothing from an SVG in an <img>,
  // which it would from markup put into the page.
  el("phone-qr").src = "data:image/svg+xml," + encodeURIComponent(handoff.qrCode);
  el("phone-link").textContent = handoff.url;
  render();
  el("phone-title").focus();
  timer = setTimeout(() => ask(mine), USUAL * 1000);
}

// close hides the panel and stops following its handoff.
export function close() {
  clearTimeout(timer);
  round++;
  misses = 0;
  state.phase = "";
  el("phone-qr").removeAttribute("src");
  el("phone-link").textContent = "";
  render();
}

// render shows the panel's state in the page's language.
export function render() {
  const panel = el("phone");
  panel.hidden = !isOpen();
  panel.dataset.phase = state.phase;
  if (!isOpen()) return;
  const ended = state.phase === "expired" || state.phase === "error";
  setText(el("phone-progress"), i18n.t(PROGRESS[state.phase]));
  setText(el("phone-detail"), ended ? i18n.t(detail()) : "");
  el("phone-detail").hidden = !ended;
  el("phone-offline").hidden = !state.offline;
  // The code is for the phone to open once: once it has, or can no longer, it goes.
  el("phone-code").hidden = state.phase !== "waiting";
  const until = state.expiresAt && !isNaN(state.expiresAt) ? clock(state.expiresAt) : "";
  el("phone-expires").textContent = until ? i18n.t("demo.handoff.expires").replace("{time}", until) : "";
  el("phone-copied").hidden = !state.copied;
  el("phone-copied").textContent = state.copied ? i18n.t("ui.link_copied.status") : "";
  el("phone-new").hidden = !ended;
  el("phone-cancel").hidden = state.phase === "done";
}

function detail() {
  if (state.phase === "expired") return "demo.handoff.expired";
  const id = `error.${state.code}.message`;
  return i18n.has(id) ? id : "error.internal.message";
}

// setText changes what node says only when it changes, so that a live region is not
// read again for an answer that says what the last one did.
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

// clock is the time of day of date, as the page's language writes it.
function clock(date) {
  const file = i18n.current();
  try {
    return date.toLocaleTimeString(file ? file.htmlLang : undefined, { hour: "2-digit", minute: "2-digit" });
  } catch {
    return date.toLocaleTimeString();
  }
}

// ask reads the handoff's status once, shows it, and asks again after the wait the answer
// names, until the handoff is over.
async function ask(mine) {
  let wait;
  try {
    const res = await fetch(statusUrl, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "omit" });
    if (res.status >= 500) throw new Error(`status ${res.status}`);
    // Any other refusal (the handoff is no longer known): the code cannot be followed.
    const body = res.ok ? await res.json() : { state: "expired" };
    if (mine !== round) return;
    state.offline = false;
    misses = 0;
    if (!follow(body)) return;
    const named = Number(res.headers.get("Retry-After"));
    wait = Math.min(Math.max(named || USUAL, SHORTEST), LONGEST);
  } catch {
    if (mine !== round) return;
    state.offline = true;
    misses++;
    wait = Math.min(SHORTEST * 2 ** misses, LONGEST);
  }
  render();
  timer = setTimeout(() => ask(mine), wait * 1000);
}

// follow takes a status in and tells whether there is more to wait for.
function follow(status) {
  switch (status.state) {
    case "waiting":
    case "started":
      state.phase = status.state;
      return true;
    case "done":
      if (continuable(status.continue)) {
        state.phase = "done";
        render();
        location.assign(status.continue);
        return false;
      }
      state.phase = "error";
      state.code = "internal";
      break;
    case "expired":
      state.phase = "expired";
      break;
    default:
      state.phase = "error";
      state.code = status.code || "internal";
  }
  render();
  return false;
}

// continuable tells whether link is a web address to go on to (the merchant's return
// page, which the start token fixed), and not, say, a javascript: URL.
function continuable(link) {
  try {
    return ["https:", "http:"].includes(new URL(link, location.href).protocol);
  } catch {
    return false;
  }
}

el("phone-copy").addEventListener("click", async () => {
  const link = el("phone-link").textContent;
  state.copied = await copyText(link);
  render();
  if (!state.copied) selectText(el("phone-link")); // for the keyboard's copy
});
