// The audit trail's review page (/audit): the chain's state at the top, the trail
// filtered by period, user, entity, key and action, one line per changed field with
// the old and the new value side by side (the new one marked), paged on `after_seq`.
// The rows come from GET /api/v1/audit with the page's token; the CSV and PDF are
// plain links that open with the login's session cookie (reads only: docs/web.md).
import { ApiError, api, pageConfig, requireSession, session } from "./api.js";
import { changesTable } from "./changes.js";
import { t } from "./i18n.js";

const AUDIT = "/api/v1/audit";
const HOUR_MS = 3600 * 1000;
const FILTERS = ["user", "entity", "key", "action"];
const PAGE = pageConfig().pageSize || 100;

const form = document.getElementById("audit-form");
const status = document.getElementById("audit-status");
const table = document.getElementById("audit-table");
const prev = document.getElementById("audit-prev");
const next = document.getElementById("audit-next");

let asked = {}; // the filters of the rows shown
let pages = [0]; // the after_seq of each page so far: the last one is the page shown
let lastSeq = 0;
let more = false;

function utcInput(date) {
  return date.toISOString().slice(0, 16);
}

function fromInput(value) {
  return value.length === 16 ? `${value}:00Z` : `${value}Z`;
}

function say(words, tone = "") {
  status.textContent = words;
  status.dataset.tone = tone;
}

function setPeriod(hours) {
  if (!hours) {
    form.since.value = "";
    form.until.value = "";
    return;
  }
  const end = new Date(Date.now() + 60 * 1000);
  end.setUTCSeconds(0, 0);
  form.until.value = utcInput(end);
  form.since.value = utcInput(new Date(end.getTime() - hours * HOUR_MS));
}

function filtersOfForm() {
  const found = {};
  if (form.since.value) found.since = fromInput(form.since.value);
  if (form.until.value) found.until = fromInput(form.until.value);
  for (const name of FILTERS) {
    const value = form[name].value.trim();
    if (value) found[name] = value;
  }
  return found;
}

function fillForm(params) {
  form.since.value = params.get("since") ? utcInput(new Date(params.get("since"))) : "";
  form.until.value = params.get("until") ? utcInput(new Date(params.get("until"))) : "";
  for (const name of FILTERS) form[name].value = params.get(name) || "";
}

function exports(filters) {
  const query = new URLSearchParams(filters);
  document.getElementById("audit-csv").href = `${AUDIT}.csv?${query}`;
  document.getElementById("audit-pdf").href = `${AUDIT}.pdf?${query}`;
}

async function load(afterSeq) {
  say(t("Loading…"));
  try {
    const query = new URLSearchParams({ ...asked, after_seq: String(afterSeq), limit: String(PAGE + 1) });
    const found = await api(`${AUDIT}?${query}`);
    more = found.length > PAGE;
    const rows = found.slice(0, PAGE);
    lastSeq = rows.length ? rows[rows.length - 1].seq : afterSeq;
    changesTable(table, rows, t("No row matches these filters."));
    const first = (pages.length - 1) * PAGE;
    const span = { from: first + 1, to: first + rows.length, n: rows.length };
    document.getElementById("audit-page").textContent = rows.length
      ? (more ? t("rows {from}–{to}", span) : t("rows {from}–{to} (the last)", span)) : "";
    say(rows.length ? (more ? t("{n} row(s) on this page; more on the next", span) : t("{n} row(s) on this page", span))
      : t("No row matches these filters."), "ok");
  } catch (err) {
    table.replaceChildren();
    more = false;
    if (err instanceof ApiError && err.status === 403) {
      const other = t("another role");
      say(t("The audit trail is for supervisors and admins; you are logged in as {role}.", { role: session()?.role || other }), "error");
    } else {
      say(err.message, "error");
    }
  }
  prev.disabled = pages.length <= 1;
  next.disabled = !more;
}

function search(event) {
  event?.preventDefault();
  asked = filtersOfForm();
  pages = [0];
  exports(asked);
  const query = new URLSearchParams(asked).toString();
  history.replaceState(null, "", query ? `/audit?${query}` : "/audit");
  return load(0);
}

async function checkChain(whole) {
  const box = document.getElementById("chain");
  const line = document.getElementById("chain-state");
  box.dataset.state = "checking";
  line.textContent = whole ? t("Verifying every row…") : t("Checking the chain…");
  try {
    const chain = await api(`${AUDIT}/chain${whole ? "?whole=true" : ""}`, { timeoutMs: 120000 });
    const scope = chain.whole ? t("every row") : t("the newest {n} rows", { n: chain.checked });
    if (chain.ok) {
      box.dataset.state = "ok";
      line.textContent = t("Chain verified ({scope}): head row {seq}, hash {hash}…; {n} rows in the trail.", { scope, seq: chain.head_seq, hash: chain.head_hash.slice(0, 16), n: chain.rows });
      line.title = chain.head_hash;
    } else {
      box.dataset.state = "broken";
      line.textContent = t("Chain BROKEN at row {seq}: {problem}. Checked {scope}.", { seq: chain.broken_seq, problem: chain.problem, scope });
    }
  } catch (err) {
    box.dataset.state = "unknown";
    line.textContent = t("The chain's state is unknown: {reason}", { reason: err.message });
  }
}

async function start() {
  if (!requireSession()) return;
  // The downloads are links: they need the session cookie, set from the page's token.
  await api("/api/v1/auth/session", { method: "POST" }).catch(() => {});
  for (const button of form.querySelectorAll("[data-hours]")) {
    button.addEventListener("click", () => {
      setPeriod(Number(button.dataset.hours));
      search();
    });
  }
  form.addEventListener("submit", search);
  prev.addEventListener("click", () => {
    pages.pop();
    load(pages[pages.length - 1]);
  });
  next.addEventListener("click", () => {
    pages.push(lastSeq);
    load(lastSeq);
  });
  document.getElementById("chain-whole").addEventListener("click", () => checkChain(true));
  const given = new URLSearchParams(location.search);
  if ([...given.keys()].length) fillForm(given);
  else setPeriod(720);
  await Promise.all([checkChain(false), search()]);
  document.body.dataset.ready = "true";
}

start();
