// Return page: Tencent's page sends the user to /callback, which redirects here with
// token, ticket and a coarse status; or, when facegate refused (another browser, an
// expired or used link), with status=error and the error's code. The ticket lets this page
// read a summary of the result from GET /result; the full result is only for the
// merchant's backend.
//
// The page never leaves the user stuck: it remembers, in this tab, the verification it
// shows and the final outcome it was shown (by token), so a reload, or opening the page
// again after the ticket has expired, still shows the outcome. It speaks the language the
// user chose on the start page: the address names it (the start token fixed this page's
// address), and the tab remembers it. It never shows a code: every title and message is
// the catalogue's, in that language.
import * as i18n from "./i18n.js";

const api = new URL(document.querySelector('meta[name="facegate-api"]').content, location.href);
const params = new URLSearchParams(location.search);
const el = (id) => document.getElementById(id);

// What this tab keeps: the verification on show, and each token's final outcome.
const CURRENT = "facegate.return";
const OUTCOME = "facegate.outcome:";

// arrival is what the address brings: a verification to read, or facegate's refusal.
function arrival() {
  if (params.get("status") === "error") return { error: params.get("code") || "internal" };
  const token = params.get("token");
  const ticket = params.get("ticket");
  if (token && ticket) return { token, ticket, coarse: params.get("status") || "" };
  return null;
}

function readJSON(key) {
  try {
    return JSON.parse(i18n.storage("get", key) || "null");
  } catch {
    return null;
  }
}

let current = arrival();
if (current) i18n.storage("set", CURRENT, JSON.stringify(current));
else current = readJSON(CURRENT);
const lang = i18n.chooseLanguage(params.get("lang"));

// Take the token and ticket out of the address bar, the history and any bookmark.
history.replaceState(null, "", location.pathname);

// Error codes whose message sends the user to the shop for help rather than to start
// again: starting again would meet the same refusal.
const CONTACT_SHOP = [
  "invalid_return_to",
  "invalid_image",
  "image_not_found",
  "image_too_large",
  "unsupported_media_type",
  "upstream_misconfigured",
  "unauthorized",
  "invalid_ticket",
];
// Codes that pass by themselves: asking /result again may help.
const TRANSIENT = ["upstream_unavailable", "storage_unavailable", "idempotency_in_progress", "internal"];
// Result messages that do not ask for another attempt.
const NO_RETRY = ["result.reference_photo", "result.already_completed"];

// A view is what the page shows: a status (the colour), a title and a message (message
// ids), and which ways on it offers.
function outcomeView(o) {
  switch (o.status) {
    case "passed":
      return { status: "passed", title: "demo.return.passed.title", message: "demo.return.passed", done: true };
    case "expired":
      return { status: "expired", title: "demo.return.expired.title", message: o.message || "demo.return.expired", retry: true, done: true };
    case "failed": {
      const headline = `category.${o.category}.title`;
      return {
        status: "failed",
        title: i18n.has(headline) ? headline : "demo.return.failed.title",
        message: o.message || "demo.return.failed",
        retry: !NO_RETRY.includes(o.message),
        done: true,
        // Camera trouble is what fails a face check; it has nothing to do with a document.
        help: o.category === "liveness",
      };
    }
  }
  return errorView("internal", false);
}

function errorView(code, canCheckAgain) {
  if (!i18n.has(`error.${code}.title`)) code = "internal";
  return {
    status: "error",
    title: `error.${code}.title`,
    message: `error.${code}.message`,
    retry: !CONTACT_SHOP.includes(code),
    again: canCheckAgain && TRANSIENT.includes(code),
    done: true,
  };
}

const PENDING = { status: "pending", title: "demo.return.pending.title", message: "demo.return.pending", again: true, done: true };
const UNREACHABLE = { status: "error", title: "demo.return.error.title", message: "demo.return.error", again: true, done: true };
const MISSING = { status: "missing", title: "demo.return.missing.title", message: "demo.return.missing", retry: true, done: true };

function show(v) {
  el("outcome").dataset.status = v.status;
  el("title").textContent = i18n.t(v.title);
  el("message").textContent = i18n.t(v.message);
  el("again").hidden = !v.again;
  el("again").disabled = false;
  el("retry").hidden = !v.retry;
  const done = el("done");
  done.hidden = !v.done;
  // After a pass the shop is where the user goes next: the main button.
  done.className = `${v.status === "passed" ? "primary" : "secondary"} button`;
  el("help").hidden = !v.help;
  el("title").focus();
}

// messageOf finds the catalogue's id of a summary's message. /result says it in the
// language the verification started in (summary.lang), in the catalogue's words, so its id
// says it in the language this page speaks now.
async function messageOf(summary) {
  try {
    const words = await i18n.messagesOf(summary.lang || "en");
    return Object.keys(words).find((id) => id.startsWith("result.") && words[id] === summary.message) || "";
  } catch {
    return ""; // the status's general words then
  }
}

// While the verification is pending the page asks again by itself, as often as /result's
// Retry-After says and a few times at most (a user who came back early may finish later,
// or never), then leaves it to Check again. Asking by itself it changes nothing on the
// page until the answer does, so a screen reader is not interrupted.
const AUTO_CHECKS = 5;
let autoChecks = 0;
let autoTimer = 0;

async function check(quietly = false) {
  clearTimeout(autoTimer);
  if (!quietly) {
    el("outcome").dataset.status = "loading";
    el("title").textContent = i18n.t("ui.checking_again.status");
    el("again").disabled = true;
  }
  const url = new URL("result", api);
  url.searchParams.set("token", current.token);
  url.searchParams.set("ticket", current.ticket);
  let res, body;
  try {
    res = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
    body = await res.json();
  } catch {
    // The coarse status of the redirect still says how it ended when /result is away.
    if (["passed", "failed", "expired"].includes(current.coarse)) show(outcomeView({ status: current.coarse }));
    else show(UNREACHABLE);
    return;
  }
  if (!res.ok) {
    show(errorView(body && body.error ? body.error.code : "internal", true));
    return;
  }
  if (body.status === "pending") {
    if (!quietly) show(PENDING);
    if (autoChecks < AUTO_CHECKS) {
      autoChecks++;
      const wait = Math.min(Math.max(Number(res.headers.get("Retry-After")) || 3, 1), 30);
      autoTimer = setTimeout(() => check(true), wait * 1000);
    }
    return;
  }
  const outcome = { status: body.status, category: body.category || "", message: await messageOf(body) };
  // Final: kept, so the page shows it again after a reload or once the ticket has expired.
  i18n.storage("set", OUTCOME + current.token, JSON.stringify(outcome));
  show(outcomeView(outcome));
}

async function main() {
  try {
    await i18n.load(lang);
    i18n.rememberLanguage(lang);
    i18n.apply();
  } catch {
    i18n.reveal(); // the HTML's English words, and no message: better than nothing
  }
  el("again").addEventListener("click", () => check());
  if (!current) {
    show(MISSING);
  } else if (current.error) {
    show(errorView(current.error, false));
  } else {
    const kept = readJSON(OUTCOME + current.token);
    if (kept) show(outcomeView(kept));
    else await check();
  }
}

main();
