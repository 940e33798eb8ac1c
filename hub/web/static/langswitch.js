// The language switch in every page's header (English / 中文): the choice is stored for
// the logged-in user (PATCH /api/v1/auth/me, so it follows them to other browsers and
// the handheld) and in the `lang` cookie (the login page, before anyone logs in); then
// the page is loaded again, in that language. Without this script the switch's links
// still work: GET /language/{tag} sets the cookie and comes back (hub/web/language.py).
import { api, session } from "./api.js";

const LANGUAGE_COOKIE_AGE_S = 365 * 86400;

async function choose(language) {
  document.cookie = `lang=${encodeURIComponent(language)}; path=/; max-age=${LANGUAGE_COOKIE_AGE_S}; samesite=lax`;
  if (session()) {
    // Offline, or a lapsed token: the cookie still switches this browser.
    await api("/api/v1/auth/me", { method: "PATCH", body: { language }, on401: "throw" }).catch(() => {});
  }
  location.reload();
}

for (const link of document.querySelectorAll("nav.languages a[data-language]")) {
  link.addEventListener("click", (event) => {
    event.preventDefault();
    if (link.getAttribute("aria-current") === "true") return;
    choose(link.dataset.language);
  });
}
