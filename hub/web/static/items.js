// The items (/settings/items): what is kept in stock, with its GTIN, unit, storage
// class, picking policy (FEFO or FIFO) and stock levels. Everyone reads and searches;
// admins create and edit (the API's writes are admin-only). A GTIN is checked here
// first (length and check digit), so a mistyped one is refused in plain words before
// anything is sent; a GTIN or SKU another item has is refused by the hub, and said so.
import { ApiError, api, session } from "./api.js";
import { editForm } from "./editform.js";
import { gtinProblem } from "./gtin.js";
import { t } from "./i18n.js";
import { admin, changed, editButton, filled, heads, reasonField, row, say, send } from "./settings.js";

const LABELS = heads("items");
const search = document.getElementById("item-search");
const classFilter = document.getElementById("item-class");
const lowFilter = document.getElementById("item-low");
let data = { items: [], classes: [] };

const gtin14 = (text) => (text ? text.padStart(14, "0") : null);

// --- the list --------------------------------------------------------------------------

function picking(policy) {
  return policy === "fifo" ? t("FIFO (first in, first out)") : t("FEFO (first expired, first out)");
}

function levels(item) {
  if (item.max_stock !== null && item.max_stock !== undefined) {
    return t("below {min}, above {max}", { min: item.min_stock, max: item.max_stock });
  }
  return item.min_stock ? t("below {min}", { min: item.min_stock }) : t("none");
}

function flags(item) {
  return [item.hazardous ? t("hazardous") : "", item.quarantine_on_receipt ? t("quarantine on receipt") : "",
    item.abc_class ? t("class {abc}", { abc: item.abc_class }) : ""].filter(Boolean).join(", ");
}

function shown() {
  const words = search.value.trim().toLowerCase();
  const digits = words.replace(/\D/g, "").replace(/^0+/, "");
  return data.items.filter((item) => (!classFilter.value || item.storage_class === classFilter.value)
    && (!lowFilter.checked || item.min_stock > 0)
    && (!words || item.sku.toLowerCase().includes(words) || item.name.toLowerCase().includes(words)
      || (digits.length >= 3 && (item.gtin || "").includes(digits))));
}

function render() {
  const items = shown();
  document.querySelector("#items tbody").replaceChildren(...items.map((item) => row(LABELS, item.sku, [
    item.sku, item.name, item.gtin ? item.gtin.replace(/^0+(?=\d{13})/, "") : t("none"), item.unit,
    item.storage_class ?? t("none"), picking(item.policy), levels(item), flags(item),
  ], editButton(t("Edit item {sku}", { sku: item.sku }), () => editItem(item)))));
  document.getElementById("item-count").textContent = items.length === data.items.length
    ? t("{n} items", { n: data.items.length }) : t("{shown} of {n} items", { shown: items.length, n: data.items.length });
  document.getElementById("new-item").hidden = !admin();
}

async function load() {
  const [items, classes] = await Promise.all([api("/api/v1/items"), api("/api/v1/storage-classes")]);
  data = { items, classes };
  const chosen = classFilter.value;
  classFilter.replaceChildren(new Option(t("all"), ""), ...classes.map((c) => new Option(`${c.code} · ${c.name}`, c.code)));
  classFilter.value = chosen;
  render();
}

// --- the form ----------------------------------------------------------------------------

function fields(item = null) {
  return [
    ...(item ? [] : [{ name: "sku", label: t("SKU (the item's code)"), required: true, pattern: "[A-Za-z0-9][A-Za-z0-9_.:/\\-]{0,63}", hint: t("letters, digits and _ . : / -, e.g. VAC-001") }]),
    { name: "name", label: t("Name"), required: true, value: item?.name ?? "", maxLength: 200 },
    { name: "gtin", label: t("GTIN (barcode number)"), value: item?.gtin ? item.gtin.replace(/^0+(?=\d{13})/, "") : "",
      hint: t("8, 12, 13 or 14 digits; empty: none") },
    { name: "unit", label: t("Unit"), required: true, value: item?.unit ?? "each", maxLength: 16, hint: t("e.g. each, box, kg") },
    { name: "storage_class", label: t("Storage class (where it may be stored)"), type: "select", value: item?.storage_class ?? "",
      options: [["", t("none")], ...data.classes.map((c) => [c.code, `${c.code} · ${c.name}`])] },
    { name: "policy", label: t("Picking"), type: "select", required: true, value: item?.policy ?? "fefo",
      options: [["fefo", picking("fefo")], ["fifo", picking("fifo")]] },
    { name: "min_stock", label: t("Reorder level (low stock below it)"), type: "number", min: 0, step: 1, required: true, value: item?.min_stock ?? 0 },
    { name: "max_stock", label: t("Overstock above"), type: "number", min: 0, step: 1, value: item?.max_stock ?? null, hint: t("empty: no upper level") },
    { name: "abc_class", label: t("ABC class"), type: "select", value: item?.abc_class ?? "",
      options: [["", t("none")], ["A", "A"], ["B", "B"], ["C", "C"]] },
    { name: "unit_cost", label: t("Value of one unit"), type: "number", min: 0, step: "0.0001", value: item?.unit_cost ?? null,
      hint: t("for a stocktake's variance; empty: none") },
    { name: "hazardous", label: t("Hazardous goods"), type: "checkbox", value: item?.hazardous ?? false },
    { name: "quarantine_on_receipt", label: t("Quarantine on receipt (quality releases it)"), type: "checkbox", value: item?.quarantine_on_receipt ?? false },
    ...(item ? [reasonField()] : []),
  ];
}

/** The form until its values are good (a wrong GTIN shows it again, with the typed
 * values and what is wrong): { body, reason } as the API takes them, or null. */
async function askItem(title, item, options = {}) {
  let shown = fields(item);
  let error = "";
  for (;;) {
    const values = await editForm(title, shown, { ...options, error });
    if (values === null) return null;
    const { reason, ...rest } = values;
    error = rest.gtin ? gtinProblem(rest.gtin) : null;
    if (!error) return { body: { ...rest, gtin: gtin14(rest.gtin) }, reason: reason || "" };
    shown = shown.map((field) => ({ ...field, value: values[field.name] }));
  }
}

/** The hub's refusal in plain words: a duplicate names the GTIN or SKU taken. */
function refusal(err) {
  if (err instanceof ApiError && err.code === "item_exists") {
    const [, column, value] = err.message.match(/with (sku|gtin) (\S+)/) || [];
    if (column === "gtin") return t("Another item already has GTIN {gtin}: a GTIN belongs to one item only.", { gtin: value.replace(/^0+(?=\d{13})/, "") });
    if (column === "sku") return t("An item with SKU {sku} exists already.", { sku: value });
  }
  if (err instanceof ApiError && /gtin/i.test(err.message)) return t("The hub refused the GTIN: {words}", { words: err.message });
  return err.message;
}

async function saveItem(what, path, method, payload, reason) {
  try {
    return await send(path, method, payload, reason);
  } catch (err) {
    say(t("{what} not saved: {why}", { what, why: refusal(err) }), "error");
    return null;
  }
}

async function editItem(item) {
  const form = await askItem(t("Item {sku}", { sku: item.sku }), item);
  if (form === null) return;
  const patch = changed(item, form.body);
  if (!Object.keys(patch).length) { say(t("Nothing changed in item {sku}", { sku: item.sku })); return; }
  const saved = await saveItem(t("Item {sku}", { sku: item.sku }), `/api/v1/items/${encodeURIComponent(item.sku)}`, "PATCH", patch, form.reason);
  if (saved === null) return;
  await load();
  say(t("Saved item {sku}", { sku: item.sku }), "ok");
}

async function newItem() {
  const form = await askItem(t("New item"), null, { ok: t("Create") });
  if (form === null) return;
  const created = filled(form.body);
  const saved = await saveItem(t("Item {sku}", { sku: created.sku }), "/api/v1/items", "POST", created, "");
  if (saved === null) return;
  await load();
  say(t("Created item {sku}", { sku: saved.sku }), "ok");
}

// --- start -----------------------------------------------------------------------------

if (session()) {
  document.getElementById("new-item").addEventListener("click", newItem);
  for (const control of [search, classFilter, lowFilter]) control.addEventListener("input", render);
  if (!admin()) document.getElementById("who-edits").append(" ", t("You read it here; an admin changes it."));
  try {
    await load();
  } catch (err) {
    say(err.message, "error");
  }
  document.body.dataset.ready = "true";
}
