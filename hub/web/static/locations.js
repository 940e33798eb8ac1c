// The locations (/settings/locations): the bins and shelf places of each zone, listed by
// zone, and their barcode labels. Everyone reads and prints labels (the labels API is
// anyone's); admins create and edit bins (the API's writes are admin-only). Labels: tick
// bins (or a zone's "all its bins") and the page asks the hub for the A4 label sheet
// (POST /api/v1/labels.pdf), which it opens as a download named after the bins.
import { ApiError, api, inWords, session } from "./api.js";
import { editForm } from "./editform.js";
import { t } from "./i18n.js";
import { el } from "./monitor.js";
import { admin, changed, editButton, filled, reasonField, row, say, send } from "./settings.js";

const zoneFilter = document.getElementById("location-zone");
const search = document.getElementById("location-search");
const printButton = document.getElementById("print-labels");
const link = document.getElementById("label-link");
const chosen = new Set(); // codes of the bins ticked for a label sheet
let data = { locations: [], zones: [] };

function shown() {
  const words = search.value.trim().toLowerCase();
  return data.locations.filter((l) => (!zoneFilter.value || l.zone === zoneFilter.value)
    && (!words || l.code.toLowerCase().includes(words) || (l.name || "").toLowerCase().includes(words)));
}

function tick(location) {
  const box = el("input", {
    type: "checkbox", className: "pick", checked: chosen.has(location.code), disabled: !location.active,
    ariaLabel: t("Label for {code}", { code: location.code }),
    onchange: () => { if (box.checked) chosen.add(location.code); else chosen.delete(location.code); counted(); },
  });
  return el("label", { className: "tick" }, box);
}

function zoneTable(zone, locations) {
  const labels = [t("Label"), t("Code"), t("Name"), t("In use")];
  const table = el("table", { className: "report-table locations" },
    el("thead", {}, el("tr", {}, ...[...labels, ""].map((words) => el("th", { textContent: words })))),
    el("tbody", {}, ...locations.map((l) => row(labels, l.code, [
      tick(l), l.code, l.name ?? "", l.active ? t("yes") : t("no (no labels, no stock)"),
    ], editButton(t("Edit location {code}", { code: l.code }), () => editLocation(l))))));
  const zoneLabels = el("button", {
    type: "button", className: "small zone-labels", textContent: t("Labels for every bin of {zone}", { zone: zone.code }),
    disabled: !locations.some((l) => l.active), onclick: () => printLabels({ zone: zone.code }, zone.code),
  });
  const group = el("section", { className: "zone-group" },
    el("h3", {}, t("Zone {code} · {name}", { code: zone.code, name: zone.name }), " ", zoneLabels),
    el("div", { className: "table-wrap" }, table));
  group.dataset.zone = zone.code;
  return group;
}

function render() {
  const locations = shown();
  const groups = data.zones.map((zone) => [zone, locations.filter((l) => l.zone === zone.code)])
    .filter(([, bins]) => bins.length);
  document.getElementById("zones-list").replaceChildren(...(groups.length
    ? groups.map(([zone, bins]) => zoneTable(zone, bins))
    : [el("p", { className: "facts", textContent: data.locations.length ? t("No location matches.") : t("No locations yet.") })]));
  document.getElementById("new-location").hidden = !admin() || !data.zones.length;
  counted();
}

function counted() {
  printButton.disabled = chosen.size === 0;
  document.getElementById("label-count").textContent = chosen.size
    ? t("Bins chosen for labels: {n}", { n: chosen.size }) : t("Tick bins to print their labels.");
}

async function load() {
  const [locations, zones] = await Promise.all([api("/api/v1/locations"), api("/api/v1/zones")]);
  data = { locations, zones };
  for (const code of [...chosen]) if (!locations.some((l) => l.code === code && l.active)) chosen.delete(code);
  const kept = zoneFilter.value;
  zoneFilter.replaceChildren(new Option(t("all zones"), ""), ...zones.map((z) => new Option(`${z.code} · ${z.name}`, z.code)));
  zoneFilter.value = kept;
  render();
}

// --- label sheets ----------------------------------------------------------------------

/** Ask the hub for the sheet and hand it over as a PDF download (`name` in its file name). */
async function printLabels(sheet, name) {
  say(t("Making the label sheet …"));
  let response;
  try {
    response = await fetch("/api/v1/labels.pdf", {
      method: "POST", cache: "no-store", body: JSON.stringify(sheet),
      headers: { Authorization: `Bearer ${session().token}`, "Content-Type": "application/json", Accept: "application/pdf" },
    });
  } catch {
    say(t("No label sheet: the hub cannot be reached."), "error");
    return;
  }
  if (!response.ok) {
    let answer = null;
    try { answer = await response.json(); } catch { answer = null; }
    say(t("No label sheet: {why}", { why: inWords(answer, response.status) }), "error");
    return;
  }
  const blob = await response.blob();
  if (link.href) URL.revokeObjectURL(link.href);
  const file = `labels-${name.replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 80)}.pdf`;
  Object.assign(link, { href: URL.createObjectURL(blob), download: file, hidden: false,
    textContent: t("Download the label sheet again ({file})", { file }) });
  link.click();
  say(t("Label sheet ready: {file}", { file }), "ok");
}

function printChosen() {
  const codes = data.locations.filter((l) => chosen.has(l.code)).map((l) => l.code);
  if (codes.length) printLabels({ locations: codes }, codes.length <= 3 ? codes.join("_") : t("{n}-bins", { n: codes.length }));
}

function chooseShown() {
  for (const l of shown()) if (l.active) chosen.add(l.code);
  render();
}

// --- the form ----------------------------------------------------------------------------

function fields(location = null) {
  return [
    ...(location ? [] : [{ name: "code", label: t("Code (on its label)"), required: true, pattern: "[A-Za-z0-9][A-Za-z0-9_.:/\\-]{0,63}", hint: t("e.g. A-01-02") }]),
    { name: "name", label: t("Name"), value: location?.name ?? "", maxLength: 128, hint: t("optional, e.g. shelf 1, level 2") },
    { name: "zone", label: t("Zone"), type: "select", required: true, value: location?.zone ?? (zoneFilter.value || data.zones[0]?.code || ""),
      options: data.zones.map((z) => [z.code, `${z.code} · ${z.name}`]) },
    { name: "active", label: t("In use (an unused bin takes no stock)"), type: "checkbox", value: location?.active ?? true },
    ...(location ? [reasonField()] : []),
  ];
}

async function saveLocation(what, path, method, body, reason) {
  try {
    return await send(path, method, body, reason);
  } catch (err) {
    const why = err instanceof ApiError && err.code === "location_exists"
      ? t("a location with this code exists already.") : err.message;
    say(t("{what} not saved: {why}", { what, why }), "error");
    return null;
  }
}

async function editLocation(location) {
  const values = await editForm(t("Location {code}", { code: location.code }), fields(location));
  if (values === null) return;
  const { reason, ...rest } = values;
  const body = changed(location, { ...rest, name: rest.name || null });
  if (!Object.keys(body).length) { say(t("Nothing changed in location {code}", { code: location.code })); return; }
  const what = t("Location {code}", { code: location.code });
  if (await saveLocation(what, `/api/v1/locations/${encodeURIComponent(location.code)}`, "PATCH", body, reason || "") === null) return;
  await load();
  say(t("Saved location {code}", { code: location.code }), "ok");
}

async function newLocation() {
  const values = await editForm(t("New location"), fields(), { ok: t("Create") });
  if (values === null) return;
  const body = filled(values);
  const saved = await saveLocation(t("Location {code}", { code: body.code }), "/api/v1/locations", "POST", body, "");
  if (saved === null) return;
  await load();
  say(t("Created location {code}", { code: saved.code }), "ok");
}

// --- start -----------------------------------------------------------------------------

if (session()) {
  document.getElementById("new-location").addEventListener("click", newLocation);
  printButton.addEventListener("click", printChosen);
  document.getElementById("choose-shown").addEventListener("click", chooseShown);
  for (const control of [search, zoneFilter]) control.addEventListener("input", render);
  if (!admin()) document.getElementById("who-edits").append(" ", t("You read it here and print labels; an admin changes the bins."));
  try {
    await load();
  } catch (err) {
    say(err.message, "error");
  }
  document.body.dataset.ready = "true";
}
