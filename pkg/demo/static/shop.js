// The shop's own page, where "Back to the shop" leads: in the language the user chose.
import * as i18n from "./i18n.js";

i18n
  .load(i18n.chooseLanguage(new URLSearchParams(location.search).get("lang")))
  .then(() => i18n.apply())
  .catch(() => i18n.reveal()); // without its words the page still shows, in English
