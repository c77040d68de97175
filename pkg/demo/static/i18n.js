// The pages' words, in the user's language. Every word comes from facegate's catalogue,
// served as messages/<lang>.json (en, zh-cn, zh-tc, th, id: the five languages of
// Tencent's page). The HTML carries the English words, each element naming its message
// with data-msg (text), data-msg-label (aria-label) or data-msg-alt (an image's alt
// text); apply() replaces them.
//
// The language is, in this order: the one the address names (the return page's lang,
// fixed by the start token), the one chosen earlier in this tab (sessionStorage), the
// browser's preferred languages, English.

export const LANGUAGES = ["en", "zh-cn", "zh-tc", "th", "id"];
const STORED = "facegate.lang";

let file = null; // the messages file in use

// catalogueLanguage maps a BCP 47 tag to a catalogue language, or "": Chinese by script
// or region (Traditional for zh-Hant, zh-TW, zh-HK, zh-MO), Indonesian also as "in",
// the old code some Android WebViews still send. It reads tags as facegate's own pages
// read Accept-Language.
export function catalogueLanguage(tag) {
  const [primary, ...rest] = String(tag || "").toLowerCase().split(/[-_]/);
  switch (primary) {
    case "en":
    case "th":
      return primary;
    case "id":
    case "in":
      return "id";
    case "zh":
      return rest.some((s) => ["hant", "tw", "hk", "mo", "tc"].includes(s)) ? "zh-tc" : "zh-cn";
  }
  return "";
}

// chooseLanguage returns the page's language; named is the address's lang, if any.
export function chooseLanguage(named) {
  if (LANGUAGES.includes(named)) return named;
  const stored = storage("get", STORED);
  if (LANGUAGES.includes(stored)) return stored;
  for (const tag of navigator.languages || [navigator.language]) {
    const lang = catalogueLanguage(tag);
    if (lang) return lang;
  }
  return "en";
}

// rememberLanguage keeps lang for the other pages of this tab.
export function rememberLanguage(lang) {
  storage("set", STORED, lang);
}

// storage reads or writes sessionStorage, which a browser may refuse (private modes,
// storage switched off): the pages then work without it.
export function storage(op, key, value) {
  try {
    if (op === "get") return sessionStorage.getItem(key);
    if (op === "set") sessionStorage.setItem(key, value);
  } catch {
    // no storage: nothing is remembered
  }
  return null;
}

// load fetches the messages of lang, and makes them the page's.
export async function load(lang) {
  const res = await fetch(new URL(`messages/${lang}.json`, import.meta.url));
  if (!res.ok) throw new Error(`messages/${lang}.json: HTTP ${res.status}`);
  file = await res.json();
  return file;
}

// messagesOf fetches another language's messages without changing the page's.
export async function messagesOf(lang) {
  if (file && file.lang === lang) return file.messages;
  const res = await fetch(new URL(`messages/${lang}.json`, import.meta.url));
  if (!res.ok) throw new Error(`messages/${lang}.json: HTTP ${res.status}`);
  return (await res.json()).messages;
}

// t returns the text of a message id in the page's language ("" for an unknown id).
export function t(id) {
  return (file && file.messages[id]) || "";
}

// has tells whether the catalogue has id.
export function has(id) {
  return Boolean(file && file.messages[id]);
}

// current is the messages file in use: lang, htmlLang, languages, documents, messages.
export function current() {
  return file;
}

// apply puts the page's language on <html>, its words in every element that names one,
// and its title (<html data-title>, then the shop's name), and shows the page.
export function apply(root = document) {
  const html = document.documentElement;
  html.lang = file.htmlLang;
  for (const el of root.querySelectorAll("[data-msg]")) el.textContent = t(el.dataset.msg);
  for (const el of root.querySelectorAll("[data-msg-label]")) el.setAttribute("aria-label", t(el.dataset.msgLabel));
  for (const el of root.querySelectorAll("[data-msg-alt]")) el.alt = t(el.dataset.msgAlt);
  const title = html.dataset.title;
  if (title) document.title = title === "demo.shop.title" ? t(title) : `${t(title)} — ${t("demo.shop.title")}`;
  html.dataset.ready = "";
}

// reveal shows the page in English when its messages cannot be loaded: the HTML's own
// words are the English catalogue's.
export function reveal() {
  document.documentElement.dataset.ready = "";
}
