// The one way pages talk to the hub's API: JSON in and out, the login token sent as
// Bearer, errors turned into words. A 401 sends the user back to the login page.
// The login also leaves an HttpOnly session cookie, which the hub accepts for reads
// only: links to reports and downloads open with it; every write here goes as Bearer.
import { t } from "./i18n.js";

const SESSION_KEY = "stockwarden.session";

// The login token lives in localStorage so that a handheld keeps working across
// reloads, closed tabs and dead Wi-Fi (docs/web.md, "The token", for the trade-off).
export function session() {
  try {
    const stored = JSON.parse(localStorage.getItem(SESSION_KEY) || "null");
    if (!stored || !stored.token) return null;
    return stored;
  } catch {
    return null;
  }
}

export function saveSession(answer) {
  localStorage.setItem(SESSION_KEY, JSON.stringify({
    token: answer.token, username: answer.username, role: answer.role,
    expiresAt: answer.expires_at,
  }));
}

export function forgetSession() {
  localStorage.removeItem(SESSION_KEY);
}

/** Log out in this browser: the hub clears its session cookie (the one report links and
 * downloads open with), and the token kept here is forgotten. Offline, the token is
 * forgotten all the same; the cookie then lapses with the token's lifetime. */
export async function logOut() {
  try {
    await fetch("/api/v1/auth/logout", { method: "POST", cache: "no-store" });
  } catch {
    // no network: nothing more to do here
  }
  forgetSession();
}

/** The page's path and query, where the login page sends the user back to. */
function here() {
  return location.pathname + location.search;
}

// Why the hub ended the session (the idle timeout), for the login page to say once.
const LOGGED_OUT_KEY = "stockwarden.logged-out";

/** The hub's words for why this browser was logged out, said once (then forgotten). */
export function loggedOutNote() {
  const note = sessionStorage.getItem(LOGGED_OUT_KEY);
  sessionStorage.removeItem(LOGGED_OUT_KEY);
  return note;
}

export function toLogin() {
  location.assign("/login?next=" + encodeURIComponent(here()));
}

/** Where the login may send the user back to: `next` when it is a path on this hub
 * (`origin`), as the browser resolves it, else "/". A check of the text alone is not
 * enough: the URL parser drops tabs and line breaks ("/\t/evil" becomes "//evil", another
 * host) and reads a backslash as a slash, so such characters refuse the whole address. */
export function sameOriginPath(next, origin = location.origin) {
  if (typeof next !== "string" || !next.startsWith("/") || /[\u0000-\u001f\u007f\\]/.test(next)) return "/";
  let url;
  try {
    url = new URL(next, origin);
  } catch {
    return "/";
  }
  if (url.origin !== origin) return "/";
  return url.pathname + url.search + url.hash;
}

/** The session, or off to the login page (and null). */
export function requireSession() {
  const current = session();
  if (!current) toLogin();
  return current;
}

export function pageConfig() {
  const block = document.getElementById("page-config");
  return block ? JSON.parse(block.textContent || "{}") : {};
}

/** An answer the hub gave: `status` and the error body's `error` code and words. */
export class ApiError extends Error {
  constructor(status, code, words) {
    super(words);
    this.status = status;
    this.code = code;
  }
}

/** No answer at all: the network is down, or the hub is unreachable. */
export class NetworkError extends Error {}

/** One field's problem as a sentence: "Reason needs at least 3 characters" (the hub's
 * plain words joined to the field's name, without the "body." of where it was). */
function fieldProblem(p) {
  const problem = p.problem || p.msg || String(p);
  if (!p.field) return problem;
  const field = p.field.replace(/^(body|query|path)\./, "");
  const words = /^(needs |cannot |can )/.test(problem) ? `${field} ${problem}` : `${field}: ${problem}`;
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The hub's error body `{error, detail}` in words: detail is a string or a list of
 * `{field, problem}` (an invalid request). */
export function inWords(body, status) {
  if (!body || typeof body !== "object") return t("the hub answered {status}", { status });
  const detail = body.detail;
  if (typeof detail === "string" && detail) return detail;
  if (Array.isArray(detail) && detail.length) {
    return detail.map(fieldProblem).join("; ");
  }
  return body.error ? body.error.replaceAll("_", " ") : t("the hub answered {status}", { status });
}

/**
 * Call the API: `api("/api/v1/stock", {method, body, key, on401})`.
 * `key` is sent as Idempotency-Key. Resolves to the JSON answer (with `.replayed`
 * when the hub answered a resend from its record); rejects with ApiError or NetworkError.
 * `on401: "login"` (the default) forgets the token and goes to the login page;
 * `"throw"` leaves that to the caller.
 */
export async function api(path, { method = "GET", body, key, on401 = "login", timeoutMs = 15000 } = {}) {
  // The page's language (<html lang>), for the words of the hub's answers.
  const headers = { Accept: "application/json", "Accept-Language": document.documentElement.lang || "en" };
  const current = session();
  if (current) headers.Authorization = `Bearer ${current.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      signal: abort.signal, cache: "no-store",
    });
  } catch (err) {
    throw new NetworkError(abort.signal.aborted ? t("the hub did not answer in time") : t("no network: the hub cannot be reached"));
  } finally {
    clearTimeout(timer);
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    answer = null;
  }
  if (response.ok) {
    if (answer && typeof answer === "object") {
      Object.defineProperty(answer, "replayed", {
        value: response.headers.get("Idempotent-Replayed") === "true", enumerable: false,
      });
    }
    return answer;
  }
  if (response.status === 401 && answer && answer.error === "session_idle") {
    // The hub ended the page session (no activity for too long): the login page says so.
    // The handheld's queued scans stay in IndexedDB and go after the next login.
    sessionStorage.setItem(LOGGED_OUT_KEY, inWords(answer, 401));
  }
  if (response.status === 401 && on401 === "login") {
    forgetSession();
    toLogin();
  }
  throw new ApiError(response.status, answer && answer.error, inWords(answer, response.status));
}
