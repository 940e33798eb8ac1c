// The alarms page: open alarms with live state (the alarm feed, no reload), filters,
// acknowledge with a comment, shelve (supervisor), a zone's excursions, and the lots
// on hold with release / reject (supervisor, with a reason). A release, a reject and a
// critical alarm's acknowledgement are signed: the same dialog asks the password and
// the signature's meaning (sign.js).
import { api, pageConfig, session } from "./api.js";
import { ask, retell } from "./dialog.js";
import { signDialog, signature } from "./sign.js";
import {
  KIND_WORDS, OPEN_STATES, QUANTITY_WORDS, SEVERITY_WORDS, STATE_WORDS, canDo, duration, el, followAlarms, newKey, when, words,
} from "./monitor.js";
import { t } from "./i18n.js";

const config = pageConfig();
const list = document.getElementById("alarms");
const statusLine = document.getElementById("alarms-status");
const filters = {
  state: document.getElementById("f-state"), zone: document.getElementById("f-zone"),
  severity: document.getElementById("f-severity"), kind: document.getElementById("f-kind"),
};
const alarms = new Map();  // id -> alarm, those the filter shows
const signing = config.signing || { required: [], ackSeverities: [] };
const signs = (action) => signing.required.includes(action);

function say(line, words, tone = "") {
  line.textContent = words;
  line.dataset.tone = tone;
}

function filterValues() {
  return Object.fromEntries(Object.entries(filters).map(([name, select]) => [name, select.value]));
}

function matches(alarm) {
  if (alarm.id === config.focus) return true;  // the alarm a message linked to
  const f = filterValues();
  const stateOk = f.state === "all" || (f.state === "open" ? OPEN_STATES.includes(alarm.state) : alarm.state === f.state);
  return stateOk && (!f.zone || alarm.zone === f.zone) && (!f.severity || alarm.severity === f.severity)
    && (!f.kind || alarm.kind === f.kind);
}

// --- the list -------------------------------------------------------------------------

function valueWords(alarm) {
  if (alarm.value === null || alarm.value === undefined) return "";
  // An offline alarm's value is a silence in seconds: say so, not "value 0, limit 9".
  if (alarm.kind === "offline") {
    return alarm.limit ? t("silent {time} (limit {limit})", { time: duration(alarm.value), limit: duration(alarm.limit) })
      : t("silent {time}", { time: duration(alarm.value) });
  }
  return alarm.limit === null || alarm.limit === undefined ? t("value {value}", { value: alarm.value })
    : t("value {value}, limit {limit}", { value: alarm.value, limit: alarm.limit });
}

function alarmItem(alarm) {
  const me = session();
  const actions = el("div", { className: "actions" });
  if (alarm.state === "active" || alarm.state === "cleared") {
    actions.append(el("button", { type: "button", className: "primary ack", textContent: alarm.state === "active" ? t("Acknowledge") : t("Acknowledge & close"), onclick: () => acknowledge(alarm) }));
  }
  if (alarm.state !== "closed" && canDo(me, "supervisor")) {
    actions.append(alarm.shelved
      ? el("button", { type: "button", className: "unshelve", textContent: t("Unshelve"), onclick: () => unshelve(alarm) })
      : el("button", { type: "button", className: "shelve", textContent: t("Shelve"), onclick: () => shelve(alarm) }));
  }
  const facts = [
    t("raised {time}", { time: when(alarm.raised_at) }),
    valueWords(alarm),
    alarm.acked_by ? (alarm.ack_comment ? t("acknowledged by {user}: “{comment}”", { user: alarm.acked_by, comment: alarm.ack_comment })
      : t("acknowledged by {user}", { user: alarm.acked_by })) : "",
    alarm.shelved ? t("shelved by {user} until {time}: {reason}", { user: alarm.shelved_by, time: when(alarm.shelved_until), reason: alarm.shelve_reason }) : "",
    alarm.cleared_at ? t("cleared {time}", { time: when(alarm.cleared_at) }) : "",
  ].filter(Boolean);
  return el("li", { className: "alarm" },
    el("p", { className: "alarm-head" },
      el("span", { className: `badge sev-${alarm.severity}`, textContent: words(SEVERITY_WORDS, alarm.severity) }),
      el("span", { className: `badge state-${alarm.state}`, textContent: words(STATE_WORDS, alarm.state) }),
      alarm.shelved ? el("span", { className: "badge shelved", textContent: t("shelved") }) : null,
      el("span", { className: "where", textContent: [alarm.zone, alarm.gateway, words(KIND_WORDS, alarm.kind)].filter(Boolean).join(" · ") })),
    el("p", { className: "message", textContent: alarm.message }),
    el("p", { className: "facts", textContent: facts.join(" · ") }),
    actions);
}

function render() {
  // The linked alarm first, then the newest change first.
  const shown = [...alarms.values()].sort((a, b) => (b.id === config.focus) - (a.id === config.focus)
    || (b.updated_at > a.updated_at ? 1 : -1));
  list.replaceChildren(...shown.map((alarm) => {
    const item = alarmItem(alarm);
    item.dataset.id = alarm.id;
    item.dataset.state = alarm.state;
    item.dataset.severity = alarm.severity;
    if (alarm.id === config.focus) item.classList.add("focus");
    return item;
  }));
  if (!shown.length) list.append(el("li", { className: "empty", textContent: t("No alarms match the filter.") }));
}

async function load() {
  const query = new URLSearchParams(Object.entries(filterValues()).filter(([, v]) => v));
  const rows = await api(`/api/v1/alarms?${query}`);
  alarms.clear();
  for (const alarm of rows) alarms.set(alarm.id, alarm);
  if (config.focus && !alarms.has(config.focus)) {
    try {
      alarms.set(config.focus, (await api(`/api/v1/alarms/${config.focus}`)).alarm);
    } catch (err) {
      say(statusLine, t("Alarm {id}: {reason}", { id: config.focus, reason: err.message }), "error");
    }
  }
  render();
}

// The alarm a dialog is asking about: told anew when it changes while the dialog is
// open (it may turn critical while someone types the comment to its warning).
let asking = null;  // { id, question(alarm) }

function changed(updated) {
  for (const alarm of updated) {
    if (asking && alarm.id === asking.id) {
      retell(asking.question(alarm), t("Changed while you were typing: now {severity}, {state}.", { severity: words(SEVERITY_WORDS, alarm.severity), state: words(STATE_WORDS, alarm.state) }));
    }
    if (matches(alarm)) alarms.set(alarm.id, alarm);
    else alarms.delete(alarm.id);
  }
  render();
  if (updated.some((a) => a.zone && a.zone === excursionZone.value)) loadExcursions();
  if (updated.some((a) => a.kind === "threshold")) loadHeld();
}

// --- acting on an alarm -----------------------------------------------------------------

async function act(alarm, path, body, done) {
  try {
    const after = await api(`/api/v1/alarms/${alarm.id}/${path}`, { method: "POST", body, key: newKey() });
    changed([after]);
    say(statusLine, done, "ok");
  } catch (err) {
    say(statusLine, t("Alarm {id}: {reason}", { id: alarm.id, reason: err.message }), "error");
  }
}

function askAbout(alarm, question, options) {
  asking = { id: alarm.id, question };
  return ask(question(alarm), options).finally(() => { asking = null; });
}

const ACK_CHOICES = [t("On it"), t("Checked on site"), t("Known, maintenance")];
const ackSigned = (a) => signs("alarm_ack") && signing.ackSeverities.includes(a.severity);

async function acknowledge(alarm) {
  if (!ackSigned(alarm)) {
    const comment = await askAbout(alarm, (a) => t("Acknowledge ({severity}): {message}. Comment?", { severity: words(SEVERITY_WORDS, a.severity), message: a.message }), {
      choices: ACK_CHOICES, placeholder: t("what you are doing about it"), ok: t("Acknowledge"), label: t("Comment"),
    });
    if (comment === null) return;
    const now = alarms.get(alarm.id) || alarm;
    // Turned to a severity whose acknowledgement is signed while the dialog was open:
    // sign it, keeping what was typed.
    if (!ackSigned(now)) {
      await act(alarm, "acknowledge", { comment }, t("Acknowledged alarm {id}", { id: alarm.id }));
      return;
    }
    return signedAcknowledge(now, comment);
  }
  return signedAcknowledge(alarm, "");
}

async function signedAcknowledge(alarm, text) {
  const signed = await signDialog(t("Acknowledge ({severity}): {message}. Comment?", { severity: words(SEVERITY_WORDS, alarm.severity), message: alarm.message }), {
    text, choices: ACK_CHOICES, meanings: ["reviewed"], textLabel: t("Comment"), placeholder: t("what you are doing about it"), ok: t("Sign & acknowledge"),
  });
  if (signed === null) return;
  await act(alarm, "acknowledge", { comment: signed.text, signature: signature(signed) }, t("Acknowledged alarm {id} (signed)", { id: alarm.id }));
}

async function shelve(alarm) {
  const reason = await askAbout(alarm, (a) => t("Shelve ({severity}): {message}. Why?", { severity: words(SEVERITY_WORDS, a.severity), message: a.message }), {
    choices: [t("Defrost cycle"), t("Maintenance"), t("Sensor being replaced")], placeholder: t("reason"), ok: t("Next"), label: t("Reason"),
    required: t("Type why it is shelved, or choose a reason above."),
  });
  if (!reason) return;
  const minutes = await ask(t("For how many minutes?"), {
    choices: ["30", "60", "240", "480"], value: "60", ok: t("Shelve"), label: t("Minutes"), required: t("Type the minutes, or choose above."),
  });
  if (minutes === null) return;
  const count = Number.parseInt(minutes, 10);
  if (!(count >= 1)) { say(statusLine, t("Shelve: the minutes must be a whole number, 1 or more"), "error"); return; }
  await act(alarm, "shelve", { reason, minutes: count }, t("Shelved alarm {id} for {n} min", { id: alarm.id, n: count }));
}

async function unshelve(alarm) {
  const reason = await ask(t("Unshelve: {message}. Why now?", { message: alarm.message }), { placeholder: t("reason (optional)"), ok: t("Unshelve"), label: t("Reason") });
  if (reason === null) return;
  await act(alarm, "unshelve", { reason }, t("Unshelved alarm {id}", { id: alarm.id }));
}

// --- excursions of a zone -------------------------------------------------------------

const excursionZone = document.getElementById("excursion-zone");
const excursionList = document.getElementById("excursions");
let excursionTimer = null;

async function loadExcursions() {
  const zone = excursionZone.value;
  if (!zone) { excursionList.replaceChildren(); return; }
  try {
    const rows = await api(`/api/v1/alarms/excursions?zone=${encodeURIComponent(zone)}&limit=50`);
    // The figures are live while an excursion lasts; its lots are on its own page
    // (a zone's excursion may hold a hundred lots: never listed inline here).
    excursionList.replaceChildren(...rows.map((x) => {
      const item = el("li", { className: `excursion sev-${x.severity}` },
        el("p", { className: "row-head" }, el("a", { href: `/excursions/${x.id}`, textContent: excursionHead(x) })),
        el("p", { className: "facts", textContent: [
          x.end ? `${when(x.start)} → ${when(x.end)} (${duration(x.duration_s)})` : t("since {time}, in progress", { time: when(x.start) }),
          t("beyond critical {time}", { time: duration(x.critical_s) }),
          x.tolerance_passed ? "" : (x.tolerance_left_s !== null && x.tolerance_left_s !== undefined ? t("{time} left to the hold", { time: duration(x.tolerance_left_s) }) : ""),
          x.held_lots.length ? (x.held_lots.length === 1 ? t("held 1 lot") : t("held {n} lots", { n: x.held_lots.length })) : "",
        ].filter(Boolean).join(" · ") }));
      item.dataset.id = x.id;
      return item;
    }));
    clearTimeout(excursionTimer);  // one timer, however often the feed reloads the list
    if (rows.some((x) => x.end === null)) excursionTimer = setTimeout(loadExcursions, 5000);
    if (!rows.length) excursionList.append(el("li", { className: "empty", textContent: t("No excursions in {zone}.", { zone }) }));
  } catch (err) {
    excursionList.replaceChildren(el("li", { className: "error", textContent: err.message }));
  }
}

/** An excursion's line: sensor, what went beyond which side, its peak (and now). */
function excursionHead(x) {
  const p = { sensor: x.sensor, quantity: words(QUANTITY_WORDS, x.quantity), side: x.side === "above" ? t("above") : t("below"), peak: x.peak, now: x.last_value ?? "?" };
  return x.end ? t("{sensor} · {quantity} {side} · peak {peak}", p) : t("{sensor} · {quantity} {side} · peak {peak} · now {now}", p);
}

// --- lots on hold ---------------------------------------------------------------------

const heldList = document.getElementById("held");
const heldStatus = document.getElementById("held-status");

async function loadHeld() {
  try {
    const lots = await api("/api/v1/lots?qc_status=on_hold&limit=200");
    document.getElementById("held-count").textContent = String(lots.length);
    // Collapsed when long: an excursion may hold a hundred lots (the excursion's page
    // releases them together); the list scrolls in its box, the page does not grow.
    const box = document.getElementById("held-box");
    box.querySelector("summary").textContent = lots.length === 1 ? t("1 lot on hold") : t("{n} lots on hold", { n: lots.length });
    if (!box.dataset.sized) { box.open = lots.length <= 10; box.dataset.sized = "true"; }
    const supervisor = canDo(session(), "supervisor");
    heldList.replaceChildren(...lots.map((lot) => {
      const item = el("li", { className: "lot" },
        el("p", { className: "row-head", textContent: t("{item} · lot {lot}", { item: lot.item, lot: lot.lot_number }) }),
        el("p", { className: "facts", textContent: [t("{n} on hand", { n: lot.on_hand }), lot.expiry ? t("expires {date}", { date: lot.expiry }) : "", lot.qc_reason || ""].filter(Boolean).join(" · ") }),
        supervisor ? el("div", { className: "actions" },
          el("button", { type: "button", className: "primary release", textContent: t("Release"), onclick: () => decide(lot, "released") }),
          el("button", { type: "button", className: "reject", textContent: t("Reject"), onclick: () => decide(lot, "rejected") })) : null);
      item.dataset.lot = lot.lot_number;
      return item;
    }));
    if (!lots.length) heldList.append(el("li", { className: "empty", textContent: t("No lots on hold.") }));
  } catch (err) {
    say(heldStatus, err.message, "error");
  }
}

async function decide(lot, status) {
  const releasing = status === "released";
  const verb = releasing ? t("Release") : t("Reject");
  const question = releasing ? t("Release lot {lot} of {item}? Reason:", { lot: lot.lot_number, item: lot.item })
    : t("Reject lot {lot} of {item}? Reason:", { lot: lot.lot_number, item: lot.item });
  const reasonWords = {
    choices: releasing ? [t("Within tolerance, checked by QA"), t("Stability data allows it")] : [t("Out of tolerance"), t("Damaged")],
    placeholder: t("at least 3 characters"), required: t("Type the reason (3 characters or more), or choose one above."), minLength: 3,
  };
  const body = { status };
  if (signs(status === "released" ? "lot_release" : "lot_reject")) {
    const signed = await signDialog(question, {
      ...reasonWords, textLabel: t("Reason"), ok: releasing ? t("Sign & release") : t("Sign & reject"),
      meanings: status === "released" ? ["released", "approved"] : ["rejected"],
    });
    if (signed === null) return;
    Object.assign(body, { reason: signed.text, signature: signature(signed) });
  } else {
    const reason = await ask(question, { ...reasonWords, ok: verb, label: t("Reason") });
    if (reason === null) return;
    body.reason = reason;
  }
  try {
    await api(`/api/v1/lots/${lot.id}/qc-status`, { method: "POST", body, key: newKey() });
    // What the lot now shows: its signature line, "Released by … on … UTC — released".
    const decided = await api(`/api/v1/lots/${lot.id}`);
    const last = decided.signatures.at(-1);
    const done = releasing ? t("Released lot {lot}", { lot: lot.lot_number }) : t("Rejected lot {lot}", { lot: lot.lot_number });
    say(heldStatus, last ? t("{done}: {signature}", { done, signature: last.text }) : done, "ok");
  } catch (err) {
    say(heldStatus, t("Lot {lot}: {reason}", { lot: lot.lot_number, reason: err.message }), "error");
  }
  await loadHeld();
}

// --- start ---------------------------------------------------------------------------

async function fillChoices() {
  for (const kind of config.kinds || []) filters.kind.append(el("option", { value: kind, textContent: words(KIND_WORDS, kind) }));
  try {
    const zones = await api("/api/v1/zones");
    for (const zone of zones) {
      filters.zone.append(el("option", { value: zone.code, textContent: `${zone.code} · ${zone.name}` }));
      excursionZone.append(el("option", { value: zone.code, textContent: `${zone.code} · ${zone.name}` }));
    }
  } catch (err) {
    say(statusLine, err.message, "error");
  }
  const wanted = new URLSearchParams(location.search);
  for (const [name, select] of Object.entries(filters)) {
    if (wanted.get(name)) select.value = wanted.get(name);
  }
  if (wanted.get("zone")) excursionZone.value = wanted.get("zone");
}

if (session()) {
  await fillChoices();
  document.getElementById("filters").addEventListener("change", async () => {
    const query = new URLSearchParams(Object.entries(filterValues()).filter(([, v]) => v && v !== "open"));
    history.replaceState(null, "", query.toString() ? `?${query}` : location.pathname);
    try { await load(); } catch (err) { say(statusLine, err.message, "error"); }
  });
  excursionZone.addEventListener("change", loadExcursions);
  loadExcursions();
  loadHeld();
  document.body.dataset.ready = "true";
  followAlarms({ load, onChanged: changed, running: config.alarmsRunning });
}
