// The stocktakes' list (/stocktakes): newest first, filtered by state, each linking to
// its page; "Open a stocktake" (supervisors and admins, as the API allows) asks for a
// zone or chosen bins, blind or not, and a note, then goes to the new stocktake's page.
// The dialog stays open with the hub's words when it refuses (a bin counted in another
// stocktake, a zone without bins). Enter opens, Escape cancels.
import { api, session } from "./api.js";
import { t } from "./i18n.js";
import { canDo, el, newKey, when } from "./monitor.js";
import { ACTIVE, scopeWords, stateWords } from "./stocktakestate.js";

const statusLine = document.getElementById("st-status");
const filter = document.getElementById("st-filter");
const dialog = document.getElementById("open");
const form = document.getElementById("open-form");
const error = document.getElementById("open-error");
const zoneSelect = document.getElementById("open-zone");
const binBox = document.getElementById("open-bins");
const binFilter = document.getElementById("bin-filter");
const supervisor = canDo(session(), "supervisor");
const HEADS = [...document.querySelectorAll("#stocktakes thead th")].map((th) => th.textContent);
let places = null; // { zones, locations }, loaded when the dialog first opens

function say(words, tone = "") {
  statusLine.textContent = words;
  statusLine.dataset.tone = tone;
}

function cell(n, content) {
  const td = el("td", {}, content);
  td.dataset.label = HEADS[n];
  return td;
}

function row(s) {
  const tr = el("tr", {},
    cell(0, el("a", { href: `/stocktakes/${s.id}`, textContent: t("Stocktake {id}", { id: s.id }) })),
    cell(1, stateWords(s.status)),
    cell(2, scopeWords(s)),
    cell(3, t("{counted} of {total}", { counted: s.lines_counted, total: s.lines_total })),
    cell(4, s.blind ? t("yes") : t("no")),
    cell(5, t("{when} by {user}", { when: when(s.opened_at), user: s.opened_by })),
    cell(6, s.closed_at ? t("{when} by {user}", { when: when(s.closed_at), user: s.closed_by || "" }) : ""),
  );
  tr.dataset.id = String(s.id);
  tr.dataset.status = s.status;
  return tr;
}

async function load() {
  const wanted = filter.value;
  const query = wanted && wanted !== "active" ? `?status=${encodeURIComponent(wanted)}&limit=200` : "?limit=200";
  let list = await api(`/api/v1/stocktakes${query}`);
  if (wanted === "active") list = list.filter((s) => ACTIVE.includes(s.status));
  document.querySelector("#stocktakes tbody").replaceChildren(...list.map(row));
  document.getElementById("st-count").textContent = String(list.length);
  document.getElementById("st-empty").hidden = list.length > 0;
}

// --- opening a stocktake ---------------------------------------------------------------

function scope() {
  return form.elements.namedItem("scope").value;
}

function showScope() {
  const zone = scope() === "zone";
  document.getElementById("zone-field").hidden = !zone;
  document.getElementById("bins-field").hidden = zone;
}

function fillPlaces() {
  zoneSelect.replaceChildren(
    el("option", { value: "", textContent: t("Choose a zone") }),
    ...places.zones.map((z) => el("option", { value: z.code, textContent: `${z.code} · ${z.name}` })));
  binBox.replaceChildren(...places.locations.filter((l) => l.active).map((l) => {
    const label = el("label", { className: "check bin-choice" },
      el("input", { type: "checkbox", name: "bin", value: l.code }),
      el("span", { textContent: l.name ? `${l.code} · ${l.name} · ${l.zone}` : `${l.code} · ${l.zone}` }));
    label.dataset.code = l.code.toLowerCase();
    return label;
  }));
  if (!places.locations.length) binBox.append(el("p", { className: "empty", textContent: t("No bins yet: add locations first.") }));
}

function problem(words) {
  error.textContent = words;
  error.hidden = !words;
}

async function openDialog() {
  if (places === null) {
    try {
      const [zones, locations] = await Promise.all([api("/api/v1/zones"), api("/api/v1/locations")]);
      places = { zones, locations };
      fillPlaces();
    } catch (err) {
      say(t("Cannot offer the zones and bins: {why}", { why: err.message }), "error");
      return;
    }
  }
  form.reset();
  binFilter.value = "";
  for (const label of binBox.querySelectorAll("label")) label.hidden = false;
  showScope();
  problem("");
  dialog.showModal();
  zoneSelect.focus();
}

function request() {
  const body = { blind: document.getElementById("open-blind").checked };
  const note = document.getElementById("open-note").value.trim();
  if (note) body.note = note;
  if (scope() === "zone") {
    if (!zoneSelect.value) return [null, t("Choose the zone to count.")];
    body.zone = zoneSelect.value;
  } else {
    const bins = [...binBox.querySelectorAll("input[name=bin]:checked")].map((box) => box.value);
    if (!bins.length) return [null, t("Choose at least one bin to count.")];
    body.locations = bins;
  }
  return [body, ""];
}

let sending = false;
form.addEventListener("submit", async (event) => {
  event.preventDefault(); // the dialog closes only when the hub has opened the stocktake
  if (sending) return;
  const [body, why] = request();
  if (body === null) { problem(why); return; }
  problem("");
  sending = true;
  try {
    const opened = await api("/api/v1/stocktakes", { method: "POST", body, key: newKey() });
    dialog.close("ok");
    say(t("Opened stocktake {id}: {n} lines to count", { id: opened.id, n: opened.lines_total }), "ok");
    location.assign(`/stocktakes/${opened.id}`);
  } catch (err) {
    problem(t("Not opened: {why}", { why: err.message }));
  } finally {
    sending = false;
  }
});

document.getElementById("open-cancel").addEventListener("click", () => dialog.close("cancel"));
for (const radio of form.querySelectorAll("input[name=scope]")) radio.addEventListener("change", () => { showScope(); problem(""); });
binFilter.addEventListener("input", () => {
  const wanted = binFilter.value.trim().toLowerCase();
  for (const label of binBox.querySelectorAll("label")) label.hidden = Boolean(wanted) && !label.dataset.code.includes(wanted);
});
// Enter opens from any field (a select or a tick box does not submit by itself), but
// in the bin filter it only narrows the list; on a button it presses that button.
form.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.target.tagName === "BUTTON") return;
  event.preventDefault();
  if (event.target !== binFilter) form.requestSubmit();
});

// --- start -------------------------------------------------------------------------------

if (session()) {
  const opener = document.getElementById("open-stocktake");
  opener.hidden = !supervisor;
  opener.addEventListener("click", openDialog);
  if (!supervisor) document.getElementById("st-who").append(" ", t("You follow the counts here; a supervisor opens and approves them."));
  filter.addEventListener("change", () => load().catch((err) => say(err.message, "error")));
  try {
    await load();
  } catch (err) {
    say(err.message, "error");
  }
  document.body.dataset.ready = "true";
}
