// The login page: username + password -> POST /api/v1/auth/login -> token kept in
// localStorage (api.js) -> back to the page the user came from.
import { ApiError, api, sameOriginPath, saveSession } from "./api.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");

/** Only a path on this hub: never an address elsewhere ("//evil", "/\t/evil", "https://...").
 * Without one (or back to the overview), an operator lands on the handheld page, the
 * page of their work; supervisors and admins on the overview. */
function nextPath(role) {
  const next = sameOriginPath(new URLSearchParams(location.search).get("next") || "/");
  return next === "/" && role === "operator" ? "/handheld" : next;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const answer = await api("/api/v1/auth/login", {
      method: "POST", on401: "throw",
      body: { username: form.username.value.trim(), password: form.password.value },
    });
    saveSession(answer);
    location.assign(nextPath(answer.role));
  } catch (err) {
    error.textContent = err instanceof ApiError && err.status === 401
      ? "Wrong user name or password." : err.message;
    error.hidden = false;
    button.disabled = false;
  }
});
document.getElementById("username").focus();
