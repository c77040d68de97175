// Return page: Tencent's page sends the user to /callback, which redirects here with
// token, ticket and a coarse status. The ticket lets this page read a summary of the
// result from GET /result; the full result is only for the merchant's backend.
const api = new URL(document.querySelector('meta[name="facegate-api"]').content, location.href);
const params = new URLSearchParams(location.search);
const token = params.get("token");
const ticket = params.get("ticket");
const coarse = params.get("status");

// Take the token and ticket out of the address bar, the history and any bookmark.
history.replaceState(null, "", location.pathname);

const el = (id) => document.getElementById(id);

const TITLES = {
  passed: "You're verified",
  failed: "Verification didn't succeed",
  pending: "Still processing",
  expired: "This verification has expired",
  error: "We couldn't get your result",
  missing: "No verification to show",
};

const MESSAGES = {
  passed: "Thank you. You can continue shopping.",
  failed: "Please try again.",
  pending: "Your check is not finished yet. Wait a moment, then check again.",
  expired: "The verification was not completed in time. Please start again.",
  error: "Please check your connection and try again.",
  missing: "This page shows the outcome of a verification. Start one from the shop.",
};

function show(status, message, code) {
  const known = Object.prototype.hasOwnProperty.call(TITLES, status) ? status : "error";
  el("outcome").dataset.status = known;
  el("title").textContent = TITLES[known];
  el("message").textContent = message || MESSAGES[known];
  el("code").hidden = !code;
  el("code").textContent = code ? `Reason code: ${code}` : "";
  el("retry").hidden = known === "passed" || known === "pending";
  el("done").hidden = known !== "passed";
  el("again").hidden = known !== "pending" && known !== "error";
  // Camera and browser trouble is the usual cause of a failed check.
  el("help").hidden = known !== "failed" && known !== "error";
  el("title").focus();
}

async function load() {
  const url = new URL("result", api);
  url.searchParams.set("token", token);
  url.searchParams.set("ticket", ticket);
  let body;
  try {
    const res = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
    body = await res.json();
    if (!res.ok) {
      const err = body && body.error ? body.error : {};
      // An expired verification or ticket can only be fixed by starting again.
      show(err.code === "token_expired" || err.code === "invalid_ticket" ? "expired" : "error", err.message, err.code);
      return;
    }
  } catch {
    // The coarse status from the redirect is still worth showing when /result is unreachable.
    if (coarse && coarse !== "pending") show(coarse);
    else show("error");
    return;
  }
  // The summary has a status, a category of failure and a message written for the user.
  show(body.status, body.message, body.status === "failed" ? body.category : "");
}

if (!token || !ticket) {
  show("missing");
} else {
  el("again").addEventListener("click", () => {
    el("outcome").dataset.status = "loading";
    el("title").textContent = "Checking your result…";
    load();
  });
  load();
}
