// The handheld page: a keyboard-wedge scanner types each barcode + Enter into #scan.
// Bin and command labels are read here (also offline); product scans in a booking
// mode go to the queue (queue.js) and from there to POST /api/v1/scan.
import { api, pageConfig, requireSession, toLogin } from "./api.js";
import { ask as askInDialog, isAsking } from "./dialog.js";
import { glnCheckDigit, readProduct, readShipTo } from "./gs1.js";
import { t } from "./i18n.js";
import { MODES, commandAction, readLabel } from "./labels.js";
import {
  checkLot, describeLine, drawPickList, fetchPickList, loadPickList, nextLine, savePickList, take, takeOffList,
} from "./picklist.js";
import { ScanQueue, newKey } from "./queue.js";
import { renderQueue } from "./queueview.js";
import { DOUBLE_READ_MS, ReadWatch } from "./reads.js";
import { beep } from "./sound.js";

const config = pageConfig();
const me = requireSession();
const $ = (id) => document.getElementById(id);
const STATE_KEY = "stockwarden.handheld";
// The active consignees, kept for offline use: a dispatch names one (the recall's answer).
const CONSIGNEES_KEY = "stockwarden.consignees";
const OUTCOME_WAIT_MS = 1500;
const QTY_HINTS = {
  receive: t("Empty: the quantity on the label, else 1."), dispatch: t("Empty: the quantity on the pick list, else 1."),
  transfer: t("Empty: the quantity on the label, else 1."), return: t("Empty: the quantity on the label, else 1."),
  count: t("Type how many you counted, then scan the label."), identify: "",
};
// The modes in the page's words (the buttons say the same).
const MODE_NAMES = {
  receive: t("Receive"), dispatch: t("Dispatch"), transfer: t("Transfer"), count: t("Count"),
  return: t("Return"), identify: t("Identify"),
};

const state = Object.assign({ mode: "receive", location: null, toLocation: null, reason: "" },
  JSON.parse(localStorage.getItem(STATE_KEY) || "{}"));
const queue = new ScanQueue();
const announced = new Set(); // entries whose outcome (booked, refused) was said
let lastBooked = { key: null, result: "" }; // this page's last booking and the hub's words
let pickList = loadPickList();
let consignees = JSON.parse(localStorage.getItem(CONSIGNEES_KEY) || "[]");
let lastKey = null;
let sentLater = [];
let sentLaterTimer = null;

function saveState() {
  localStorage.setItem(STATE_KEY, JSON.stringify(state));
}

// ---- feedback: big words, a colour and a sound
function say(tone, headline, detail = "") {
  const box = $("feedback");
  box.className = `feedback ${tone}`;
  box.dataset.tone = tone;
  box.querySelector(".headline").textContent = headline;
  box.querySelector(".detail").textContent = detail;
  if (tone !== "busy" && tone !== "idle") beep(tone === "info" ? "ok" : tone === "warn" ? "queued" : tone);
}

// ---- the scan input keeps focus, so that the scanner's keystrokes land in it
const scanInput = $("scan");
function refocus() {
  const active = document.activeElement;
  const busyElsewhere = active && active !== scanInput && active.matches("input, select, textarea");
  if (!busyElsewhere && !isAsking()) scanInput.focus({ preventScroll: true });
}
scanInput.addEventListener("blur", () => setTimeout(refocus, 150));
document.addEventListener("click", refocus);
document.addEventListener("visibilitychange", () => { if (!document.hidden) refocus(); });
const reads = new ReadWatch();
let doubleReadOf = null; // the queue key of a scan read twice: its outcome says so
scanInput.addEventListener("keydown", (event) => {
  if (event.key !== "Enter") {
    reads.key(event.timeStamp, event.key, scanInput.value);
    return;
  }
  event.preventDefault();
  const raw = scanInput.value;
  scanInput.value = "";
  if (reads.enter(event.timeStamp, raw)) {
    setTimeout(readTwice, 0); // the same label read twice: nothing more to book
    return;
  }
  // Handled after the key event is over: a dialog opened inside a keydown handler
  // leaves Chromium's text input unattached to the field focused after it closes.
  if (raw.trim()) setTimeout(() => scanned(raw), 0);
});

/** The second of two reads: nothing is booked for it. When the first went to the queue,
 * the operator is told (now, and again with its outcome); a first read that booked
 * nothing (a bin label, a refusal) has said what it had to say. */
async function readTwice() {
  const key = await lastScan;
  if (!key) return;
  if (!announced.has(key)) doubleReadOf = key;
  const booked = lastBooked.key === key ? lastBooked.result : "";
  const twice = t("The same label was read twice within {ms} ms. Scan it again to book another.", { ms: DOUBLE_READ_MS });
  say("warn", t("Read twice: booked once"), booked ? t("{booked}. {more}", { booked, more: twice }) : twice);
}

let lastScan = Promise.resolve(undefined); // resolves to the queue key, when it queued one
function scanned(raw) {
  lastScan = onScan(raw).catch((err) => say("error", t("Something went wrong"), err.message));
}

/** Text that is a barcode, not words: a bin or command label, or a GS1 product label
 * with its GTIN (14 digits), or a plain GTIN. */
function looksLikeScan(text) {
  if (readLabel(text, config).kind !== "product") return true;
  try {
    const product = readProduct(text, config.separatorStandins);
    return Boolean(product && /^\d{14}$/.test(product.gtin || ""));
  } catch {
    return false; // e.g. "http://" alone: not a GS1 Digital Link
  }
}
$("keyboard").addEventListener("click", () => {
  const typing = scanInput.getAttribute("inputmode") === "none";
  scanInput.setAttribute("inputmode", typing ? "text" : "none");
  $("keyboard").setAttribute("aria-pressed", String(typing));
  scanInput.blur();
  scanInput.focus();
});

// A dialog's answer, then the focus back to the scan field. Blur first: after a modal
// dialog closed by a tap, Chromium reports the field as focused again but types into
// nothing until it is focused anew. A barcode scanned while a dialog is open (the
// scanner types into its text box) is not an answer: the dialog closes as cancelled
// and the scan is handled as if the scan field had had the focus.
async function ask(question, options) {
  const answer = await askInDialog(question, { ...options, scan: { looksLike: looksLikeScan, take: scanned } });
  scanInput.blur();
  refocus();
  return answer;
}

// ---- mode, bins, quantity
function quantity() {
  const value = Number($("qty").value);
  return Number.isInteger(value) && value > 0 ? value : null;
}

function setMode(mode) {
  // In dispatch the pick list names the bins; a bin left over from receiving would
  // only restrict (and so refuse) an off-list pick.
  if (mode === "dispatch" && state.mode !== "dispatch") state.location = null;
  state.mode = mode;
  if (mode !== "transfer") state.toLocation = null;
  saveState();
  render();
}

function setBin(code) {
  if (state.mode === "transfer" && state.location && !state.toLocation) {
    state.toLocation = code;
    say("ok", t("To bin {bin}", { bin: code }), t("Moving from {from} to {to}. Scan products.", { from: state.location, to: code }));
  } else {
    state.location = code;
    if (state.mode === "transfer") state.toLocation = null;
    say("ok", t("Bin {bin}", { bin: code }), state.mode === "transfer" ? t("Now scan the bin to move to.") : t("Scan products."));
  }
  saveState();
  render();
}

function render() {
  document.querySelectorAll("[data-mode]").forEach((button) => {
    button.setAttribute("aria-pressed", String(button.dataset.mode === state.mode));
  });
  $("location").querySelector(".label").textContent = state.mode === "transfer" ? t("From bin") : t("Bin");
  $("location").querySelector(".value").textContent = state.location || t("none");
  $("to-location").hidden = state.mode !== "transfer";
  $("to-location").querySelector(".value").textContent = state.toLocation || t("none");
  $("qty-label").textContent = state.mode === "count" ? t("Counted") : t("Quantity");
  // What an empty quantity means, in words under the field (issue 18, item 9: the
  // placeholders "label" and "list" were cryptic, and a longer one is cut off at 360 px).
  $("qty").placeholder = state.mode === "count" ? t("needed") : t("optional");
  $("qty-hint").textContent = QTY_HINTS[state.mode] || "";
  $("return-reason").hidden = state.mode !== "return";
  $("reason").value = state.reason || "";
  $("dispatch").hidden = state.mode !== "dispatch";
  $("pick-ref").value = state.reference || "";
  $("pick-consignee").value = state.consignee || "";
  $("consignee-hint").textContent = consigneeWords(state.consignee);
  renderPickList();
}

// ---- the consignee of the order: chosen from the list or scanned as a GLN barcode
function consigneeOf(named) {
  return consignees.find((c) => c.code === named || (c.gln && c.gln === named)) || null;
}

function consigneeWords(named) {
  if (!named) return t("No consignee: optional unless the site requires one.");
  const found = consigneeOf(named);
  if (found) return t("Goes to {name} ({code}) for the rest of this order.", { name: found.name, code: found.code });
  return t("{named} is not on this handheld's list: the hub checks it.", { named });
}

function drawConsignees() {
  $("consignee-list").replaceChildren(...consignees.map((c) => {
    const option = document.createElement("option");
    option.value = c.code;
    option.label = c.gln ? `${c.name} · GLN ${c.gln}` : c.name;
    return option;
  }));
}

async function loadConsignees() {
  try {
    consignees = await api("/api/v1/consignees?active=true");
    localStorage.setItem(CONSIGNEES_KEY, JSON.stringify(consignees));
  } catch {
    // offline: the list kept from the last time
  }
  drawConsignees();
  render();
}

function setConsignee(named) {
  const found = consigneeOf(named);
  state.consignee = found ? found.code : named || null;
  saveState();
  render();
}

/** A scanned GLN barcode (AI 410 ship to, 413 ship for): the order's consignee. */
function scannedConsignee(gln) {
  if (Number(gln[12]) !== glnCheckDigit(gln)) {
    return say("error", t("GLN not usable"), t("GLN {gln} has a wrong check digit (expected {digit}). Scan it again or choose the consignee from the list.", { gln, digit: glnCheckDigit(gln) }));
  }
  setConsignee(gln);
  const found = consigneeOf(gln);
  return say("ok", found ? t("Consignee {name}", { name: found.name }) : t("Consignee GLN {gln}", { gln }),
    found ? t("Every dispatch of this order goes to {code} (GLN {gln}).", { code: found.code, gln })
      : t("Not on this handheld's list: the hub checks GLN {gln} with each dispatch.", { gln }));
}

function renderPickList() {
  drawPickList(pickList, $("pick-status"), $("pick-lines"));
}

document.querySelectorAll("[data-mode]").forEach((button) => {
  button.addEventListener("click", () => setMode(button.dataset.mode));
});
$("qty-plus").addEventListener("click", () => { $("qty").value = (quantity() || 0) + 1; });
$("qty-minus").addEventListener("click", () => {
  const value = quantity() || 0;
  $("qty").value = value > 1 ? value - 1 : "";
});
$("qty-clear").addEventListener("click", () => { $("qty").value = ""; });
// Enter in the quantity (typed by hand) hands the focus back to the scanner's input.
$("qty").addEventListener("keydown", (event) => {
  if (event.key === "Enter") { event.preventDefault(); scanInput.focus(); }
});
$("reason").addEventListener("change", () => { state.reason = $("reason").value.trim(); saveState(); });
$("pick-ref").addEventListener("change", () => {
  const order = $("pick-ref").value.trim();
  // Another order has its own consignee: the one of the order before is not kept.
  if (state.reference && order !== state.reference) state.consignee = null;
  state.reference = order;
  saveState();
  render();
});
$("pick-consignee").addEventListener("change", () => setConsignee($("pick-consignee").value.trim()));
// Enter in the consignee (typed or chosen) hands the focus back to the scanner's input.
$("pick-consignee").addEventListener("keydown", (event) => {
  if (event.key === "Enter") { event.preventDefault(); $("pick-consignee").blur(); scanInput.focus(); }
});
for (const [id, slot] of [["location", "location"], ["to-location", "toLocation"]]) {
  $(id).addEventListener("click", async () => {
    const code = await ask(t("Type the bin code (empty: none)"), { value: state[slot] || "", placeholder: t("e.g. F-01"), label: t("Bin code") });
    if (code === null) return;
    state[slot] = code || null;
    saveState();
    render();
  });
}
$("pick-clear").addEventListener("click", () => {
  pickList = null;
  savePickList(null);
  render();
});
$("pick-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const item = $("pick-item").value.trim();
  const wanted = Number($("pick-qty").value);
  try {
    pickList = await fetchPickList(item, wanted);
    const next = nextLine(pickList);
    say("ok", t("Pick {line}", { line: describeLine(next) }), t("{n} line(s) for {item}.", { n: pickList.lines.length, item: pickList.item }));
  } catch (err) {
    say("error", t("No pick list"), err.message);
  }
  render();
  refocus();
});

// ---- scans
async function onScan(raw) {
  const label = readLabel(raw, config);
  if (label.kind === "error") return say("error", t("Label not usable"), label.words);
  if (label.kind === "location") return setBin(label.code);
  if (label.kind === "command") {
    const action = commandAction(label.command, label.argument);
    if (action.error) return say("error", t("Command not known"), action.error);
    if (action.mode) { setMode(action.mode); return say("ok", t("Mode: {mode}", { mode: MODE_NAMES[action.mode] || action.mode }), ""); }
    if (action.quantity) { $("qty").value = action.quantity; return say("ok", t("Quantity {n}", { n: action.quantity }), ""); }
    if (action.clear) {
      $("qty").value = "";
      Object.assign(state, { location: null, toLocation: null });
      saveState();
      render();
      return say("ok", t("Cleared"), t("Bin and quantity cleared."));
    }
    if (action.sync) { queue.sync(); return say("ok", t("Sending the queue"), ""); }
  }
  const shipTo = readShipTo(raw, config.separatorStandins);
  if (shipTo) return scannedConsignee(shipTo);
  return onProduct(raw);
}

function missing(words) {
  say("error", t("Not booked"), words);
}

async function onProduct(raw) {
  const mode = state.mode;
  const qty = quantity();
  if (mode === "identify") return identify(raw);
  if (!state.location && mode !== "dispatch") return missing(t("Scan a bin label first."));
  const body = { raw, mode, location: state.location };
  if (mode === "transfer") {
    if (!state.toLocation) return missing(t("Scan the bin to move to first."));
    body.to_location = state.toLocation;
  }
  if (mode === "count") {
    if (qty === null) return missing(t("Enter the counted quantity first, then scan."));
    body.counted = qty;
  } else if (qty !== null) {
    body.quantity = qty;
  }
  if (mode === "return") {
    if (!state.reason) return missing(t("Type the reason for the return first."));
    body.reason = state.reason;
  }
  if (mode === "dispatch" && state.reference) body.reference = state.reference;  // the order
  if (mode === "dispatch" && state.consignee) body.consignee = state.consignee;  // who receives it
  let note = "";
  let provisional = false;
  if (mode === "dispatch") {
    const checked = await checkDispatch(raw, body);
    if (!checked) return;
    ({ note, provisional } = checked);
  }
  const product = readProduct(raw, config.separatorStandins) || {};
  const what = product.lot ? t("lot {lot}", { lot: product.lot }) : raw.slice(0, 40);
  let summary = t("{mode} {n} × {what}", { mode: MODE_NAMES[mode] || mode, n: body.quantity ?? body.counted ?? product.quantity ?? 1, what });
  if (body.location) summary = t("{summary} @ {bin}", { summary, bin: body.location });
  if (body.reference) summary = t("{summary} for {reference}", { summary, reference: body.reference });
  if (body.consignee) summary = t("{summary} to {consignee}", { summary, consignee: body.consignee });
  return enqueue(body, { summary, note, provisional });
}

/** The FEFO check against the pick list; fills in bin and quantity, asks for a reason
 * when the lot is not one to pick. Null when the operator cancels. */
async function checkDispatch(raw, body) {
  if (!pickList) return { note: t("no pick list on the handheld: the hub checks the lot"), provisional: false };
  const product = readProduct(raw, config.separatorStandins) || {};
  if (product.gtin && pickList.gtin && product.gtin !== pickList.gtin) {
    say("error", t("Not {item}", { item: pickList.item }), t("This label is GTIN {gtin}; the pick list is for {item} (GTIN {listed}). Nothing booked.", { gtin: product.gtin, item: pickList.item, listed: pickList.gtin }));
    return null;
  }
  let lot = product.lot;
  if (!lot && navigator.onLine) {
    try {
      lot = (await api("/api/v1/scan", { method: "POST", body: { raw, mode: "identify" }, key: newKey() })).scan.lot;
    } catch {
      lot = null;
    }
  }
  const offline = !navigator.onLine;
  const listTime = new Date(pickList.fetchedAt).toLocaleTimeString(document.documentElement.lang || undefined);
  const basis = offline ? t("checked offline against the list of {time}: provisional", { time: listTime }) : t("checked against the list of {time}", { time: listTime });
  const check = checkLot(pickList, lot);
  if (check.verdict === "done") {
    say("error", t("Pick list complete"), t("Nothing left to pick for {item}. Load a new pick list.", { item: pickList.item }));
    return null;
  }
  if (check.verdict === "unread") {
    body.quantity = body.quantity ?? check.next.remaining;
    take(pickList, check.next, body.quantity);
    renderPickList();
    return { note: t("lot not readable on the handheld: the hub checks it"), provisional: true };
  }
  if (check.verdict === "match") {
    body.location = check.line.location_code;
    body.quantity = body.quantity ?? check.line.remaining;
    take(pickList, check.line, body.quantity);
    renderPickList();
    return { note: basis, provisional: offline };
  }
  const next = describeLine(check.next);
  say("error", t("Lot {lot} is not the one to pick", { lot }), t("Next: {line}.", { line: next }));
  const reason = await ask(t("Lot {lot} is not on the pick list. Next to pick: {line}. Why pick lot {lot}?", { lot, line: next }), {
    choices: [t("Next lot damaged"), t("Next lot not found"), t("Customer asked for this lot")],
    placeholder: t("the reason, in words"), ok: t("Pick lot {lot}", { lot }), label: t("Reason"),
    required: t("Type why you pick lot {lot}, or choose a reason above. Cancel to pick nothing.", { lot }),
  });
  if (!reason) {
    say("idle", t("Not picked"), t("Lot {lot} was not booked. Pick {line}.", { lot, line: next }));
    return null;
  }
  body.reason = reason;
  body.quantity = body.quantity ?? check.next.remaining;
  // The suggested lot was not picked: it is not struck through as picked but marked
  // as left out for this lot, which is listed as off the list (issue 18, item 9).
  takeOffList(pickList, lot, body.location, body.quantity, reason);
  renderPickList();
  return { note: t("{basis}; lot {lot} instead of lot {next}, because: {reason}", { basis, lot, next: check.next.lot_number, reason }), provisional: offline };
}

async function identify(raw) {
  try {
    const answer = await api("/api/v1/scan", { method: "POST", body: { raw, mode: "identify" }, key: newKey() });
    const scan = answer.scan || {};
    const label = [scan.gtin && t("GTIN {gtin}", { gtin: scan.gtin }), scan.lot && t("lot {lot}", { lot: scan.lot }), scan.expiry && t("expiry {date}", { date: scan.expiry })];
    if (answer.kind === "product" && (answer.known === false || !answer.item)) {
      // A label read right but of no item on file: not a green "OK" with the OK beep.
      return say("error", t("Unknown product"), [answer.message || t("no item has this GTIN"), ...label].filter(Boolean).join(" · "));
    }
    const what = answer.kind === "product" ? [answer.item, ...label] : [answer.kind, scan.code || scan.command];
    say("ok", answer.item || answer.kind, what.filter(Boolean).join(" · "));
  } catch (err) {
    const local = readProduct(raw, config.separatorStandins);
    const words = local ? [local.gtin && t("GTIN {gtin}", { gtin: local.gtin }), local.lot && t("lot {lot}", { lot: local.lot }),
      local.expiry && t("expiry {date}", { date: local.expiry })].filter(Boolean).join(" ") : "";
    say("error", navigator.onLine ? t("Not identified") : t("Offline: the hub cannot identify it"), [err.message, words].filter(Boolean).join(" · "));
  }
}

async function enqueue(body, details) {
  $("qty").value = "";
  const entry = await queue.add(body, details);
  lastKey = entry.key;
  if (navigator.onLine) say("busy", t("Sending…"), entry.summary);
  queue.sync();
  setTimeout(() => {
    if (announced.has(entry.key)) return; // booked or refused already: that was said
    say("queued", t("Queued"), t("{summary}. It is sent when the hub can be reached.", { summary: entry.summary }));
  }, navigator.onLine ? OUTCOME_WAIT_MS : 0);
  return entry.key;
}

// ---- the queue on screen
async function showQueue() {
  const unsent = await renderQueue(queue, me, { open: $("queue"), done: $("done"), count: $("queue-count") });
  document.body.dataset.unsent = String(unsent);
}

function announce(entry) {
  if (!entry || announced.has(entry.key)) return;
  if (entry.state === "booked" && entry.key === lastKey) {
    announced.add(entry.key);
    lastBooked = { key: entry.key, result: entry.result };
    const next = entry.body.mode === "dispatch" ? nextLine(pickList) : null;
    if (entry.key === doubleReadOf) {
      return say("warn", entry.result, t("The label was read twice within {ms} ms: booked once. Scan it again to book another.", { ms: DOUBLE_READ_MS }));
    }
    say("ok", entry.result, next ? t("Next: {line}", { line: describeLine(next) }) : entry.note || "");
  } else if (entry.state === "booked" && entry.summary) {
    // Scans queued earlier (offline, or before a reload) that the hub booked now: one
    // message and one beep for the lot of them.
    announced.add(entry.key);
    sentLater.push(entry);
    clearTimeout(sentLaterTimer);
    sentLaterTimer = setTimeout(() => {
      const last = sentLater[sentLater.length - 1];
      const sent = sentLater.length > 1 ? t("Sent {n} queued scans", { n: sentLater.length }) : t("Sent 1 queued scan");
      say("ok", sent, t("Last: {result}", { result: last.result }));
      sentLater = [];
    }, 400);
  } else if (entry.state === "refused") {
    announced.add(entry.key);
    say("error", t("Refused: {summary}", { summary: entry.summary }), entry.result);
  }
}

queue.addEventListener("change", (event) => { announce(event.detail); showQueue(); });
queue.addEventListener("status", (event) => { $("net-state").textContent = event.detail; });
queue.addEventListener("login-needed", () => toLogin());
$("sync-now").addEventListener("click", () => { queue.backoffMs = 0; queue.sync(); });

async function start() {
  render();
  refocus();
  if (!me) return;
  if ("serviceWorker" in navigator && config.serviceWorker) {
    navigator.serviceWorker.register(config.serviceWorker, { scope: config.serviceWorkerScope })
      .catch((err) => { $("net-state").textContent = t("no offline reload: {reason}", { reason: err.message }); });
  } else {
    $("net-state").textContent = t("no offline reload here (needs HTTPS); the queue still works");
  }
  await queue.open();
  for (const entry of await queue.all()) if (entry.state !== "queued") announced.add(entry.key);
  await showQueue();
  $("net-state").textContent = navigator.onLine ? t("online") : t("offline: scans wait here");
  await loadConsignees();
  document.body.dataset.ready = "true";
  queue.sync();
}

if (!MODES.includes(state.mode)) state.mode = "receive";
start().catch((err) => say("error", t("The page could not start"), err.message));
