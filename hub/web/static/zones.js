// The storage conditions' master data (/settings/zones): storage classes with their
// limits and excursion tolerance, zones with their class and own tolerance, sensors
// with their gateway, zone and name. Everyone reads; admins edit (the API's writes
// are admin-only). A change of limits or tolerance asks the reason and the signature
// in one dialog (sign.js) where the site requires them; a sensor moved to another zone
// asks the reason. The reason goes as `?reason=`, the signature in the body.
import { ApiError, api, pageConfig, session } from "./api.js";
import { ask } from "./dialog.js";
import { editForm } from "./editform.js";
import { canDo, el, newKey, when } from "./monitor.js";
import { signDialog, signature } from "./sign.js";
import { t } from "./i18n.js";

const config = pageConfig();
const signs = (action) => (config.signing?.required || []).includes(action);
const needsReason = (kind) => (config.reasonRequired || []).includes(kind);
const statusLine = document.getElementById("md-status");
// The fields whose change is a `limits` change (kernel/audit_chain.py LIMIT_FIELDS).
const LIMIT_FIELDS = ["temp_min_c", "temp_max_c", "humidity_min_pct", "humidity_max_pct",
  "excursion_tolerance_s", "mkt_delta_h", "mkt_window_h", "storage_class"];
const REASON_WORDS = t("Type why (3 characters or more): the audit trail keeps it.");
const NO_LIMITS = t("no limits");
let data = { classes: [], zones: [], sensors: [] };
const admin = () => canDo(session(), "admin");

function say(words, tone = "") {
  statusLine.textContent = words;
  statusLine.dataset.tone = tone;
}

// --- words ---------------------------------------------------------------------------

function band(low, high, unit) {
  if (low === null && high === null) return NO_LIMITS;
  if (low === null) return t("at most {value} {unit}", { value: high, unit });
  if (high === null) return t("at least {value} {unit}", { value: low, unit });
  return t("{low} to {high} {unit}", { low, high, unit });
}

function tolerance(seconds) {
  if (seconds === null || seconds === undefined) return null;
  if (seconds === 0) return t("none: holds at once");
  return seconds % 60 === 0 ? t("{n} min", { n: seconds / 60 }) : t("{n} s", { n: seconds });
}

function zoneTolerance(zone, cls) {
  if (zone.excursion_tolerance_s !== null) return t("{time} (zone's own)", { time: tolerance(zone.excursion_tolerance_s) });
  if (cls && cls.excursion_tolerance_s !== null) return t("{time} (class's)", { time: tolerance(cls.excursion_tolerance_s) });
  return t("the alarm rules' default");
}

const minutes = (seconds) => (seconds === null || seconds === undefined ? null : seconds / 60);
const seconds = (mins) => (mins === null ? null : Math.round(mins * 60));

// --- the tables ----------------------------------------------------------------------

function editButton(label, onclick) {
  return admin() ? el("button", { type: "button", className: "edit", textContent: t("Edit"), ariaLabel: label, onclick }) : "";
}

// Each cell names its column (data-label): on a phone a row is a card of label: value.
const HEADS = {};
for (const id of ["classes", "zones", "sensors"]) {
  HEADS[id] = [...document.querySelectorAll(`#${id} thead th`)].map((th) => th.textContent);
}

function row(table, key, cells, button) {
  const tr = el("tr", {}, ...cells.map((c, n) => {
    const td = el("td", { textContent: c ?? "" });
    td.dataset.label = HEADS[table][n];
    return td;
  }), el("td", { className: "act" }, button));
  tr.dataset.key = key;
  return tr;
}

function render() {
  const byCode = new Map(data.classes.map((c) => [c.code, c]));
  document.querySelector("#classes tbody").replaceChildren(...data.classes.map((c) => row("classes", c.code, [
    c.code, c.name, band(c.temp_min_c, c.temp_max_c, "°C"), band(c.humidity_min_pct, c.humidity_max_pct, "%"),
    tolerance(c.excursion_tolerance_s) ?? t("the alarm rules' default"),
  ], editButton(t("Edit storage class {code}", { code: c.code }), () => editClass(c)))));
  document.querySelector("#zones tbody").replaceChildren(...data.zones.map((z) => {
    const cls = byCode.get(z.storage_class);
    const bands = cls ? [band(cls.temp_min_c, cls.temp_max_c, "°C"), band(cls.humidity_min_pct, cls.humidity_max_pct, "%")]
      .filter((words) => words !== NO_LIMITS) : [];
    const limits = cls ? (bands.join("; ") || NO_LIMITS) : t("none (no storage class)");
    return row("zones", z.code, [z.code, z.name, z.storage_class ?? t("none"), limits, zoneTolerance(z, cls), z.hazardous ? t("yes") : t("no")],
      editButton(t("Edit zone {code}", { code: z.code }), () => editZone(z)));
  }));
  document.querySelector("#sensors tbody").replaceChildren(...data.sensors.map((s) => row("sensors", s.id, [
    s.id, s.name, s.gateway ?? t("not yet seen"), s.zone ?? t("unassigned"), s.last_seen ? when(s.last_seen) : t("never"),
  ], editButton(t("Edit sensor {id}", { id: s.id }), () => editSensor(s)))));
  for (const id of ["new-class", "new-zone"]) document.getElementById(id).hidden = !admin();
}

async function load() {
  const [classes, zones, sensors] = await Promise.all([
    api("/api/v1/storage-classes"), api("/api/v1/zones"), api("/api/v1/sensors")]);
  data = { classes, zones, sensors };
  render();
}

// --- saving ----------------------------------------------------------------------------

/** The fields of `values` that differ from `before` (null and "" alike). */
function changed(before, values) {
  return Object.fromEntries(Object.entries(values).filter(([name, value]) => (before[name] ?? null) !== (value ?? null)));
}

/** Send a change, asking the reason and the signature the site requires for it
 * (`kinds`: the audit kinds it is, e.g. ["limits"]); again when the hub says one is
 * missing. Resolves to the saved record, or null when not saved. */
async function save(what, path, method, body, kinds) {
  let reason = "";
  let asked = false;
  const askFor = async (sign) => {
    asked = true;
    const reasonWanted = kinds.some(needsReason);
    if (sign) {
      const signed = await signDialog(t("Sign the change of {what}?", { what }), {
        meanings: ["approved"], textLabel: t("Reason"), placeholder: t("why it changes"),
        required: reasonWanted ? REASON_WORDS : "", minLength: reasonWanted ? 3 : 0, ok: t("Sign & save"),
      });
      if (signed === null) return false;
      reason = signed.text;
      body.signature = signature(signed);
      return true;
    }
    const text = await ask(t("Why change {what}?", { what }), {
      label: t("Reason"), placeholder: t("why it changes"), required: REASON_WORDS, minLength: 3, ok: t("Save"),
    });
    if (text === null) return false;
    reason = text;
    return true;
  };
  const signing = method === "PATCH" && kinds.includes("limits") && signs("limits");
  if ((signing || kinds.some(needsReason)) && !(await askFor(signing))) { say(t("Not saved: {what}", { what })); return null; }
  for (;;) {
    try {
      const query = reason ? `?reason=${encodeURIComponent(reason)}` : "";
      const saved = await api(`${path}${query}`, { method, body, key: newKey() });
      delete body.signature;
      return saved;
    } catch (err) {
      delete body.signature; // the password is never kept in the page
      const missing = err instanceof ApiError && ["reason_required", "signature_required"].includes(err.code);
      if (missing && !asked) {
        if (await askFor(err.code === "signature_required" || signing)) continue;
        say(t("Not saved: {what}", { what }));
        return null;
      }
      const words = t("{what} not saved: {reason}", { what, reason: err.message });
      say(`${words[0].toUpperCase()}${words.slice(1)}`, "error");
      return null;
    }
  }
}

async function after(saved, words) {
  if (saved === null) return;
  await load();
  say(words, "ok");
}

// --- the forms ---------------------------------------------------------------------------

function classFields(c = null) {
  const number = (name, label, min, max, hint) => ({ name, label, type: "number", value: c ? c[name] : null, min, max, hint });
  return [
    ...(c ? [] : [{ name: "code", label: t("Code"), required: true, pattern: "[A-Za-z0-9][A-Za-z0-9_.:+\\-]{0,31}", hint: t("e.g. 2-8C") }]),
    { name: "name", label: t("Name"), required: true, value: c?.name ?? "", maxLength: 128 },
    number("temp_min_c", t("Lowest temperature °C"), -100, 100, t("empty: no lower limit")),
    number("temp_max_c", t("Highest temperature °C"), -100, 100, t("empty: no upper limit")),
    number("humidity_min_pct", t("Lowest humidity %"), 0, 100),
    number("humidity_max_pct", t("Highest humidity %"), 0, 100),
    { name: "tolerance_min", label: t("Excursion tolerance (minutes)"), type: "number", min: 0,
      value: minutes(c?.excursion_tolerance_s), hint: t("how long a critical excursion may last before the lots go on hold; empty: the alarm rules' default") },
  ];
}

function withSeconds(values) {
  const { tolerance_min: mins, ...rest } = values;
  return { ...rest, excursion_tolerance_s: seconds(mins) };
}

async function editClass(c) {
  const values = await editForm(t("Storage class {code}", { code: c.code }), classFields(c));
  if (values === null) return;
  const body = changed(c, withSeconds(values));
  if (!Object.keys(body).length) { say(t("Nothing changed in storage class {code}", { code: c.code })); return; }
  const kinds = Object.keys(body).some((f) => LIMIT_FIELDS.includes(f)) ? ["limits"] : [];
  await after(await save(t("storage class {code}", { code: c.code }), `/api/v1/storage-classes/${encodeURIComponent(c.code)}`, "PATCH", body, kinds),
    t("Saved storage class {code}", { code: c.code }));
}

async function newClass() {
  const values = await editForm(t("New storage class"), classFields(), { ok: t("Create") });
  if (values === null) return;
  const body = Object.fromEntries(Object.entries(withSeconds(values)).filter(([, v]) => v !== null));
  await after(await save(t("storage class {code}", { code: body.code }), "/api/v1/storage-classes", "POST", body, []), t("Created storage class {code}", { code: body.code }));
}

function zoneFields(z = null) {
  return [
    ...(z ? [] : [{ name: "code", label: t("Code"), required: true, pattern: "[A-Za-z0-9][A-Za-z0-9_.:\\-]{0,63}" }]),
    { name: "name", label: t("Name"), required: true, value: z?.name ?? "", maxLength: 128 },
    { name: "storage_class", label: t("Storage class (its limits apply)"), type: "select", value: z?.storage_class ?? "",
      options: [["", t("none")], ...data.classes.map((c) => [c.code, `${c.code} · ${c.name}`])] },
    { name: "tolerance_min", label: t("Excursion tolerance (minutes)"), type: "number", min: 0,
      value: minutes(z?.excursion_tolerance_s), hint: t("the zone's own; empty: the storage class's") },
    { name: "hazardous", label: t("Hazardous goods"), type: "checkbox", value: z?.hazardous ?? false },
  ];
}

async function editZone(z) {
  const values = await editForm(t("Zone {code}", { code: z.code }), zoneFields(z));
  if (values === null) return;
  const body = changed(z, withSeconds(values));
  if (!Object.keys(body).length) { say(t("Nothing changed in zone {code}", { code: z.code })); return; }
  const kinds = Object.keys(body).some((f) => LIMIT_FIELDS.includes(f)) ? ["limits"] : [];
  await after(await save(t("zone {code}", { code: z.code }), `/api/v1/zones/${encodeURIComponent(z.code)}`, "PATCH", body, kinds), t("Saved zone {code}", { code: z.code }));
}

async function newZone() {
  const values = await editForm(t("New zone"), zoneFields(), { ok: t("Create") });
  if (values === null) return;
  const body = Object.fromEntries(Object.entries(withSeconds(values)).filter(([, v]) => v !== null));
  await after(await save(t("zone {code}", { code: body.code }), "/api/v1/zones", "POST", body, []), t("Created zone {code}", { code: body.code }));
}

async function editSensor(s) {
  const values = await editForm(t("Sensor {id}", { id: s.id }), [
    { name: "name", label: t("Name"), value: s.name, maxLength: 128 },
    { name: "zone", label: t("Zone"), type: "select", value: s.zone ?? "",
      options: [["", t("unassigned")], ...data.zones.map((z) => [z.code, `${z.code} · ${z.name}`])] },
  ]);
  if (values === null) return;
  const body = changed(s, values);
  if (!Object.keys(body).length) { say(t("Nothing changed in sensor {id}", { id: s.id })); return; }
  const kinds = "zone" in body ? ["sensor_zone"] : [];
  await after(await save(t("sensor {id}", { id: s.id }), `/api/v1/sensors/${encodeURIComponent(s.id)}`, "PATCH", body, kinds), t("Saved sensor {id}", { id: s.id }));
}

// --- start -----------------------------------------------------------------------------

if (session()) {
  document.getElementById("new-class").addEventListener("click", newClass);
  document.getElementById("new-zone").addEventListener("click", newZone);
  if (!admin()) document.getElementById("who-edits").append(" " + t("You read it here; an admin changes it."));
  try {
    await load();
  } catch (err) {
    say(err.message, "error");
  }
  document.body.dataset.ready = "true";
}
