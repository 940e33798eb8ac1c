// Every page but the login: who is logged in, the logout button, and a check that
// the token is still good (when the hub can be reached).
import { api, logOut, requireSession } from "./api.js";

const current = requireSession();
if (current) {
  const who = document.getElementById("whoami");
  if (who) who.textContent = `${current.username} · ${current.role}`;
  // The audit trail is for supervisors and admins: an operator is not offered its page.
  if (current.role === "operator") document.querySelector('nav.pages a[href="/audit"]')?.remove();
  // Offline this fails quietly; an expired token answers 401, and api() goes to login.
  api("/api/v1/auth/me").catch(() => {});
}

const logout = document.getElementById("logout");
if (logout) {
  logout.addEventListener("click", async () => {
    const waiting = Number(document.body.dataset.unsent || "0");
    if (waiting > 0 && !confirm(`${waiting} scans are not sent yet. They wait for you to log in again. Log out?`)) {
      return;
    }
    await logOut();
    location.assign("/login");
  });
}
