// The reports page: a zone's compliance report (figures, the hub's SVG chart with the
// limits, PDF and CSV), expiry, the stock ledger, a lot's trace with who received it
// (the recall: CSV and PDF too), an item's recall across lots, turnover and ABC. Every figure comes
// from the report API; the downloads and the chart are plain links, which open with
// the login's session cookie (reads only: docs/web.md, "The session cookie").
import { api, requireSession } from "./api.js";
import { changesTable } from "./changes.js";
import { QC_WORDS, duration, el, words } from "./monitor.js";
import { showLotSignatures, showSignOffs } from "./signoff.js";
import { t } from "./i18n.js";

const REPORTS = "/api/v1/reports";
const QUANTITY_NAMES = { temperature_c: [t("Temperature"), "°C"], humidity_pct: [t("Humidity"), "%RH"] };
// The ledger's moves and the expiry report's states in the page's words.
const MOVE_WORDS = {
  receive: t("receive"), dispatch: t("dispatch"), transfer: t("transfer"), adjust: t("adjust"), return: t("return"), count: t("count"),
};
const NOW = t("now");
const EXPIRY_WORDS = { expired: t("expired"), expiring: t("expiring") };
const HOUR_MS = 3600 * 1000;

/** A time as the form's UTC input writes it: "2026-12-06T10:00". */
export function utcInput(date) {
  return date.toISOString().slice(0, 16);
}

/** The form's UTC input as the API takes it. */
export function fromInput(value) {
  return value.length === 16 ? `${value}:00Z` : `${value}Z`;
}

/** An API time in UTC words: "2026-12-06 10:00 UTC". */
export function utc(iso) {
  if (!iso) return "";
  return `${new Date(iso).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function number(value, digits = 1) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
}

function setPeriod(startInput, endInput, hours) {
  // To the next whole minute: what happened in this minute (a change of a limit a
  // moment ago) is in the period.
  const end = new Date(Date.now() + 60 * 1000);
  end.setUTCSeconds(0, 0);
  endInput.value = utcInput(end);
  startInput.value = utcInput(new Date(end.getTime() - hours * HOUR_MS));
}

function say(line, words, tone = "") {
  line.textContent = words;
  line.dataset.tone = tone;
}

/** A table with a head row and text cells (never HTML from data). */
function fill(table, head, rows, empty) {
  table.replaceChildren(
    el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col", textContent: h })))),
    el("tbody", {}, rows.length ? rows.map((row) => el("tr", {}, row.map((cell) => el("td", { textContent: String(cell ?? "") }))))
      : el("tr", {}, el("td", { colSpan: head.length, className: "empty", textContent: empty }))),
  );
}

function link(anchor, path, params) {
  anchor.href = `${path}?${new URLSearchParams(params)}`;
}

// --- the zone report

const zoneForm = document.getElementById("zone-form");
const zoneStatus = document.getElementById("zone-status");
const zoneResult = document.getElementById("zone-result");

function limitWords(limit, unit) {
  if (!limit || (limit.low === null && limit.high === null)) return t("no limits");
  if (limit.low !== null && limit.high !== null) return `${limit.low}–${limit.high} ${unit}`;
  return limit.high !== null ? t("at most {value} {unit}", { value: limit.high, unit }) : t("at least {value} {unit}", { value: limit.low, unit });
}

function facts(report) {
  const pairs = [
    [t("Zone"), `${report.zone_name} (${report.zone})`],
    [t("Storage class"), report.storage_class || t("none")],
    ...Object.entries(report.limits || {}).map(([q, limit]) => {
      const [name, unit] = QUANTITY_NAMES[q] || [q, ""];
      return [t("{quantity} limits", { quantity: name }), limitWords(limit, unit)];
    }),
    [t("Period"), report.time_zone && report.time_zone !== "UTC"
      ? t("{start} to {end} (days in {zone})", { start: utc(report.start), end: utc(report.end), zone: report.time_zone })
      : t("{start} to {end}", { start: utc(report.start), end: utc(report.end) })],
    [t("Sensors"), report.sensors.map((s) => s.id).join(", ") || t("none")],
    ...(report.zone_time || []).map((z) => {
      const [name] = QUANTITY_NAMES[z.quantity] || [z.quantity];
      return [t("{quantity} out of range (zone)", { quantity: name }),
        t("above {above}, below {below}", { above: outOfRange(z.above_s_min, z.above_s_max), below: outOfRange(z.below_s_min, z.below_s_max) })];
    }),
    [t("Record complete"), report.complete ? t("yes") : t("no: {n} gap(s)", { n: report.gaps.length })],
    [t("Excursions"), String(report.excursions.length)],
    [t("Highest MKT"), report.highest_mkt && report.highest_mkt.mkt_c !== null
      ? t("{mkt} °C ({sensor}, {hours} h to {end})", { mkt: number(report.highest_mkt.mkt_c, 2), sensor: report.highest_mkt.sensor, hours: report.mkt_window_h, end: utc(report.highest_mkt.window_end) })
      : t("no temperature readings")],
  ];
  return pairs.flatMap(([term, value]) => [el("dt", { textContent: term }), el("dd", { textContent: value })]);
}

function outOfRange(min, max) {
  if (!max) return t("{n} s", { n: 0 });
  return min === max ? duration(max) : t("{start} to {end}", { start: duration(min), end: duration(max) });
}

function excursionFacts(e) {
  const going = t("still going on");
  const period = t("{start} to {end}", { start: utc(e.start), end: e.end ? utc(e.end) : going });
  return [period, outOfRange(e.seconds_min, e.seconds_max), e.source].join(" · ");
}

function showZone(report, params) {
  document.getElementById("zone-facts").replaceChildren(...facts(report));
  const charts = document.getElementById("zone-charts");
  const quantities = Object.keys(report.chart || {});
  charts.replaceChildren(...(quantities.length ? quantities : ["temperature_c"]).map((q) => {
    const [name] = QUANTITY_NAMES[q] || [q];
    const img = el("img", {
      className: "chart", alt: t("{quantity} of {zone}: min-max band, mean and limits", { quantity: name, zone: report.zone_name }),
      width: 900, height: 300,
    });
    img.src = `${REPORTS}/zones/${encodeURIComponent(report.zone)}?${new URLSearchParams({ ...params, format: "svg", quantity: q })}`;
    return el("figure", {}, img);
  }));
  fill(document.getElementById("zone-summary"),
    [t("Sensor"), t("Quantity"), t("Readings"), t("Min"), t("Max"), t("Mean"), t("Above limit"), t("Below limit")],
    report.summaries.map((s) => [s.sensor, (QUANTITY_NAMES[s.quantity] || [s.quantity])[0], s.readings,
      number(s.min), number(s.max), number(s.mean, 2), outOfRange(s.above_s_min, s.above_s_max),
      outOfRange(s.below_s_min, s.below_s_max)]),
    t("No readings in the period."));
  const excursions = document.getElementById("zone-excursions");
  excursions.replaceChildren(...(report.excursions.length ? report.excursions.map((e) => el("li", {},
    el("span", { className: "row-head", textContent: e.side === "above" ? t("{sensor}: above the limit, peak {peak}", { sensor: e.sensor, peak: number(e.peak) })
      : t("{sensor}: below the limit, peak {peak}", { sensor: e.sensor, peak: number(e.peak) }) }),
    el("span", { className: "facts", textContent: excursionFacts(e) }),
  )) : [el("li", { className: "empty", textContent: t("None in the period.") })]));
  const gaps = document.getElementById("zone-gaps");
  gaps.replaceChildren(...(report.gaps.length ? report.gaps.map((g) => el("li", {},
    el("span", { className: "row-head", textContent: t("{sensor}: {time} without a reading", { sensor: g.sensor, time: duration(g.seconds) }) }),
    el("span", { className: "facts", textContent: t("{start} to {end} (allowed {time})", { start: utc(g.start), end: utc(g.end), time: duration(g.allowed_s) }) }),
  )) : [el("li", { className: "empty", textContent: t("None: the record is complete.") })]));
  document.getElementById("zone-notes").replaceChildren(...report.notes.map((n) => el("li", { textContent: n })));
  changesTable(document.getElementById("zone-changes"), report.changes || [], t("No change recorded in the period."));
  zoneResult.hidden = false;
}

async function loadZone(event) {
  event?.preventDefault();
  const code = zoneForm.zone.value;
  if (!code) return;
  const params = { start: fromInput(zoneForm.start.value), end: fromInput(zoneForm.end.value) };
  const path = `${REPORTS}/zones/${encodeURIComponent(code)}`;
  link(document.getElementById("zone-pdf"), path, { ...params, format: "pdf" });
  link(document.getElementById("zone-csv"), path, { ...params, format: "csv" });
  say(zoneStatus, t("Loading the report…"));
  try {
    const report = await api(`${path}?${new URLSearchParams(params)}`);
    showZone(report, params);
    showSignOffs(report, params, () => loadZone());
    say(zoneStatus, t("{zone}: {start} to {end}", { zone: report.zone_name, start: utc(report.start), end: utc(report.end) }), "ok");
  } catch (err) {
    zoneResult.hidden = true;
    say(zoneStatus, err.message, "error");
  }
}

// --- expiry, ledger, lot trace

async function loadExpiry(event) {
  event?.preventDefault();
  const form = document.getElementById("expiry-form");
  const params = { within_days: form.within_days.value };
  link(document.getElementById("expiry-csv"), `${REPORTS}/expiry`, { ...params, format: "csv" });
  link(document.getElementById("expiry-pdf"), `${REPORTS}/expiry`, { ...params, format: "pdf" });
  const line = document.getElementById("expiry-status");
  try {
    const rows = await api(`${REPORTS}/expiry?${new URLSearchParams(params)}`);
    fill(document.getElementById("expiry-table"),
      [t("Item"), t("Lot"), t("Expiry"), t("Days left"), t("State"), t("QC"), t("On hand"), t("Where")],
      rows.map((r) => [r.item, r.lot_number, r.expiry, r.days_left, words(EXPIRY_WORDS, r.state), words(QC_WORDS, r.qc_status), r.on_hand, r.locations]),
      t("No lot in stock expires in that time."));
    say(line, t("{n} lot(s)", { n: rows.length }), "ok");
  } catch (err) {
    say(line, err.message, "error");
  }
}

async function loadLedger(event) {
  event?.preventDefault();
  const form = document.getElementById("ledger-form");
  const params = { start: fromInput(form.start.value), end: fromInput(form.end.value) };
  if (form.item.value.trim()) params.item = form.item.value.trim();
  link(document.getElementById("ledger-csv"), `${REPORTS}/ledger`, { ...params, format: "csv" });
  link(document.getElementById("ledger-pdf"), `${REPORTS}/ledger`, { ...params, format: "pdf" });
  const line = document.getElementById("ledger-status");
  try {
    const report = await api(`${REPORTS}/ledger?${new URLSearchParams(params)}`);
    fill(document.getElementById("ledger-table"),
      [t("Item"), t("Opening"), t("Received"), t("Dispatched"), t("Other out"), t("Closing")],
      report.items.map((i) => [i.item, i.opening, i.received, i.dispatched, i.other_out, i.closing]),
      t("No stock moved in the period."));
    say(line, t("{n} move(s); every move is in the CSV", { n: report.moves.length }), "ok");
  } catch (err) {
    say(line, err.message, "error");
  }
}

// --- who received it (the recall), turnover and ABC

/** The recall's tables: units per consignee, then each dispatch with its order. */
function showReceivedBy(found, totalsTable, dispatchesTable, empty) {
  const nobody = t("not recorded");
  fill(totalsTable,
    [t("Consignee"), t("Name"), t("GLN"), t("Units"), t("Dispatches"), t("First"), t("Last"), t("Orders")],
    (found?.totals || []).map((c) => [c.consignee || nobody, c.consignee_name || "", c.gln || "", c.quantity,
      c.dispatches, utc(c.first), utc(c.last), c.orders.join(", ")]),
    empty);
  fill(dispatchesTable,
    [t("When"), t("Lot"), t("Consignee"), t("Order"), t("Units")],
    (found?.receipts || []).map((r) => [utc(r.at), r.lot_number,
      r.consignee ? `${r.consignee_name} (${r.consignee})` : nobody, r.order || "", r.quantity]),
    empty);
}

async function loadRecall(event) {
  event?.preventDefault();
  const item = document.getElementById("recall-form").item.value.trim();
  if (!item) return;
  const path = `${REPORTS}/items/${encodeURIComponent(item)}/received-by`;
  link(document.getElementById("recall-csv"), path, { format: "csv" });
  link(document.getElementById("recall-pdf"), path, { format: "pdf" });
  const line = document.getElementById("recall-status");
  try {
    const found = await api(path);
    showReceivedBy(found, document.getElementById("recall-totals"), document.getElementById("recall-dispatches"),
      t("No lot of this item has been dispatched."));
    say(line, t("{item}: {units} unit(s) dispatched to {n} consignee(s)", { item, units: found.quantity, n: found.totals.length }), "ok");
  } catch (err) {
    say(line, err.message, "error");
  }
}

function coverWords(days) {
  return days === null || days === undefined ? "–" : t("{days} days", { days: number(days, 1) });
}

async function loadTurnover(event) {
  event?.preventDefault();
  const form = document.getElementById("turnover-form");
  const params = { start: fromInput(form.start.value), end: fromInput(form.end.value), basis: form.basis.value };
  link(document.getElementById("turnover-csv"), `${REPORTS}/turnover`, { ...params, format: "csv" });
  link(document.getElementById("turnover-pdf"), `${REPORTS}/turnover`, { ...params, format: "pdf" });
  const line = document.getElementById("turnover-status");
  try {
    const report = await api(`${REPORTS}/turnover?${new URLSearchParams(params)}`);
    const rows = [...report.rows].sort((a, b) => a.abc.localeCompare(b.abc) || b.dispatched - a.dispatched);
    fill(document.getElementById("turnover-table"),
      [t("ABC"), t("Item"), t("Name"), t("Dispatched"), t("Average stock"), t("Closing stock"), t("Turnover"), t("Days of cover"), t("Dispatch value")],
      rows.map((r) => [r.abc, r.item, r.item_name, r.dispatched, number(r.average_stock, 1), r.closing_stock,
        number(r.turnover, 2), coverWords(r.days_of_cover), r.dispatch_value === null ? "–" : number(r.dispatch_value, 2)]),
      t("No stock held or dispatched in the period."));
    const counts = { A: 0, B: 0, C: 0 };
    for (const r of report.rows) counts[r.abc] = (counts[r.abc] || 0) + 1;
    const basis = report.basis === "value" ? t("by dispatch value") : t("by units dispatched");
    say(line, t("{n} item(s): {a} A, {b} B, {c} C ({basis})", { n: report.rows.length, a: counts.A, b: counts.B, c: counts.C, basis }), "ok");
  } catch (err) {
    say(line, err.message, "error");
  }
}

async function loadTrace(event) {
  event?.preventDefault();
  const lot = document.getElementById("trace-form").lot.value;
  if (!lot) return;
  const path = `${REPORTS}/lots/${encodeURIComponent(lot)}/trace`;
  link(document.getElementById("trace-csv"), path, { format: "csv" });
  link(document.getElementById("trace-pdf"), path, { format: "pdf" });
  const line = document.getElementById("trace-status");
  try {
    const found = await api(path);
    fill(document.getElementById("trace-table"),
      [t("When"), t("Kind"), t("From"), t("To"), t("Quantity"), t("By"), t("Reference"), t("Consignee")],
      found.trace.moves.map((m) => [utc(m.at), words(MOVE_WORDS, m.kind), m.from_location || t("outside"), m.to_location || t("outside"),
        m.quantity, m.user, m.reference || "", m.consignee || ""]),
      t("No moves."));
    document.getElementById("trace-stays").replaceChildren(...found.stays.map((s) => el("li", {},
      el("span", { className: "row-head", textContent: t("In {zone}", { zone: s.zone }) }),
      el("span", { className: "facts", textContent: t("{start} to {end}", { start: utc(s.start), end: s.end ? utc(s.end) : NOW }) }))));
    document.getElementById("trace-changes-head").hidden = false;
    changesTable(document.getElementById("trace-changes"), found.changes || [], t("No QC status change on the audit trail."));
    showReceivedBy(found.received_by, document.getElementById("received-totals"),
      document.getElementById("received-dispatches"), t("The lot has not been dispatched."));
    document.getElementById("trace-received").hidden = false;
    const lotRow = found.trace.lot;
    showLotSignatures(lotRow);
    say(line, t("{item} lot {lot}: {n} on hand, {excursions} excursion(s) while stored", { item: lotRow.item, lot: lotRow.lot_number, n: lotRow.on_hand, excursions: found.excursions.length }), "ok");
  } catch (err) {
    say(line, err.message, "error");
  }
}

async function start() {
  if (!requireSession()) return;
  // The downloads and the chart are links: they need the session cookie, which a login
  // older than it (or cleared cookies) lacks. Set from the page's token; harmless again.
  await api("/api/v1/auth/session", { method: "POST" }).catch(() => {});
  for (const button of zoneForm.querySelectorAll("[data-hours]")) {
    button.addEventListener("click", () => {
      setPeriod(zoneForm.start, zoneForm.end, Number(button.dataset.hours));
      loadZone();
    });
  }
  setPeriod(zoneForm.start, zoneForm.end, 24);
  const ledgerForm = document.getElementById("ledger-form");
  setPeriod(ledgerForm.start, ledgerForm.end, 24 * 30);
  zoneForm.addEventListener("submit", loadZone);
  document.getElementById("expiry-form").addEventListener("submit", loadExpiry);
  ledgerForm.addEventListener("submit", loadLedger);
  document.getElementById("trace-form").addEventListener("submit", loadTrace);
  document.getElementById("recall-form").addEventListener("submit", loadRecall);
  const turnoverForm = document.getElementById("turnover-form");
  setPeriod(turnoverForm.start, turnoverForm.end, 24 * 30);
  turnoverForm.addEventListener("submit", loadTurnover);
  try {
    const [zones, lots] = await Promise.all([api("/api/v1/zones"), api("/api/v1/lots?limit=5000")]);
    zoneForm.zone.replaceChildren(...zones.map((z) => el("option", { value: z.code, textContent: `${z.name} (${z.code})` })));
    const lotSelect = document.getElementById("trace-lot");
    lotSelect.replaceChildren(...lots.map((l) => el("option", { value: String(l.id), textContent: t("{item} · lot {lot}", { item: l.item, lot: l.lot_number }) })));
    if (!lots.length) lotSelect.append(el("option", { value: "", textContent: t("no lots yet") }));
    const wanted = new URLSearchParams(location.search).get("zone");
    if (wanted && zones.some((z) => z.code === wanted)) zoneForm.zone.value = wanted;
  } catch (err) {
    say(zoneStatus, err.message, "error");
  }
  document.body.dataset.ready = "true";
  if (zoneForm.zone.value) await loadZone();
}

start();
