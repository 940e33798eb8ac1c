// Every page but the login: who is logged in, the logout button, and a check that
// the token is still good (when the hub can be reached).
import { api, logOut, requireSession } from "./api.js";
import { t } from "./i18n.js";

// The roles in the page's words.
const ROLE_NAMES = { operator: t("operator"), supervisor: t("supervisor"), admin: t("admin") };

const current = requireSession();
if (current) {
  const who = document.getElementById("whoami");
  if (who) who.textContent = `${current.username} · ${ROLE_NAMES[current.role] || current.role}`;
  // The audit trail is for supervisors and admins: an operator is not offered its page.
  if (current.role === "operator") document.querySelector('nav.pages a[href="/audit"]')?.remove();
  // Nor the master data's (the page reads for them, but changes are an admin's).
  if (current.role === "operator") document.querySelector('nav.pages a[href="/settings/zones"]')?.remove();
  // Users are an admin's; the alarm rules read for supervisors (an admin changes them).
  // Both are links of the settings pages' own row (settings_nav.html).
  if (current.role !== "admin") document.querySelector('nav.settings-nav a[href="/settings/users"]')?.remove();
  if (current.role === "operator") document.querySelector('nav.settings-nav a[href="/settings/alarms"]')?.remove();
  // Offline this fails quietly; an expired token answers 401, and api() goes to login.
  api("/api/v1/auth/me").catch(() => {});
  watchIdle();
}

/** The idle timeout is the hub's (setting session_idle_s): the page tells it when its
 * user types, clicks or scans (at most once a minute, or a quarter of the timeout if
 * shorter: POST /auth/activity), and asks
 * now and then whether the session still holds; once the hub has ended it, the next
 * answer is 401 session_idle and api() goes to the login page, which says why. The
 * page's own background reads are no activity. */
function watchIdle() {
  const idleS = Number(document.body.dataset.idleS || "0");
  if (idleS <= 0) return; // no idle timeout on this hub
  const everyMs = Math.max(1000, Math.min(60_000, (idleS * 1000) / 4));
  let lastPing = 0;
  const active = () => {
    const now = Date.now();
    if (now - lastPing < everyMs) return;
    lastPing = now;
    api("/api/v1/auth/activity", { method: "POST" }).catch(() => {});
  };
  for (const type of ["pointerdown", "keydown"]) {
    document.addEventListener(type, active, { capture: true, passive: true });
  }
  active(); // opening a page is the user's doing
  setInterval(() => api("/api/v1/auth/me").catch(() => {}), Math.min(everyMs, 30_000));
}

const logout = document.getElementById("logout");
if (logout) {
  logout.addEventListener("click", async () => {
    const waiting = Number(document.body.dataset.unsent || "0");
    if (waiting > 0 && !confirm(t("{n} scans are not sent yet. They wait for you to log in again. Log out?", { n: waiting }))) {
      return;
    }
    await logOut();
    location.assign("/login");
  });
}
