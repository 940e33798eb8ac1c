// One stocktake (/stocktakes/{id}), followed while it is counted: progress by bin, the
// lines, and for supervisors (as the API allows) the variance table (book, counted,
// difference, value where the item has a unit cost, the total at the bottom), a
// recount of chosen lines or of a bin, approval with the electronic signature where
// the site requires it (sign.js: the password again and its meaning), and cancelling.
// Operators read the progress and the lines; in a blind count the API gives them no
// book quantity, and this page shows none.
import { ApiError, api, pageConfig, session } from "./api.js";
import { ask } from "./dialog.js";
import { t } from "./i18n.js";
import { canDo, el, newKey, sleep, when } from "./monitor.js";
import { signDialog, signature } from "./sign.js";
import { ACTIVE, scopeWords, stateWords } from "./stocktakestate.js";

const config = pageConfig();
const id = config.stocktake;
const statusLine = document.getElementById("st-status");
const supervisor = canDo(session(), "supervisor");
const signs = () => (config.signing?.required || []).includes("stocktake_approval");
const chosen = new Set(); // line ids ticked for a recount, kept across refreshes
let current = null; // { stocktake, report }
let shown = ""; // what was drawn last, as JSON
let busy = false; // a request of this page is under way: the next refresh waits

function say(words, tone = "") {
  statusLine.textContent = words;
  statusLine.dataset.tone = tone;
}

function live(state, words) {
  const badge = document.getElementById("st-live");
  badge.dataset.state = state;
  badge.textContent = words;
  badge.hidden = !words;
}

const LINE_STATES = { pending: () => t("not counted"), counted: () => t("counted"), recount: () => t("recount asked") };
const lineState = (status) => (LINE_STATES[status] ? LINE_STATES[status]() : status);
const number = (n) => (n === null || n === undefined ? "—" : String(n));
const signed = (n) => (n === null || n === undefined ? "—" : n > 0 ? `+${n}` : n < 0 ? `\u2212${-n}` : "0");
const money = (v) => (v === null || v === undefined ? "—" : (v > 0 ? "+" : v < 0 ? "\u2212" : "") + Math.abs(v).toFixed(2));

function cell(label, content, className = "") {
  const td = el("td", { className }, content);
  td.dataset.label = label;
  return td;
}

// --- about and progress ----------------------------------------------------------------

function fact(name, words) {
  return [el("dt", { textContent: name }), el("dd", { textContent: words })];
}

function showAbout(s) {
  document.getElementById("st-title").textContent = t("Stocktake {id}", { id: s.id });
  document.title = `${t("Stocktake {id}", { id: s.id })} · Stockwarden`;
  const state = document.getElementById("st-state");
  state.textContent = stateWords(s.status);
  state.dataset.state = s.status === "approved" ? "live" : s.status === "cancelled" ? "lost" : "";
  document.body.dataset.status = s.status;
  document.getElementById("st-facts").replaceChildren(
    ...fact(t("What is counted"), scopeWords(s)),
    ...fact(t("Blind"), s.blind ? t("yes: operators do not see the book quantities") : t("no: operators see the book quantities")),
    ...fact(t("Opened"), t("{when} by {user}", { when: when(s.opened_at), user: s.opened_by })),
    ...(s.note ? fact(t("Note"), s.note) : []),
    ...(s.closed_at ? fact(s.status === "approved" ? t("Approved") : t("Cancelled"),
      t("{when} by {user}", { when: when(s.closed_at), user: s.closed_by || "" })) : []),
    ...(s.close_reason ? fact(t("Reason"), s.close_reason) : []),
  );
  document.getElementById("st-signatures").textContent = (s.signatures || []).map((sig) => sig.text).join(" · ");
  document.getElementById("st-handheld").hidden = !ACTIVE.includes(s.status);
}

/** Per bin: its lines counted of all; a bin without stock on the book has none. */
function byBin(s) {
  const bins = new Map(s.bins.map((code) => [code, []]));
  for (const line of s.lines) {
    if (!bins.has(line.location)) bins.set(line.location, []);
    bins.get(line.location).push(line);
  }
  return bins;
}

function binState(lines) {
  if (!lines.length) return ["empty", t("empty on the book")];
  const counted = lines.filter((l) => l.status === "counted").length;
  if (lines.some((l) => l.status === "recount")) return ["recount", t("recount asked")];
  if (counted === lines.length) return ["counted", t("counted")];
  return [counted ? "partly" : "pending", counted ? t("partly counted") : t("not counted")];
}

function showProgress(s) {
  const bins = byBin(s);
  const stocked = [...bins.values()].filter((lines) => lines.length);
  const done = stocked.filter((lines) => binState(lines)[0] === "counted").length;
  const empty = bins.size - stocked.length;
  const words = [t("{done} of {total} bins counted", { done, total: stocked.length }),
    t("{counted} of {total} lines counted", { counted: s.lines_counted, total: s.lines_total })];
  if (empty) words.push(t("bins empty on the book: {n}", { n: empty }));
  document.getElementById("progress-words").textContent = words.join(" · ");
  const bar = document.getElementById("st-progress");
  bar.max = Math.max(1, s.lines_total);
  bar.value = s.lines_counted;
  const active = ACTIVE.includes(s.status);
  const heads = [t("Bin"), t("Lines counted"), t("State")];
  document.querySelector("#bins tbody").replaceChildren(...[...bins].map(([code, lines]) => {
    const [key, state] = binState(lines);
    const counted = lines.filter((l) => l.status === "counted");
    const button = supervisor && active && counted.length ? el("button", {
      type: "button", className: "small recount-bin", textContent: t("Recount"),
      ariaLabel: t("Ask for a recount of bin {bin}", { bin: code }),
      onclick: () => recount(counted.map((l) => l.id), t("bin {bin}", { bin: code })),
    }) : "";
    const tr = el("tr", {}, cell(heads[0], code), cell(heads[1], t("{counted} of {total}", { counted: counted.length, total: lines.length })),
      cell(heads[2], state), el("td", { className: "act" }, button));
    tr.dataset.bin = code;
    tr.dataset.state = key;
    return tr;
  }));
}

// --- the lines: the variance table for supervisors ----------------------------------------

function showLines(s, report) {
  const active = ACTIVE.includes(s.status);
  const choosing = supervisor && active;
  const showBook = s.lines.some((l) => l.book !== null) || Boolean(report);
  const variance = new Map((report?.lines || []).map((v) => [v.line, v]));
  const heads = [
    ...(choosing ? [t("Recount")] : []), t("Bin"), t("Item"), t("Lot"), t("State"),
    ...(showBook ? [t("Book")] : []), t("Counted"),
    ...(report ? [t("Difference"), t("Value")] : []), t("Counted by"),
  ];
  document.querySelector("#lines thead").replaceChildren(el("tr", {}, ...heads.map((h) => el("th", { textContent: h }))));
  for (const lineId of [...chosen]) {
    if (!s.lines.some((l) => l.id === lineId && l.status === "counted")) chosen.delete(lineId);
  }
  document.querySelector("#lines tbody").replaceChildren(...s.lines.map((line) => {
    const v = variance.get(line.id);
    const cells = [];
    let n = 0;
    const add = (content, className = "") => cells.push(cell(heads[n++], content, className));
    if (choosing) {
      const box = el("input", { type: "checkbox", checked: chosen.has(line.id), disabled: line.status !== "counted",
        ariaLabel: t("Recount lot {lot} in {bin}", { lot: line.lot_number, bin: line.location }) });
      box.addEventListener("change", () => { if (box.checked) chosen.add(line.id); else chosen.delete(line.id); showChosen(); });
      add(el("label", { className: "pick" }, box));
    }
    add(line.location);
    add(line.item);
    add(line.lot_number);
    add(lineState(line.status));
    if (showBook) add(number(v ? v.book : line.book), "num");
    add(number(line.counted), "num");
    if (report) {
      add(v ? signed(v.difference) : "—", v && v.difference ? "num diff" : "num");
      add(v ? money(v.value) : "—", "num");
    }
    add(line.counted_by || "");
    const tr = el("tr", {}, ...cells);
    tr.dataset.line = String(line.id);
    tr.dataset.status = line.status;
    if (v && v.difference) tr.classList.add("differs");
    return tr;
  }));
  const foot = document.querySelector("#lines tfoot");
  if (report) {
    const total = report.total_value === null ? t("no unit cost known") : money(report.total_value);
    const at = heads.indexOf(t("Value")); // the total stands under the values
    foot.replaceChildren(el("tr", { className: "total" }, el("td", { colSpan: at, textContent: t("Total value of the differences") }),
      el("td", { className: "num", id: "total-value", textContent: total }), el("td", { colSpan: heads.length - at - 1 })));
  } else {
    foot.replaceChildren();
  }
  document.getElementById("lines-title").textContent = report ? t("Variances") : t("Lines");
  document.getElementById("lines-count").textContent = String(s.lines.length);
  const unvalued = report ? report.lines.filter((l) => l.difference && l.value === null).length : 0;
  document.getElementById("lines-note").textContent = [
    report ? t("Lines with a difference: {n}", { n: report.lines_with_difference }) : "",
    unvalued ? t("Differences without a value (their items have no unit cost): {n}", { n: unvalued }) : "",
    !showBook && s.blind ? t("Blind count: the book quantities are not shown to operators.") : "",
  ].filter(Boolean).join(" · ");
  document.getElementById("recount-bar").hidden = !choosing;
  showChosen();
}

function showChosen() {
  const button = document.getElementById("recount-lines");
  button.disabled = chosen.size === 0 || busy;
  button.textContent = chosen.size ? t("Ask for a recount of the chosen lines ({n})", { n: chosen.size }) : t("Ask for a recount of the chosen lines");
}

function showDecision(s, report) {
  const panel = document.getElementById("decide-panel");
  panel.hidden = !(supervisor && ACTIVE.includes(s.status));
  const approve = document.getElementById("approve");
  approve.disabled = s.status !== "review" || busy;
  const left = s.lines_total - s.lines_counted;
  document.getElementById("approve-note").textContent = s.status === "review"
    ? t("Every line is counted. Approving posts {n} adjustment(s) to the ledger.", { n: report ? report.lines_with_difference : 0 })
    : t("{n} line(s) still to count (or recount) before approval.", { n: left });
}

function show() {
  const { stocktake: s, report } = current;
  showAbout(s);
  showProgress(s);
  showLines(s, report);
  showDecision(s, report);
}

async function load() {
  const path = `/api/v1/stocktakes/${id}`;
  const [s, report] = await Promise.all([api(path), supervisor ? api(`${path}/variances`) : null]);
  // Drawn again only when something changed: a tick box under the finger is not
  // replaced by an identical one every few seconds.
  const seen = JSON.stringify([s, report]);
  if (seen !== shown) {
    current = { stocktake: s, report };
    shown = seen;
    show();
  }
  const active = ACTIVE.includes(s.status);
  live(active ? "live" : "", active ? t("following the counts") : "");
  return active;
}

// --- what a supervisor does ----------------------------------------------------------------

async function act(work) {
  busy = true;
  showChosen();
  try {
    await work();
  } finally {
    busy = false;
    showChosen();
    await load().catch((err) => say(err.message, "error"));
  }
}

function recount(lineIds, what) {
  return act(async () => {
    try {
      await api(`/api/v1/stocktakes/${id}/recount`, { method: "POST", body: { lines: lineIds }, key: newKey() });
      for (const lineId of lineIds) chosen.delete(lineId);
      say(t("Recount asked: {what}", { what }), "ok");
    } catch (err) {
      say(t("No recount asked: {why}", { why: err.message }), "error");
    }
  });
}

function confirmApproval(question) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-question").textContent = question;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    document.getElementById("confirm-ok").focus();
  });
}

async function askSignature(question) {
  const answer = await signDialog(question, {
    meanings: ["approved", "reviewed"], text: null, ok: t("Sign & approve"),
  });
  return answer === null ? null : signature(answer);
}

async function approve() {
  const report = current.report;
  const n = report ? report.lines_with_difference : 0;
  const question = report && report.total_value !== null
    ? t("Approve stocktake {id}? {n} adjustment(s) will be posted to the ledger, worth {value} in all.", { id, n, value: money(report.total_value) })
    : t("Approve stocktake {id}? {n} adjustment(s) will be posted to the ledger.", { id, n });
  let body;
  if (signs()) {
    const sig = await askSignature(question);
    if (sig === null) { say(t("Not approved: cancelled")); return; }
    body = { signature: sig };
  } else if (!(await confirmApproval(question))) {
    say(t("Not approved: cancelled"));
    return;
  }
  await act(async () => {
    for (;;) {
      try {
        const done = await api(`/api/v1/stocktakes/${id}/approve`, { method: "POST", body, key: newKey() });
        const sig = (done.signatures || []).map((s) => s.text).join(" · ");
        say(sig ? t("Approved stocktake {id}: {signature}", { id, signature: sig }) : t("Approved stocktake {id}", { id }), "ok");
        return;
      } catch (err) {
        body = undefined; // the password is never kept in the page
        if (err instanceof ApiError && err.code === "signature_required" && !signs()) {
          const sig = await askSignature(question);
          if (sig !== null) { body = { signature: sig }; continue; }
          say(t("Not approved: cancelled"));
          return;
        }
        say(t("Not approved: {why}", { why: err.message }), "error");
        return;
      }
    }
  });
}

async function cancelStocktake() {
  const reason = await ask(t("Cancel stocktake {id}? Nothing is posted; the counts stay on record.", { id }), {
    label: t("Reason"), placeholder: t("why it is cancelled"), ok: t("Close without posting"),
    required: t("Type why (3 characters or more): the audit trail keeps it."), minLength: 3,
  });
  if (reason === null) return;
  await act(async () => {
    try {
      await api(`/api/v1/stocktakes/${id}/cancel`, { method: "POST", body: { reason }, key: newKey() });
      say(t("Stocktake {id} cancelled: nothing posted", { id }), "ok");
    } catch (err) {
      say(t("Not cancelled: {why}", { why: err.message }), "error");
    }
  });
}

// --- start: follow the counts while the stocktake is active ---------------------------------

if (session()) {
  document.getElementById("recount-lines").addEventListener("click", () => {
    const lines = [...chosen];
    recount(lines, t("{n} line(s)", { n: lines.length }));
  });
  document.getElementById("approve").addEventListener("click", approve);
  document.getElementById("cancel-stocktake").addEventListener("click", cancelStocktake);
  document.getElementById("confirm-cancel").addEventListener("click", () => document.getElementById("confirm").close("cancel"));
  let active = true;
  try {
    active = await load();
  } catch (err) {
    say(err.message, "error");
    active = !(err instanceof ApiError && err.status === 404);
    if (!active) live("lost", t("not found"));
  }
  document.body.dataset.ready = "true";
  while (active) {
    await sleep((config.refreshSeconds || 3) * 1000);
    if (document.hidden || busy) continue;
    try {
      active = await load();
    } catch (err) {
      live("lost", t("reconnecting"));
    }
  }
}
