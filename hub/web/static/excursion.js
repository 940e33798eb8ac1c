// The excursion page: one excursion's figures as the alarm engine counts them (peak so
// far, time beyond the limit and beyond critical, time left to the tolerance), asked
// again every few seconds while it lasts; the lots it held, collapsed, with one
// release or reject for many of them; the lots it will hold when the tolerance runs out.
import { api, pageConfig, session } from "./api.js";
import { decide } from "./decide.js";
import { lotList } from "./lotlist.js";
import { canDo, duration, el, sleep, when } from "./monitor.js";

const config = pageConfig();
const statusLine = document.getElementById("x-status");
const heldStatus = document.getElementById("held-status");
const UNITS = { temperature_c: "°C", humidity_pct: "%RH" };
const NAMES = { temperature_c: "temperature", humidity_pct: "humidity" };

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
    say(heldStatus, `${status === "released" ? "Released" : "Rejected"} ${done.changed} lot${done.changed === 1 ? "" : "s"}`, "ok");
  } catch (err) {
    say(heldStatus, err.message, "error");
  }
  await refresh();
}

const supervisor = canDo(session(), "supervisor");
const held = lotList(document.getElementById("held-lots"), {
  select: supervisor, openUpTo: 10,
  actions: supervisor ? [
    { label: "Release", className: "primary release-selected", run: (lots) => act("released", lots) },
    { label: "Reject", className: "reject-selected", run: (lots) => act("rejected", lots) },
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
  const zone = detail.zone_name || x.zone || "no zone";
  const ongoing = x.end === null;
  document.getElementById("x-title").textContent = `Excursion in ${zone}`;
  document.title = `Excursion in ${zone} · Stockwarden`;
  const state = document.getElementById("x-state");
  state.dataset.state = ongoing ? "lost" : "live";
  state.textContent = ongoing ? "in progress" : "ended";
  const beyond = x.side === "above" ? x.above_s : x.below_s;
  const left = x.tolerance_passed ? `passed: lots held ${when(x.held_at) || ""}`.trim()
    : x.tolerance_left_s === null ? "no tolerance known" : duration(x.tolerance_left_s);
  document.getElementById("figures").replaceChildren(
    ...fact("Sensor", `${x.sensor} · ${NAMES[x.quantity] || x.quantity} ${x.side} the limit`, "sensor"),
    ...fact(ongoing ? "Reads now" : "Read at the end", value(x.quantity, x.last_value), "now"),
    ...fact(ongoing ? "Peak so far" : "Peak", value(x.quantity, x.peak), "peak"),
    ...fact("Severity", x.severity, "severity"),
    ...fact("Beyond the limit", duration(beyond), "beyond"),
    ...fact("Beyond critical", duration(x.critical_s), "critical"),
    ...fact("Tolerance", x.tolerance_s === null ? "—" : duration(x.tolerance_s), "tolerance"),
    ...fact("Time left to the hold", left, "left"),
    ...fact("Started", when(x.start), "start"),
    ...fact("Ended", ongoing ? "in progress" : `${when(x.end)} (${duration(x.duration_s)})`, "end"),
  );
  document.getElementById("x-asof").textContent = x.as_of ? `as of ${when(x.as_of)}` : "";
  document.getElementById("x-reason").textContent = x.hold_reason ? `Hold reason: ${x.hold_reason}` : "";
  if (x.zone) {
    document.getElementById("x-report").href = `/reports?zone=${encodeURIComponent(x.zone)}`;
    document.getElementById("x-alarms").href = `/alarms?zone=${encodeURIComponent(x.zone)}`;
  }
  const onHold = detail.held.filter((lot) => lot.qc_status === "on_hold").length;
  document.getElementById("held-count").textContent = String(detail.held.length);
  held.update(detail.held, `${detail.held.length} lots held · ${onHold} still on hold`);
  document.getElementById("to-hold-count").textContent = String(detail.to_hold.length);
  toHold.update(detail.to_hold, detail.to_hold.length
    ? `${detail.to_hold.length} released lots with stock in ${zone}: on hold when the tolerance runs out`
    : "none (already held, or over)");
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
