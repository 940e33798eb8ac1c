// The overview: every zone as a tile with its latest temperature and humidity, coloured
// against its storage class's limits and its open alarms; the open alarms; lots expiring
// soon; gateways offline. Alarms arrive through the live feed, the rest every few seconds.
import { api, pageConfig, session } from "./api.js";
import { OPEN_STATES, QC_WORDS, SEVERITY_WORDS, STATE_WORDS, el, followAlarms, sleep, when, words } from "./monitor.js";
import { trend } from "./trends.js";
import { t } from "./i18n.js";

const config = pageConfig();
const margin = config.warningMargin || { temperature_c: 0.5, humidity_pct: 3 };
const statusLine = document.getElementById("overview-status");
const QUANTITIES = [
  { name: "temperature_c", unit: "°C", min: "temp_min_c", max: "temp_max_c", label: t("Temperature") },
  { name: "humidity_pct", unit: "%RH", min: "humidity_min_pct", max: "humidity_max_pct", label: t("Humidity") },
];
const LEVELS = ["none", "ok", "warn", "bad"];  // worse to the right
const state = { zones: [], classes: new Map(), readings: [], alarms: new Map(), sensors: new Map(), excursions: [] };

function worse(a, b) {
  return LEVELS.indexOf(a) >= LEVELS.indexOf(b) ? a : b;
}

/** One value against limits: outside is red, within the warning margin amber. */
export function levelOf(value, low, high, warnMargin) {
  if (value === null || value === undefined) return "none";
  if ((low !== null && low !== undefined && value < low) || (high !== null && high !== undefined && value > high)) return "bad";
  if ((low !== null && low !== undefined && value < low + warnMargin)
      || (high !== null && high !== undefined && value > high - warnMargin)) return "warn";
  return "ok";
}

// What a zone's climate tile shows; a lot's expiry or stock level is not its climate.
const CLIMATE_KINDS = ["threshold", "rate", "offline"];

function zoneAlarms(code) {
  return [...state.alarms.values()].filter((a) => a.zone === code && CLIMATE_KINDS.includes(a.kind)
    && (a.state === "active" || a.state === "acknowledged"));
}

function tile(zone) {
  const limits = state.classes.get(zone.storage_class) || {};
  const readings = state.readings.filter((r) => r.zone === zone.code);
  let level = readings.length ? "ok" : "none";
  const lines = QUANTITIES.map((q) => {
    const values = readings.filter((r) => r.quantity === q.name);
    if (!values.length) return null;
    const low = limits[q.min];
    const high = limits[q.max];
    // The worst sensor of the zone decides its colour.
    const levels = values.map((r) => levelOf(r.value, low, high, margin[q.name] || 0));
    const qLevel = levels.reduce(worse, "ok");
    level = worse(level, qLevel);
    // Each sensor by its name: "door 10.5 °C", "back wall 4.4 °C", not "10.5 / 4.4 °C".
    const named = values.map((r, i) => el("span", { className: `sensor-value level-${levels[i]}` },
      el("span", { className: "sensor-name", textContent: state.sensors.get(r.sensor) || r.sensor }),
      el("span", { className: "value", textContent: `${r.value.toFixed(1)} ${q.unit}` })));
    const range = low !== null && low !== undefined && high !== null && high !== undefined ? `${low}–${high}`
      : (high !== null && high !== undefined ? `≤ ${high}` : (low !== null && low !== undefined ? `≥ ${low}` : t("no limits")));
    return el("div", { className: `reading level-${qLevel}` },
      el("span", { className: "limits", textContent: `${q.label} ${range}` }), ...named);
  }).filter(Boolean);
  const open = zoneAlarms(zone.code);
  for (const alarm of open) {
    if (alarm.severity === "critical") level = worse(level, "bad");
    else if (alarm.severity === "warning") level = worse(level, "warn");
  }
  const newest = readings.map((r) => r.ts).sort().at(-1);
  const excursion = state.excursions.find((x) => x.zone === zone.code && x.end === null);
  const hasTemperature = readings.some((r) => r.quantity === "temperature_c") || (limits.temp_max_c ?? limits.temp_min_c) != null;
  const item = el("li", { className: `tile level-${level}` },
    el("p", { className: "tile-head" },
      el("span", { className: "code", textContent: zone.code }),
      el("span", { className: "name", textContent: zone.name })),
    lines.length ? lines : el("p", { className: "reading none", textContent: t("no readings") }),
    el("p", { className: "facts", textContent: [
      open.length ? (open.length > 1 ? t("{n} climate alarms", { n: open.length }) : t("1 climate alarm")) : "",
      newest ? t("at {time}", { time: when(newest) }) : "",
    ].filter(Boolean).join(" · ") }),
    excursion ? el("p", { className: "excursion-link" }, el("a", { href: `/excursions/${excursion.id}`, textContent: t("Excursion since {time} →", { time: when(excursion.start) }) })) : null,
    trend(zone, limits, hasTemperature ? "temperature_c" : "humidity_pct"));
  item.dataset.zone = zone.code;
  item.dataset.level = level;
  return item;
}

function renderZones() {
  const list = document.getElementById("zones");
  list.replaceChildren(...state.zones.map(tile));
  if (!state.zones.length) list.append(el("li", { className: "empty", textContent: t("No zones yet.") }));
}

function renderAlarms() {
  const open = [...state.alarms.values()].filter((a) => OPEN_STATES.includes(a.state))
    .sort((a, b) => (b.updated_at > a.updated_at ? 1 : -1));
  document.getElementById("alarm-count").textContent = String(open.length);
  const list = document.getElementById("open-alarms");
  list.replaceChildren(...open.slice(0, 20).map((a) => {
    const item = el("li", { className: "alarm-row" },
      el("span", { className: `badge sev-${a.severity}`, textContent: words(SEVERITY_WORDS, a.severity) }),
      el("span", { className: `badge state-${a.state}`, textContent: words(STATE_WORDS, a.state) }),
      el("a", { href: `/alarms${a.zone ? `?zone=${encodeURIComponent(a.zone)}` : ""}`, textContent: a.message }));
    item.dataset.id = a.id;
    item.dataset.state = a.state;
    return item;
  }));
  if (!open.length) list.append(el("li", { className: "empty", textContent: t("No open alarms.") }));
}

async function loadAlarms() {
  const rows = await api("/api/v1/alarms?state=open&limit=500");
  state.alarms = new Map(rows.map((a) => [a.id, a]));
  renderAlarms();
  renderZones();
}

function alarmsChanged(updated) {
  for (const alarm of updated) {
    if (OPEN_STATES.includes(alarm.state)) state.alarms.set(alarm.id, alarm);
    else state.alarms.delete(alarm.id);
  }
  renderAlarms();
  renderZones();
  refresh();  // the reading that raised it, at once
}

function isoDate(date) {
  return date.toISOString().slice(0, 10);
}

function renderExpiring(lots) {
  const today = isoDate(new Date());
  const soon = lots.filter((lot) => lot.on_hand > 0 && lot.expiry).sort((a, b) => (a.expiry > b.expiry ? 1 : -1));
  document.getElementById("expiring-count").textContent = String(soon.length);
  const list = document.getElementById("expiring");
  list.replaceChildren(...soon.map((lot) => el("li", { className: "lot-row" },
    el("span", { className: `badge ${lot.expiry < today ? "sev-critical" : "sev-warning"}`, textContent: lot.expiry < today ? t("expired") : lot.expiry }),
    el("span", { textContent: t("{item} · lot {lot} · {n} on hand", { item: lot.item, lot: lot.lot_number, n: lot.on_hand })
      + (lot.qc_status !== "released" ? ` · ${words(QC_WORDS, lot.qc_status)}` : "") }))));
  if (!soon.length) list.append(el("li", { className: "empty", textContent: t("None.") }));
}

function gatewayWords(g) {
  const gateway = g.site ? g.id + " (" + g.site + ")" : g.id;
  const never = t("never");
  return t("{gateway} · last seen {time}", { gateway, time: when(g.last_seen) || never });
}

function renderGateways(gateways) {
  const offline = gateways.filter((g) => g.state === "offline");
  document.getElementById("gateways-count").textContent = String(offline.length);
  const list = document.getElementById("gateways");
  list.replaceChildren(...offline.map((g) => el("li", { className: "gateway-row" },
    el("span", { className: "badge sev-critical", textContent: t("offline") }),
    el("span", { textContent: gatewayWords(g) }))));
  if (!offline.length) list.append(el("li", { className: "empty", textContent: gateways.length ? t("All gateways online.") : t("No gateways yet.") }));
}

let refreshing = null;

/** Everything but the alarms; overlapping calls share one round. */
function refresh() {
  refreshing ??= (async () => {
    try {
      const horizon = new Date(Date.now() + (config.expiryDays || 30) * 86400000);
      const since = new Date(Date.now() - 86400000).toISOString();
      const [zones, classes, readings, lots, gateways, sensors, excursions] = await Promise.all([
        api("/api/v1/zones"), api("/api/v1/storage-classes"), api("/api/v1/readings/latest"),
        api(`/api/v1/lots?expiring_before=${isoDate(horizon)}&limit=500`), api("/api/v1/gateways"),
        api("/api/v1/sensors"), api(`/api/v1/alarms/excursions?start=${encodeURIComponent(since)}&limit=100`),
      ]);
      Object.assign(state, {
        zones, readings, excursions, classes: new Map(classes.map((c) => [c.code, c])),
        sensors: new Map(sensors.map((s) => [s.id, s.name])),
      });
      renderZones();
      renderExpiring(lots);
      renderGateways(gateways);
      statusLine.textContent = t("Updated {time}", { time: when(new Date().toISOString()) });
      statusLine.dataset.tone = "";
      document.body.dataset.ready = "true";
    } catch (err) {
      statusLine.textContent = t("Not updated: {reason}", { reason: err.message });
      statusLine.dataset.tone = "error";
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

if (session()) {
  // The trends are images: they need the session cookie (a login from before it
  // existed has none; this sets it again).
  await api("/api/v1/auth/session", { method: "POST" }).catch(() => {});
  (async () => {
    for (;;) {
      await refresh();
      await sleep((config.refreshSeconds || 5) * 1000);
    }
  })();
  followAlarms({ load: loadAlarms, onChanged: alarmsChanged, running: config.alarmsRunning });
}
