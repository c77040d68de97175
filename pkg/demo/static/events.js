// Merchant view: the webhook events the demo shop's backend received at POST /demo/webhook
// and verified, read from GET webhook/events every few seconds. A real merchant keeps
// these in its database; the demo keeps the last 100 in memory.
const REFRESH_MS = 3000;
const feedURL = new URL("webhook/events", location.href);
const el = (id) => document.getElementById(id);

function node(tag, text, className) {
  const n = document.createElement(tag);
  if (text !== undefined) n.textContent = text;
  if (className) n.className = className;
  return n;
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

// One event as a card: what happened, to which order, and how the delivery arrived.
// Every value goes in as text: reference and session come from outside this page.
function card(e) {
  const li = node("li", undefined, "event");
  li.dataset.status = e.status;
  li.append(node("h2", e.category ? `${e.type} (${e.category})` : e.type));
  const dl = node("dl");
  const row = (term, value) => {
    dl.append(node("dt", term));
    const dd = node("dd");
    dd.append(value);
    dl.append(dd);
  };
  row("Reference", e.reference || "none");
  row("Session", node("code", e.session));
  const received = node("time", new Date(e.received).toLocaleString());
  received.dateTime = e.received;
  row("Received", received);
  row("Attempt", String(e.attempt || "not given"));
  row("Signature", e.verified ? "verified" : "not verified");
  row("Event id", node("code", e.id));
  li.append(dl);
  return li;
}

function render(feed) {
  el("events").replaceChildren(...feed.events.map(card));
  el("empty").hidden = feed.events.length > 0;
  let summary = `${plural(feed.events.length, "event", "events")} received and verified.`;
  if (feed.refused > 0) {
    summary += ` ${plural(feed.refused, "delivery", "deliveries")} refused`;
    summary += feed.lastRefusal ? ` (last: ${feed.lastRefusal}).` : ".";
  }
  say(summary);
}

// The summary is a live region: change it only when it says something new.
function say(text) {
  if (el("summary").textContent !== text) el("summary").textContent = text;
}

async function refresh() {
  if (!document.hidden) {
    try {
      const res = await fetch(feedURL, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      render(await res.json());
    } catch {
      say("The shop's backend is not answering. Trying again…");
    }
  }
  setTimeout(refresh, REFRESH_MS);
}

refresh();
