// The words a script shows, in the page's language. The hub puts the catalogue of the
// page's language (English text → translated text) in the #i18n-catalog data block;
// t() looks a text up there (English when it has no translation) and fills its {name}
// placeholders: t("{n} lots on hold", { n: 3 }).
const block = document.getElementById("i18n-catalog");
const catalog = block ? JSON.parse(block.textContent || "{}") : {};

export function t(text, params = {}) {
  const found = catalog[text] || text;
  return found.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}
