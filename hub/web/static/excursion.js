// The excursion page: one excursion's figures as the alarm engine counts them (peak so
// far, time beyond the limit and beyond critical, time left to the tolerance), asked
// again every few seconds while it lasts; the lots it held, collapsed, with one
// release or reject for many of them; the lots it will hold when the tolerance runs out.
import { api, pageConfig, session } from "./api.js";
import { decide } from "./decide.js";
import { lotList } from "./lotlist.js";
import { QUANTITY_WORDS, SEVERITY_WORDS, canDo, duration, el, sleep, when } from "./monitor.js";
import { t } from "./i18n.js";

const config = pageConfig();
const statusLine = document.getElementById("x-status");
const heldStatus = document.getElementById("held-status");
const UNITS = { temperature_c: "°C", humidity_pct: "%RH" };
const NAMES = QUANTITY_WORDS;

function say(line, words, tone = "") {
  line.textContent = words;
  line.dataset.tone = tone;
}

function value(quantity, number) {
  return number === null || number === undefined ? "—" : `${Number(number).toFixed(1)} ${UNITS[quantity] || ""}`.trim();
}

async function act(status, lots) {
  try {
    const done = await decide(lots, status);
    if (done === null) return;
    const n = done.changed;
    const words = status === "released" ? (n === 1 ? t("Released 1 lot") : t("Released {n} lots", { n }))
      : (n === 1 ? t("Rejected 1 lot") : t("Rejected {n} lots", { n }));
    say(heldStatus, words, "ok");
  } catch (err) {
    say(heldStatus, err.message, "error");
  }
  await refresh();
}

const supervisor = canDo(session(), "supervisor");
const held = lotList(document.getElementById("held-lots"), {
  select: supervisor, openUpTo: 10,
  actions: supervisor ? [
    { label: t("Release"), className: "primary release-selected", run: (lots) => act("released", lots) },
    { label: t("Reject"), className: "reject-selected", run: (lots) => act("rejected", lots) },
  ] : [],
});
const toHold = lotList(document.getElementById("to-hold-lots"), { openUpTo: 0 });

function fact(name, words, key) {
  const dd = el("dd", { textContent: words });
  dd.dataset.fact = key;
  return [el("dt", { textContent: name }), dd];
}

function show(detail) {
  const x = detail.excursion;
  const zone = detail.zone_name || x.zone || t("no zone");
  const ongoing = x.end === null;
  document.getElementById("x-title").textContent = t("Excursion in {zone}", { zone });
  document.title = `${t("Excursion in {zone}", { zone })} · Stockwarden`;
  const state = document.getElementById("x-state");
  state.dataset.state = ongoing ? "lost" : "live";
  state.textContent = ongoing ? t("in progress") : t("ended");
  const beyond = x.side === "above" ? x.above_s : x.below_s;
  const left = x.tolerance_passed ? t("passed: lots held {time}", { time: when(x.held_at) || "" }).trim()
    : x.tolerance_left_s === null ? t("no tolerance known") : duration(x.tolerance_left_s);
  const side = { sensor: x.sensor, quantity: NAMES[x.quantity] || x.quantity };
  document.getElementById("figures").replaceChildren(
    ...fact(t("Sensor"), x.side === "above" ? t("{sensor} · {quantity} above the limit", side) : t("{sensor} · {quantity} below the limit", side), "sensor"),
    ...fact(ongoing ? t("Reads now") : t("Read at the end"), value(x.quantity, x.last_value), "now"),
    ...fact(ongoing ? t("Peak so far") : t("Peak"), value(x.quantity, x.peak), "peak"),
    ...fact(t("Severity"), SEVERITY_WORDS[x.severity] || x.severity, "severity"),
    ...fact(t("Beyond the limit"), duration(beyond), "beyond"),
    ...fact(t("Beyond critical"), duration(x.critical_s), "critical"),
    ...fact(t("Tolerance"), x.tolerance_s === null ? "—" : duration(x.tolerance_s), "tolerance"),
    ...fact(t("Time left to the hold"), left, "left"),
    ...fact(t("Started"), when(x.start), "start"),
    ...fact(t("Ended"), ongoing ? t("in progress") : `${when(x.end)} (${duration(x.duration_s)})`, "end"),
  );
  document.getElementById("x-asof").textContent = x.as_of ? t("as of {time}", { time: when(x.as_of) }) : "";
  document.getElementById("x-reason").textContent = x.hold_reason ? t("Hold reason: {reason}", { reason: x.hold_reason }) : "";
  if (x.zone) {
    document.getElementById("x-report").href = `/reports?zone=${encodeURIComponent(x.zone)}`;
    document.getElementById("x-alarms").href = `/alarms?zone=${encodeURIComponent(x.zone)}`;
  }
  const onHold = detail.held.filter((lot) => lot.qc_status === "on_hold").length;
  document.getElementById("held-count").textContent = String(detail.held.length);
  held.update(detail.held, t("{n} lots held · {still} still on hold", { n: detail.held.length, still: onHold }));
  document.getElementById("to-hold-count").textContent = String(detail.to_hold.length);
  toHold.update(detail.to_hold, detail.to_hold.length
    ? t("{n} released lots with stock in {zone}: on hold when the tolerance runs out", { n: detail.to_hold.length, zone })
    : t("none (already held, or over)"));
  document.body.dataset.ongoing = String(ongoing);
}

async function refresh() {
  try {
    const detail = await api(`/api/v1/alarms/excursions/${config.excursion}`);
    show(detail);
    say(statusLine, "");
    return detail.excursion.end === null;
  } catch (err) {
    say(statusLine, err.message, "error");
    return true;  // try again
  }
}

if (session()) {
  let ongoing = await refresh();
  document.body.dataset.ready = "true";
  // Follow it while it lasts (the figures are stored with every reading and tick).
  while (ongoing) {
    await sleep((config.refreshSeconds || 2) * 1000);
    if (document.hidden) continue;
    ongoing = await refresh();
  }
}
