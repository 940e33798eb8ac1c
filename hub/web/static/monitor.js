// Shared by the overview and the alarms page: the alarm API's live feed, small DOM
// helpers (text only, never HTML from data) and how times and values are written.
import { api, ApiError } from "./api.js";
import { t } from "./i18n.js";

/** An element with properties and children (strings become text nodes). */
export function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/** An Idempotency-Key; crypto.randomUUID exists only in secure contexts. */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Times and dates written as the page's language writes them (<html lang>).
const LOCALE = document.documentElement.lang || undefined;

export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  const today = new Date();
  const time = date.toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  return date.toDateString() === today.toDateString() ? time : `${date.toLocaleDateString(LOCALE)} ${time}`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return t("ongoing");
  const s = Math.round(seconds);
  if (s < 120) return t("{n} s", { n: s });
  if (s < 7200) return t("{n} min", { n: Math.round(s / 60) });
  return t("{n} h", { n: (s / 3600).toFixed(1) });
}

export const OPEN_STATES = ["active", "acknowledged", "cleared"];

// The hub's codes in the page's words (the code itself when a table has no word for it).
export const SEVERITY_WORDS = { critical: t("critical"), warning: t("warning"), info: t("info") };
export const STATE_WORDS = {
  active: t("active"), acknowledged: t("acknowledged"), cleared: t("cleared"), closed: t("closed"),
  shelved: t("shelved"),
};
export const QC_WORDS = {
  quarantine: t("quarantine"), released: t("released"), on_hold: t("on hold"), rejected: t("rejected"),
  recalled: t("recalled"),
};
export const KIND_WORDS = {
  threshold: t("threshold"), rate: t("rate of change"), offline: t("sensor offline"),
  gateway_offline: t("gateway offline"), backlog: t("backlog"), expiry: t("expiry"), expired: t("expired"),
  low_stock: t("low stock"), overstock: t("overstock"), broker_session: t("broker session"),
  audit_chain: t("audit chain"), calibration_due: t("calibration due"),
  calibration_mismatch: t("calibration mismatch"), alarm_test_due: t("alarm test due"),
};
export const QUANTITY_WORDS = { temperature_c: t("temperature"), humidity_pct: t("humidity") };
/** A code in words: `words(STATE_WORDS, "active")`. */
export function words(table, code) {
  return (code && table[code]) || (code ? String(code).replaceAll("_", " ") : "");
}

/** The session's role can do what needs `role` (operator < supervisor < admin). */
export function canDo(session, role) {
  const ranks = ["operator", "supervisor", "admin"];
  return Boolean(session) && ranks.indexOf(session.role) >= ranks.indexOf(role);
}

/** The live indicator in a page's heading: "live", "reconnecting", "no alarm engine". */
export function showLive(state, words) {
  const live = document.getElementById("live");
  if (!live) return;
  live.dataset.state = state;
  live.textContent = words;
}

/**
 * Follow the alarm feed (GET /api/v1/alarms/changes, a long poll): `load()` is called
 * first and again after the feed was lost (it fetches the full list), `onChanged(alarms)`
 * with the alarms each change touched, as they are now. Never returns.
 */
export async function followAlarms({ load, onChanged, running = true }) {
  let cursor = null;
  let pause = 1000;
  for (;;) {
    try {
      if (cursor === null) {
        cursor = (await api("/api/v1/alarms/changes")).cursor;
        await load();
        showLive(running ? "live" : "polling", running ? t("live") : t("no alarm engine: every 10 s"));
      }
      const started = Date.now();
      const answer = await api(`/api/v1/alarms/changes?since=${cursor}&wait=25`, { timeoutMs: 40000 });
      cursor = answer.cursor;
      pause = 1000;
      if (answer.alarms.length) onChanged(answer.alarms);
      // A hub without the alarm engine answers at once: do not spin.
      else if (Date.now() - started < 1000) await sleep(running ? 2000 : 10000);
      showLive(running ? "live" : "polling", running ? t("live") : t("no alarm engine: every 10 s"));
    } catch (err) {
      showLive("lost", err instanceof ApiError ? t("feed: {reason}", { reason: err.message }) : t("reconnecting"));
      cursor = null;  // reload the list when the feed is back: changes may be missed
      await sleep(pause);
      pause = Math.min(pause * 2, 30000);
    }
  }
}
