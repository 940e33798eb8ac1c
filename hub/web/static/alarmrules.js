// The alarm rules and their routing (/settings/alarms): limits on readings, sensors gone
// quiet, the defaults and the other alarms, the recipient groups and the routes with
// their escalation. Everyone logged in reads them (GET /alarms/rules); an admin edits
// them when they are kept by the hub (source "api"). Rules loaded from a file are shown
// read-only with the file named: the file is edited and the hub restarted.
// Every change sends the whole document back (PUT /alarms/rules: recipients' addresses
// stay masked, which keeps the stored ones) with the reason (`?reason=`) and the
// electronic signature (in the body) that the site requires, asked in one dialog (sign.js).
import { ApiError, api, pageConfig, session } from "./api.js";
import { ask } from "./dialog.js";
import { editForm } from "./editform.js";
import { t } from "./i18n.js";
import { canDo, el, newKey } from "./monitor.js";
import { signDialog, signature } from "./sign.js";

const config = pageConfig();
const signs = () => (config.signing?.required || []).includes("alarm_rules");
const needsReason = () => (config.reasonRequired || []).includes("alarm_rules");
const statusLine = document.getElementById("rules-status");
const REASON_WORDS = () => t("Type why (3 characters or more): the audit trail keeps it.");
// The rules' own defaults (alerts/rules/document.py), for what the document leaves out.
const BUILT_IN = { delay: "5m", offline_intervals: 3, bad_readings: 5, expected_interval: "1m" };
const SEVERITIES = ["info", "warning", "critical"];
let answer = { source: "api", file: null, rules: {} };
const editable = () => canDo(session(), "admin") && answer.source === "api";

function say(words, tone = "") {
  statusLine.textContent = words;
  statusLine.dataset.tone = tone;
}

const copy = (value) => JSON.parse(JSON.stringify(value));
const severityWords = (s) => ({ info: t("info"), warning: t("warning"), critical: t("critical") })[s] || s;
const list = (values) => (values || []).join(", ");
const fromList = (text) => (text || "").split(/[\s,]+/).filter(Boolean);

// --- words ---------------------------------------------------------------------------

function scope(rule) {
  if (rule.sensor) return t("sensor {name}", { name: rule.sensor });
  if (rule.zone) return t("zone {name}", { name: rule.zone });
  if (rule.storage_class) return t("storage class {name}", { name: rule.storage_class });
  return t("every sensor");
}

function thresholdId(rule) {
  if (rule.id) return rule.id;
  const [kind, value] = rule.sensor ? ["sensor", rule.sensor] : rule.zone ? ["zone", rule.zone]
    : rule.storage_class ? ["storage_class", rule.storage_class] : ["site", "all"];
  return `${kind}:${value}:${rule.quantity}`;
}

function offlineId(rule) {
  if (rule.id) return rule.id;
  const [kind, value] = rule.sensor ? ["sensor", rule.sensor] : rule.zone ? ["zone", rule.zone]
    : rule.storage_class ? ["storage_class", rule.storage_class] : ["site", "all"];
  return `offline:${kind}:${value}`;
}

function levels(rule) {
  const words = [];
  if (rule.low_critical != null) words.push(t("critical below {v}", { v: rule.low_critical }));
  if (rule.low_warning != null) words.push(t("warning below {v}", { v: rule.low_warning }));
  if (rule.high_warning != null) words.push(t("warning above {v}", { v: rule.high_warning }));
  if (rule.high_critical != null) words.push(t("critical above {v}", { v: rule.high_critical }));
  if (rule.rate_per_min != null) words.push(t("changing faster than {v} a minute", { v: rule.rate_per_min }));
  return words.join("; ");
}

const defaults = () => ({ ...BUILT_IN, ...(answer.rules.defaults || {}) });
const defaultDelay = () => t("{d} (the default)", { d: defaults().delay });

function offlineWords(rule) {
  const d = defaults();
  return t("no reading for {n} expected intervals of {every}, or {bad} bad readings in a row", {
    n: rule.intervals ?? d.offline_intervals, every: rule.expected_interval ?? d.expected_interval,
    bad: rule.bad_readings ?? d.bad_readings,
  });
}

function routeMatch(route) {
  const match = route.match || {};
  const parts = [];
  if (match.severity?.length) parts.push(t("severity {list}", { list: match.severity.map(severityWords).join(", ") }));
  if (match.zone?.length) parts.push(t("zone {list}", { list: list(match.zone) }));
  if (match.kind?.length) parts.push(t("kind {list}", { list: list(match.kind) }));
  return parts.length ? parts.join("; ") : t("every alarm");
}

// --- the tables ----------------------------------------------------------------------

const HEADS = {};
for (const id of ["thresholds", "offline", "others", "recipients", "routes"]) {
  HEADS[id] = [...document.querySelectorAll(`#${id} thead th`)].map((th) => th.textContent);
}

function row(table, key, cells, buttons = []) {
  const tr = el("tr", {}, ...cells.map((c, n) => {
    const td = el("td", { textContent: c ?? "" });
    td.dataset.label = HEADS[table][n];
    return td;
  }), el("td", { className: "act" }, ...buttons));
  tr.dataset.key = key;
  return tr;
}

function buttons(what, onEdit, onRemove) {
  if (!editable()) return [];
  const edit = el("button", { type: "button", className: "edit small", textContent: t("Edit"), ariaLabel: t("Edit {what}", { what }), onclick: onEdit });
  if (!onRemove) return [edit];
  const remove = el("button", { type: "button", className: "remove small", textContent: t("Remove"), ariaLabel: t("Remove {what}", { what }), onclick: onRemove });
  return [edit, remove];
}

function renderSource() {
  const source = document.getElementById("source");
  if (answer.source === "file") {
    source.textContent = t("These rules come from the file {file}: they are shown here read-only. To change them, edit the file and restart the hub.", { file: answer.file });
    source.dataset.source = "file";
  } else {
    source.textContent = t("These rules are kept by the hub and changed on this page.");
    source.dataset.source = "api";
  }
}

function render() {
  const rules = answer.rules;
  renderSource();
  document.querySelector("#thresholds tbody").replaceChildren(...(rules.thresholds || []).map((rule, index) => {
    const id = thresholdId(rule);
    return row("thresholds", id, [id, scope(rule), rule.quantity, levels(rule), rule.delay ?? defaultDelay()],
      buttons(t("rule {id}", { id }), () => editThreshold(index), () => removeThreshold(index)));
  }));
  document.querySelector("#offline tbody").replaceChildren(...(rules.offline || []).map((rule, index) => {
    const id = offlineId(rule);
    return row("offline", id, [id, scope(rule), offlineWords(rule), severityWords(rule.severity ?? "warning")],
      buttons(t("rule {id}", { id }), () => editOffline(index)));
  }));
  const d = defaults();
  const gateways = rules.gateways || {};
  const expiry = rules.expiry || {};
  const calibration = rules.calibration || {};
  const stock = rules.stock || {};
  // The words first: the extraction misses a t() nested in another t()'s arguments.
  const lowStock = stock.low_stock === false ? t("off") : t("on");
  const overstock = stock.overstock === false ? t("off") : t("on");
  const others = [
    ["delay", t("Delay before a limit raises an alarm"), d.delay],
    ["tolerance", t("Excursion tolerance before lots go on hold"), d.excursion_tolerance ?? t("the hub's setting")],
    ["offline", t("A sensor is quiet after"), t("{n} expected intervals of {every}", { n: d.offline_intervals, every: d.expected_interval })],
    ["gateway", t("A gateway is offline after"), t("{n} status intervals of {every} (severity {s})", {
      n: gateways.offline_intervals ?? 3, every: gateways.status_interval ?? "30s", s: severityWords(gateways.severity ?? "critical") })],
    ["expiry", t("Expiry"), expiry.enabled === false ? t("no alarms") : t("alarms {list} days ahead", {
      list: (expiry.tiers || [{ days: 90 }, { days: 30 }, { days: 7 }]).map((tier) => tier.days).join(", ") })],
    ["stock", t("Stock"), t("low stock: {low}; overstock: {over}", { low: lowStock, over: overstock })],
    ["calibration", t("Calibration"), calibration.enabled === false ? t("no alarms") : t("{n} days before it is due", { n: calibration.due_days ?? 30 })],
    ["timezone", t("Site time zone"), rules.site_timezone ?? t("the hub's setting")],
  ];
  document.querySelector("#others tbody").replaceChildren(...others.map(([key, what, value]) => row("others", key, [what, String(value)])));
  const groups = rules.recipients || {};
  document.querySelector("#recipients tbody").replaceChildren(...Object.entries(groups).map(([name, group]) =>
    row("recipients", name, [name, group.description ?? "", (group.urls || []).join(" ")],
      buttons(t("group {name}", { name }), () => editRecipient(name)))));
  document.querySelector("#routes tbody").replaceChildren(...(rules.routes || []).map((route, index) =>
    row("routes", route.name, [route.name, routeMatch(route), route.groups.join(" → "), route.escalate_after ?? t("no escalation"),
      route.notify_clear === false ? t("not told") : t("told")],
    buttons(t("route {name}", { name: route.name }), () => editRoute(index)))));
  const quiet = rules.quiet_hours;
  document.getElementById("quiet").textContent = quiet
    ? t("Quiet hours {start} to {end}: {list} wait until they end; critical alarms always go.", { start: quiet.start, end: quiet.end, list: (quiet.hold || ["info", "warning"]).map(severityWords).join(", ") })
    : t("No quiet hours: every alarm goes at once.");
  for (const id of ["new-threshold", "new-recipient", "new-route", "edit-defaults"]) document.getElementById(id).hidden = !editable();
}

async function load() {
  answer = await api("/api/v1/alarms/rules");
  render();
}

// --- saving ----------------------------------------------------------------------------

/** Send the changed document with the reason and signature the site requires; again
 * when the hub says one is missing. Resolves to true when saved. */
async function save(what, rules) {
  let reason = "";
  let body = null;
  const askFor = async (sign) => {
    if (sign) {
      const signed = await signDialog(t("Sign the change of {what}?", { what }), {
        meanings: ["approved"], textLabel: t("Reason"), placeholder: t("why it changes"),
        required: needsReason() ? REASON_WORDS() : "", minLength: needsReason() ? 3 : 0, ok: t("Sign & save"),
      });
      if (signed === null) return false;
      reason = signed.text;
      body = { ...rules, signature: signature(signed) };
      return true;
    }
    const text = await ask(t("Why change {what}?", { what }), {
      label: t("Reason"), placeholder: t("why it changes"), required: REASON_WORDS(), minLength: 3, ok: t("Save"),
    });
    if (text === null) return false;
    reason = text;
    body = { ...rules };
    return true;
  };
  if ((signs() || needsReason()) && !(await askFor(signs()))) { say(t("Not saved: {what}", { what })); return false; }
  body ??= { ...rules };
  let asked = signs() || needsReason();
  for (;;) {
    try {
      const query = reason ? `?reason=${encodeURIComponent(reason)}` : "";
      answer = await api(`/api/v1/alarms/rules${query}`, { method: "PUT", body, key: newKey() });
      body = null; // the password is never kept in the page
      render();
      say(t("Saved {what}", { what }), "ok");
      return true;
    } catch (err) {
      body = { ...rules };
      const missing = err instanceof ApiError && ["reason_required", "signature_required"].includes(err.code);
      if (missing && !asked) {
        asked = true;
        if (await askFor(err.code === "signature_required")) continue;
        say(t("Not saved: {what}", { what }));
        return false;
      }
      say(t("{what} not saved: {problem}", { what: `${what[0].toUpperCase()}${what.slice(1)}`, problem: err.message }), "error");
      return false;
    }
  }
}

/** `rule` with `values` set; an empty value takes the key out (the default applies). */
function withValues(rule, values) {
  const next = { ...rule };
  for (const [name, value] of Object.entries(values)) {
    if (value === null || value === "") delete next[name];
    else next[name] = value;
  }
  return next;
}

// --- the forms ---------------------------------------------------------------------------

const number = (rule, name, label) => ({ name, label, type: "number", value: rule?.[name] ?? null });
const DURATION_HINT = () => t("e.g. 30s, 5m, 1h30m; empty: the default");

function thresholdFields(rule) {
  return [
    number(rule, "low_critical", t("Critical below")),
    number(rule, "low_warning", t("Warning below")),
    number(rule, "high_warning", t("Warning above")),
    number(rule, "high_critical", t("Critical above")),
    { name: "delay", label: t("Delay (how long it must last)"), value: rule?.delay ?? "", hint: DURATION_HINT() },
    { ...number(rule, "deadband", t("Deadband (how far back inside to clear)")), min: 0 },
  ];
}

async function editThreshold(index) {
  const rule = answer.rules.thresholds[index];
  const id = thresholdId(rule);
  const values = await editForm(t("Rule {id}", { id }), thresholdFields(rule));
  if (values === null) return;
  const rules = copy(answer.rules);
  rules.thresholds[index] = withValues(rule, values);
  await save(t("rule {id}", { id }), rules);
}

async function newThreshold() {
  const values = await editForm(t("New limit rule"), [
    { name: "scope", label: t("Applies to"), type: "select", value: "zone", required: true,
      options: [["zone", t("a zone")], ["sensor", t("a sensor")], ["storage_class", t("a storage class")]] },
    { name: "target", label: t("Its code"), required: true, maxLength: 64, hint: t("e.g. COLD-1") },
    { name: "quantity", label: t("Reading"), required: true, value: "temperature_c", pattern: "[a-z][a-z0-9_]{0,31}",
      hint: t("temperature_c or humidity_pct") },
    ...thresholdFields(null),
  ], { ok: t("Create") });
  if (values === null) return;
  const { scope: kind, target, ...rest } = values;
  const rule = withValues({ [kind]: target }, rest);
  const rules = copy(answer.rules);
  rules.thresholds = [...(rules.thresholds || []), rule];
  await save(t("rule {id}", { id: thresholdId(rule) }), rules);
}

async function removeThreshold(index) {
  const id = thresholdId(answer.rules.thresholds[index]);
  const rules = copy(answer.rules);
  rules.thresholds.splice(index, 1);
  await save(t("rule {id} (removed)", { id }), rules);
}

async function editOffline(index) {
  const rule = answer.rules.offline[index];
  const id = offlineId(rule);
  const values = await editForm(t("Rule {id}", { id }), [
    { name: "intervals", label: t("Expected intervals without a reading"), type: "number", min: 1, max: 1000, step: 1, value: rule.intervals ?? null },
    { name: "expected_interval", label: t("Expected interval"), value: rule.expected_interval ?? "", hint: DURATION_HINT() },
    { name: "bad_readings", label: t("Bad readings in a row"), type: "number", min: 1, step: 1, value: rule.bad_readings ?? null },
    { name: "severity", label: t("Severity"), type: "select", required: true, value: rule.severity ?? "warning",
      options: SEVERITIES.map((s) => [s, severityWords(s)]) },
  ]);
  if (values === null) return;
  const rules = copy(answer.rules);
  rules.offline[index] = withValues(rule, values);
  await save(t("rule {id}", { id }), rules);
}

async function editDefaults() {
  const d = answer.rules.defaults || {};
  const values = await editForm(t("Defaults"), [
    { name: "delay", label: t("Delay before a limit raises an alarm"), value: d.delay ?? "", hint: t("e.g. 30s, 5m; empty: {d}", { d: BUILT_IN.delay }) },
    { name: "excursion_tolerance", label: t("Excursion tolerance"), value: d.excursion_tolerance ?? "", hint: t("e.g. 30m; empty: the hub's setting") },
    { name: "offline_intervals", label: t("Expected intervals without a reading"), type: "number", min: 1, max: 1000, step: 1, value: d.offline_intervals ?? null },
    { name: "expected_interval", label: t("Expected interval"), value: d.expected_interval ?? "", hint: t("e.g. 1m; empty: {d}", { d: BUILT_IN.expected_interval }) },
  ]);
  if (values === null) return;
  const rules = copy(answer.rules);
  rules.defaults = withValues(d, values);
  await save(t("the defaults"), rules);
}

async function editRecipient(name = null) {
  const group = name ? answer.rules.recipients[name] : { description: "", urls: [] };
  const values = await editForm(name ? t("Group {name}", { name }) : t("New recipient group"), [
    ...(name ? [] : [{ name: "name", label: t("Name"), required: true, pattern: "[A-Za-z0-9][A-Za-z0-9_.:\\-]{0,63}", hint: t("e.g. night-shift") }]),
    { name: "description", label: t("Description"), value: group.description ?? "", maxLength: 200 },
    { name: "urls", label: t("Addresses"), required: true, value: (group.urls || []).join(" "),
      hint: t("apprise addresses, separated by spaces, e.g. mailto://alarms@example.com; one shown with *** keeps the stored one") },
  ], { ok: name ? t("Save") : t("Create") });
  if (values === null) return;
  const key = name ?? values.name;
  const rules = copy(answer.rules);
  rules.recipients = { ...(rules.recipients || {}), [key]: withValues({ description: values.description, urls: fromList(values.urls) }, {}) };
  if (!values.description) delete rules.recipients[key].description;
  await save(t("group {name}", { name: key }), rules);
}

async function editRoute(index = null) {
  const route = index === null ? { name: "", groups: [], match: {} } : answer.rules.routes[index];
  const match = route.match || {};
  const known = Object.keys(answer.rules.recipients || {}).join(", ") || t("none yet");
  const values = await editForm(index === null ? t("New route") : t("Route {name}", { name: route.name }), [
    ...(index === null ? [{ name: "name", label: t("Name"), required: true, pattern: "[A-Za-z0-9][A-Za-z0-9_.:\\-]{0,63}" }] : []),
    { name: "severity", label: t("Severities (empty: all)"), value: list(match.severity), hint: t("info, warning, critical") },
    { name: "zone", label: t("Zones (empty: all)"), value: list(match.zone) },
    { name: "groups", label: t("Groups to tell, in turn"), required: true, value: list(route.groups),
      hint: t("the first at once, the next when nobody acknowledges in time; known: {list}", { list: known }) },
    { name: "escalate_after", label: t("Escalate after"), value: route.escalate_after ?? "", hint: t("e.g. 15m; empty: no escalation") },
    { name: "notify_clear", label: t("Tell when the alarm clears"), type: "checkbox", value: route.notify_clear !== false },
  ], { ok: index === null ? t("Create") : t("Save") });
  if (values === null) return;
  const next = { ...route, name: index === null ? values.name : route.name, groups: fromList(values.groups),
    match: withValues(match, { severity: fromList(values.severity), zone: fromList(values.zone) }), notify_clear: values.notify_clear };
  for (const key of ["severity", "zone"]) if (!next.match[key].length) delete next.match[key];
  if (!Object.keys(next.match).length) delete next.match;
  if (values.escalate_after) next.escalate_after = values.escalate_after; else delete next.escalate_after;
  const rules = copy(answer.rules);
  rules.routes = [...(rules.routes || [])];
  if (index === null) rules.routes.push(next); else rules.routes[index] = next;
  await save(t("route {name}", { name: next.name }), rules);
}

// --- start -----------------------------------------------------------------------------

if (session()) {
  document.getElementById("new-threshold").addEventListener("click", newThreshold);
  document.getElementById("edit-defaults").addEventListener("click", editDefaults);
  document.getElementById("new-recipient").addEventListener("click", () => editRecipient());
  document.getElementById("new-route").addEventListener("click", () => editRoute());
  if (!canDo(session(), "admin")) document.getElementById("who-edits").append(" ", t("You read it here; an admin changes it."));
  try {
    await load();
  } catch (err) {
    say(err instanceof ApiError && err.code === "alarms_not_running"
      ? t("This hub runs without the alarm engine: it has no alarm rules.") : err.message, "error");
  }
  document.body.dataset.ready = "true";
}
