// The alarms page's test of the alarm paths (supervisor): "Send test alarm" asks which
// route (every route by default) in the page's dialog, where Enter sends and only
// Cancel or Escape cancels; then the latest tests are shown with each recipient's
// result (delivered, failed and why, confirmed by whom), refreshed until sent.
import { api, session } from "./api.js";
import { ask } from "./dialog.js";
import { canDo, el, newKey, sleep, when, words } from "./monitor.js";
import { t } from "./i18n.js";

const EVERY = t("every route");
// A recipient's send, in words.
const SEND_WORDS = { queued: t("queued"), sending: t("sending"), delivered: t("delivered"), failed: t("failed") };
const button = document.getElementById("send-test");
const line = document.getElementById("tests-status");
const list = document.getElementById("tests");

function say(words, tone = "") {
  line.textContent = words;
  line.dataset.tone = tone;
}

function scope(test) {
  if (test.complete) return EVERY;
  return [test.route && t("route {route}", { route: test.route }), test.group && t("group {group}", { group: test.group })].filter(Boolean).join(", ");
}

function recipientLine(r) {
  const confirmed = r.confirmed_at ? t("confirmed by {user} {time}", { user: r.confirmed_by, time: when(r.confirmed_at) }) : t("not confirmed");
  const status = words(SEND_WORDS, r.status);
  return el("li", { className: `recipient status-${r.status}` },
    `${r.route} · ${r.group} · ${r.recipient}: ${r.error ? `${status} (${r.error})` : status} · ${confirmed}`);
}

async function loadTests() {
  const tests = await api("/api/v1/alarms/tests?limit=5");
  list.replaceChildren(...tests.map((test) => {
    const counts = { delivered: test.delivered, failed: test.failed, confirmed: test.confirmed, n: test.recipients.length };
    const item = el("li", { className: "test" },
      el("p", { className: "row-head", textContent: t("Test {id} · {time} by {user} · {scope}", { id: test.id, time: when(test.requested_at), user: test.requested_by, scope: scope(test) }) }),
      el("p", { className: "facts", textContent: test.finished_at ? t("{delivered} delivered, {failed} failed, {confirmed} confirmed of {n}", counts)
        : t("{delivered} delivered, {failed} failed, {confirmed} confirmed of {n} · sending", counts) }),
      el("ul", { className: "rows" }, ...test.recipients.map(recipientLine)));
    item.dataset.id = test.id;
    item.dataset.finished = test.finished_at ? "true" : "false";
    return item;
  }));
  if (!tests.length) list.append(el("li", { className: "empty", textContent: t("No alarm path test on record yet.") }));
  return tests;
}

async function routeNames() {
  try {
    return ((await api("/api/v1/alarms/rules")).rules.routes || []).map((r) => r.name);
  } catch {
    return [];
  }
}

async function sendTest() {
  const routes = await routeNames();
  const route = await ask(t("Send a test alarm: each recipient gets a message saying it is a test, with a link to confirm it arrived. Through which route?"), {
    choices: [EVERY, ...routes], value: EVERY, ok: t("Send test alarm"), label: t("Route"),
  });
  if (route === null) return;
  const body = route && route !== EVERY ? { route } : {};
  try {
    const test = await api("/api/v1/alarms/test", { method: "POST", body, key: newKey() });
    say(t("Test {id} sent to {n} recipients ({scope})", { id: test.id, n: test.recipients.length, scope: scope(test) }), "ok");
    for (let i = 0; i < 30; i += 1) {
      const tests = await loadTests();
      if (tests.find((shown) => shown.id === test.id)?.finished_at) break;
      await sleep(1000);
    }
  } catch (err) {
    say(t("Test alarm: {reason}", { reason: err.message }), "error");
  }
}

if (session()) {
  if (canDo(session(), "supervisor")) {
    button.hidden = false;
    button.addEventListener("click", sendTest);
  }
  loadTests().catch((err) => say(err.message, "error"));
}
