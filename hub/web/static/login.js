// The login page: username + password -> POST /api/v1/auth/login -> token kept in
// localStorage (api.js) -> back to the page the user came from. An expired password
// (403 password_expired) may only be changed: the page then asks for a new one
// (POST /api/v1/auth/password, with the current one), which logs in as well. When the
// hub ended the last session (idle timeout), the page says so.
import { ApiError, api, loggedOutNote, sameOriginPath, saveSession } from "./api.js";
import { t } from "./i18n.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
const changeForm = document.getElementById("change-form");
const changeError = document.getElementById("change-error");

/** Only a path on this hub: never an address elsewhere ("//evil", "/\t/evil", "https://...").
 * Without one (or back to the overview), an operator lands on the handheld page, the
 * page of their work; supervisors and admins on the overview. */
function nextPath(role) {
  const next = sameOriginPath(new URLSearchParams(location.search).get("next") || "/");
  return next === "/" && role === "operator" ? "/handheld" : next;
}

function loggedIn(answer) {
  saveSession(answer);
  location.assign(nextPath(answer.role));
}

function showChangeForm(why) {
  form.hidden = true;
  changeForm.hidden = false;
  document.getElementById("change-why").textContent = why;
  document.getElementById("new-password").focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    loggedIn(await api("/api/v1/auth/login", {
      method: "POST", on401: "throw",
      body: { username: form.username.value.trim(), password: form.password.value },
    }));
  } catch (err) {
    button.disabled = false;
    if (err instanceof ApiError && err.code === "password_expired") {
      showChangeForm(err.message);
      return;
    }
    error.textContent = err instanceof ApiError && err.status === 401
      ? t("Wrong user name or password.") : err.message;
    error.hidden = false;
  }
});

changeForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  changeError.hidden = true;
  const fresh = changeForm.new_password.value;
  if (fresh !== changeForm.new_password_again.value) {
    changeError.textContent = t("The two new passwords differ.");
    changeError.hidden = false;
    return;
  }
  const button = changeForm.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    loggedIn(await api("/api/v1/auth/password", {
      method: "POST", on401: "throw",
      body: { username: form.username.value.trim(), password: form.password.value, new_password: fresh },
    }));
  } catch (err) {
    button.disabled = false;
    changeError.textContent = err.message;
    changeError.hidden = false;
  }
});

const note = loggedOutNote();
if (note) {
  const shown = document.getElementById("login-note");
  shown.textContent = note;
  shown.hidden = false;
}
document.getElementById("username").focus();
