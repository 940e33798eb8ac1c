// Users and tokens (/settings/users): who may log in and with which role, their state
// (active, deactivated, locked after wrong passwords), their password's age, and the
// API tokens of people and machines. The API's user routes are admin-only, so the page
// is an admin's: anyone else is told so and offered nothing. A new token (a new user's
// first one, or another) is shown once, with a copy button: the hub keeps no copy.
// A password the policy refuses is said in the hub's words, in the form, which stays
// open with what was typed.
import { ApiError, api, pageConfig, session } from "./api.js";
import { editForm } from "./editform.js";
import { t } from "./i18n.js";
import { canDo, el, newKey, when } from "./monitor.js";

const config = pageConfig();
const statusLine = document.getElementById("users-status");
const ROLES = ["operator", "supervisor", "admin"];
let users = [];
let shownTokensOf = null; // the username whose tokens are listed
const admin = () => canDo(session(), "admin");

function say(words, tone = "") {
  statusLine.textContent = words;
  statusLine.dataset.tone = tone;
}

const enc = encodeURIComponent;
const roleWords = (role) => ({ operator: t("operator"), supervisor: t("supervisor"), admin: t("admin") })[role] || role;
const kindWords = (kind) => (kind === "machine" ? t("machine") : t("person"));

// --- words ---------------------------------------------------------------------------

function lockedNow(user) {
  return Boolean(user.locked_until) && new Date(user.locked_until) > new Date();
}

function stateWords(user) {
  if (!user.active) return t("deactivated");
  if (lockedNow(user)) return t("locked until {time} (wrong passwords)", { time: when(user.locked_until) });
  return t("active");
}

function passwordWords(user) {
  if (user.kind === "machine") return t("none: tokens only");
  if (!user.password_changed_at) return t("not set");
  const days = config.passwordMaxAgeDays || 0;
  const set = when(user.password_changed_at);
  if (days <= 0) return t("set {time}; does not expire", { time: set });
  const expires = new Date(new Date(user.password_changed_at).getTime() + days * 86_400_000);
  if (expires <= new Date()) return t("expired {time}: must be changed at the next login", { time: when(expires.toISOString()) });
  return t("set {time}; expires {expiry}", { time: set, expiry: when(expires.toISOString()) });
}

function tokenKind(label) {
  if (label === "web") return t("page session");
  if (label === "api") return t("API token");
  return label;
}

function tokenState(token) {
  if (token.revoked) return t("revoked");
  if (token.expires_at && new Date(token.expires_at) <= new Date()) return t("expired");
  return t("valid");
}

// --- the tables ----------------------------------------------------------------------

const HEADS = {};
for (const id of ["users", "tokens"]) {
  HEADS[id] = [...document.querySelectorAll(`#${id} thead th`)].map((th) => th.textContent);
}

function row(table, key, cells, buttons) {
  const tr = el("tr", {}, ...cells.map((c, n) => {
    const td = el("td", { textContent: c ?? "" });
    td.dataset.label = HEADS[table][n];
    return td;
  }), el("td", { className: "act" }, ...buttons));
  tr.dataset.key = key;
  return tr;
}

function button(act, words, label, onclick) {
  const node = el("button", { type: "button", className: "small", textContent: words, ariaLabel: label, onclick });
  node.dataset.act = act;
  return node;
}

function userButtons(user) {
  if (!admin()) return [];
  const name = user.username;
  const buttons = [button("edit", t("Edit"), t("Edit user {name}", { name }), () => editUser(user))];
  if (user.kind !== "machine") buttons.push(button("password", t("New password"), t("Set a new password for {name}", { name }), () => resetPassword(user)));
  if (lockedNow(user)) buttons.push(button("unlock", t("Unlock"), t("Unlock {name}", { name }), () => unlock(user)));
  buttons.push(user.active
    ? button("deactivate", t("Deactivate"), t("Deactivate {name}", { name }), () => setActive(user, false))
    : button("reactivate", t("Reactivate"), t("Reactivate {name}", { name }), () => setActive(user, true)));
  buttons.push(button("tokens", t("Tokens"), t("Tokens of {name}", { name }), () => showTokens(name)));
  return buttons;
}

function renderUsers() {
  document.querySelector("#users tbody").replaceChildren(...users.map((u) => row("users", u.username, [
    u.username, u.full_name ?? "", kindWords(u.kind), roleWords(u.role), stateWords(u), passwordWords(u),
  ], userButtons(u))));
  document.getElementById("new-user").hidden = !admin();
}

async function loadUsers() {
  users = await api("/api/v1/users");
  renderUsers();
}

async function showTokens(username) {
  shownTokensOf = username;
  const tokens = await api(`/api/v1/users/${enc(username)}/tokens`);
  document.getElementById("tokens-title").textContent = t("Tokens of {name}", { name: username });
  document.querySelector("#tokens tbody").replaceChildren(...tokens.map((token) => row("tokens", String(token.id), [
    `#${token.id}`, tokenKind(token.label), when(token.created_at),
    token.expires_at ? when(token.expires_at) : t("never"), tokenState(token),
  ], token.revoked || !admin() ? [] : [button("revoke", t("Revoke"), t("Revoke token {id} of {name}", { id: token.id, name: username }),
    () => revoke(username, token))])));
  const panel = document.getElementById("tokens-panel");
  panel.hidden = false;
  panel.scrollIntoView({ block: "nearest" });
}

// --- the secret, shown once ------------------------------------------------------------

const secretDialog = document.getElementById("secret");
const secretBox = document.getElementById("secret-token");
const copied = document.getElementById("secret-copied");

async function copySecret() {
  try {
    await navigator.clipboard.writeText(secretBox.value);
  } catch {
    // No clipboard API (a page over plain http): the browser's own copy of the selection.
    secretBox.select();
    document.execCommand("copy");
  }
  copied.textContent = t("Copied. Paste it where it is needed now.");
}

document.getElementById("secret-copy").addEventListener("click", copySecret);

/** The new token in its dialog, until Done or Escape; then it is gone from the page. */
function showSecret(issued) {
  document.getElementById("secret-title").textContent = t("New API token of {name}", { name: issued.username });
  secretBox.value = issued.token;
  copied.textContent = "";
  return new Promise((resolve) => {
    secretDialog.addEventListener("close", () => { secretBox.value = ""; resolve(); }, { once: true });
    secretDialog.showModal();
    secretBox.select();
  });
}

// --- the forms ---------------------------------------------------------------------------

function passwordHint() {
  return t("at least {n} characters; not the user name, not a common password", { n: config.passwordMinLength || 12 });
}

/** The form until the hub takes what it sends: `send(values)` resolves to the hub's
 * answer; a refusal shows the hub's words in the form, which opens again with what was
 * typed (a password is typed again). Resolves to the answer, or null when cancelled. */
async function formUntilTaken(title, fields, send, ok) {
  let error = "";
  for (;;) {
    const shown = editForm(title, fields, { ok });
    if (error) {
      const box = document.getElementById("edit-error");
      box.textContent = error;
      box.hidden = false;
    }
    const values = await shown;
    if (values === null) return null;
    try {
      return await send(values);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      error = err.message;
      for (const field of fields) if (field.type !== "password") field.value = values[field.name];
    }
  }
}

async function newUser() {
  const fields = [
    { name: "username", label: t("User name"), required: true, pattern: "[A-Za-z0-9][A-Za-z0-9_.@\\-]{0,63}",
      hint: t("letters, digits and . _ @ -") },
    { name: "kind", label: t("Kind"), type: "select", value: "person", required: true,
      options: [["person", t("person: logs in with a password")], ["machine", t("machine: API tokens only")]] },
    { name: "role", label: t("Role"), type: "select", value: "operator", required: true, options: ROLES.map((r) => [r, roleWords(r)]) },
    { name: "full_name", label: t("Full name"), maxLength: 200, hint: t("a person's name, shown on their signatures") },
    { name: "password", label: t("Password"), type: "password", maxLength: 200, hint: passwordHint() },
  ];
  const issued = await formUntilTaken(t("New user"), fields, (values) => {
    const body = { username: values.username, kind: values.kind, role: values.role };
    if (values.full_name) body.full_name = values.full_name;
    if (values.password) body.password = values.password;
    return api("/api/v1/users", { method: "POST", body, key: newKey() });
  }, t("Create"));
  if (issued === null) return;
  await loadUsers();
  say(t("Created user {name}", { name: issued.username }), "ok");
  await showSecret(issued);
  await showTokens(issued.username);
}

async function patch(user, body) {
  const saved = await api(`/api/v1/users/${enc(user.username)}`, { method: "PATCH", body, key: newKey() });
  await loadUsers();
  return saved;
}

async function editUser(user) {
  const fields = [
    { name: "role", label: t("Role"), type: "select", value: user.role, required: true, options: ROLES.map((r) => [r, roleWords(r)]) },
    { name: "full_name", label: t("Full name"), value: user.full_name ?? "", maxLength: 200,
      hint: t("shown on their signatures") },
  ];
  const saved = await formUntilTaken(t("User {name}", { name: user.username }), fields, (values) => {
    const body = {};
    if (values.role !== user.role) body.role = values.role;
    if (values.full_name && values.full_name !== (user.full_name ?? "")) body.full_name = values.full_name;
    if (!Object.keys(body).length) return Promise.resolve(false);
    return patch(user, body);
  });
  if (saved === null) return;
  say(saved === false ? t("Nothing changed for {name}", { name: user.username }) : t("Saved user {name}", { name: user.username }), saved === false ? "" : "ok");
}

async function resetPassword(user) {
  const saved = await formUntilTaken(t("New password for {name}", { name: user.username }), [
    { name: "password", label: t("New password"), type: "password", required: true, maxLength: 200, hint: passwordHint() },
  ], (values) => patch(user, { password: values.password }));
  if (saved !== null) say(t("New password set for {name}", { name: user.username }), "ok");
}

/** A yes-or-no in the edit dialog: Enter confirms, Escape cancels. */
async function confirmed(title, ok) {
  const answer = editForm(title, [], { ok });
  document.getElementById("edit-ok").focus(); // no field: Enter confirms
  return (await answer) !== null;
}

async function act(user, body, done) {
  try {
    await patch(user, body);
    say(done, "ok");
    if (shownTokensOf === user.username) await showTokens(user.username);
  } catch (err) {
    say(t("Not changed: {name}: {problem}", { name: user.username, problem: err.message }), "error");
  }
}

async function setActive(user, active) {
  const name = user.username;
  if (!active) {
    if (!(await confirmed(t("Deactivate {name}? They can no longer log in, and all their tokens are revoked at once.", { name }), t("Deactivate")))) return;
    await act(user, { active: false }, t("Deactivated {name}", { name }));
  } else {
    await act(user, { active: true }, t("Reactivated {name}; their old tokens stay revoked", { name }));
  }
}

async function unlock(user) {
  await act(user, { unlock: true }, t("Unlocked {name}", { name: user.username }));
}

async function newToken() {
  const username = shownTokensOf;
  if (!username) return;
  try {
    const issued = await api(`/api/v1/users/${enc(username)}/tokens`, { method: "POST", key: newKey() });
    await showTokens(username);
    say(t("Made a new token for {name}", { name: username }), "ok");
    await showSecret(issued);
  } catch (err) {
    say(t("No token made for {name}: {problem}", { name: username, problem: err.message }), "error");
  }
}

async function revoke(username, token) {
  if (!(await confirmed(t("Revoke token {id} of {name}? Whatever uses it is refused from now on.", { id: token.id, name: username }), t("Revoke")))) return;
  try {
    await api(`/api/v1/users/${enc(username)}/tokens/${token.id}`, { method: "DELETE", key: newKey() });
    say(t("Revoked token {id} of {name}", { id: token.id, name: username }), "ok");
  } catch (err) {
    say(t("Token {id} not revoked: {problem}", { id: token.id, problem: err.message }), "error");
  }
  await showTokens(username);
}

// --- start -----------------------------------------------------------------------------

if (session()) {
  document.getElementById("new-user").addEventListener("click", newUser);
  document.getElementById("new-token").addEventListener("click", newToken);
  if (!admin()) {
    document.getElementById("who-edits").append(" ", t("You are logged in as {role}: an admin manages users and tokens.", { role: roleWords(session().role) }));
  } else {
    try {
      await loadUsers();
    } catch (err) {
      say(err.message, "error");
    }
  }
  document.body.dataset.ready = "true";
}
