// The alarms page's test of the alarm paths (supervisor): "Send test alarm" asks which
// route (every route by default) in the page's dialog, where Enter sends and only
// Cancel or Escape cancels; then the latest tests are shown with each recipient's
// result (delivered, failed and why, confirmed by whom), refreshed until sent.
import { api, session } from "./api.js";
import { ask } from "./dialog.js";
import { canDo, el, newKey, sleep, when } from "./monitor.js";

const EVERY = "every route";
const button = document.getElementById("send-test");
const line = document.getElementById("tests-status");
const list = document.getElementById("tests");

function say(words, tone = "") {
  line.textContent = words;
  line.dataset.tone = tone;
}

function scope(test) {
  if (test.complete) return EVERY;
  return [test.route && `route ${test.route}`, test.group && `group ${test.group}`].filter(Boolean).join(", ");
}

function recipientLine(r) {
  const confirmed = r.confirmed_at ? `confirmed by ${r.confirmed_by} ${when(r.confirmed_at)}` : "not confirmed";
  return el("li", { className: `recipient status-${r.status}` },
    `${r.route} · ${r.group} · ${r.recipient}: ${r.status}${r.error ? ` (${r.error})` : ""} · ${confirmed}`);
}

async function loadTests() {
  const tests = await api("/api/v1/alarms/tests?limit=5");
  list.replaceChildren(...tests.map((t) => {
    const item = el("li", { className: "test" },
      el("p", { className: "row-head", textContent: `Test ${t.id} · ${when(t.requested_at)} by ${t.requested_by} · ${scope(t)}` }),
      el("p", { className: "facts", textContent: `${t.delivered} delivered, ${t.failed} failed, ${t.confirmed} confirmed of ${t.recipients.length}${t.finished_at ? "" : " · sending"}` }),
      el("ul", { className: "rows" }, ...t.recipients.map(recipientLine)));
    item.dataset.id = t.id;
    item.dataset.finished = t.finished_at ? "true" : "false";
    return item;
  }));
  if (!tests.length) list.append(el("li", { className: "empty", textContent: "No alarm path test on record yet." }));
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
  const route = await ask("Send a test alarm: each recipient gets a message saying it is a test, with a link to confirm it arrived. Through which route?", {
    choices: [EVERY, ...routes], value: EVERY, ok: "Send test alarm", label: "Route",
  });
  if (route === null) return;
  const body = route && route !== EVERY ? { route } : {};
  try {
    const test = await api("/api/v1/alarms/test", { method: "POST", body, key: newKey() });
    say(`Test ${test.id} sent to ${test.recipients.length} recipients (${scope(test)})`, "ok");
    for (let i = 0; i < 30; i += 1) {
      const tests = await loadTests();
      if (tests.find((t) => t.id === test.id)?.finished_at) break;
      await sleep(1000);
    }
  } catch (err) {
    say(`Test alarm: ${err.message}`, "error");
  }
}

if (session()) {
  if (canDo(session(), "supervisor")) {
    button.hidden = false;
    button.addEventListener("click", sendTest);
  }
  loadTests().catch((err) => say(err.message, "error"));
}
