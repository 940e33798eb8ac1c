// The consignees (/settings/consignees): customers and receiving sites a dispatch names.
// Everyone reads; supervisors create, change and deactivate (the API's writes are a
// supervisor's). A GLN is 13 digits whose last is a check digit: checked here as the
// hub checks it, so a typing error is named before anything is sent.
import { api, session } from "./api.js";
import { editForm } from "./editform.js";
import { glnCheckDigit } from "./gs1.js";
import { t } from "./i18n.js";
import { canDo, el, newKey } from "./monitor.js";

const statusLine = document.getElementById("md-status");
const showInactive = document.getElementById("show-inactive");
const supervisor = () => canDo(session(), "supervisor");
let rows = [];

function say(words, tone = "") {
  statusLine.textContent = words;
  statusLine.dataset.tone = tone;
}

/** Words naming what is wrong with a typed GLN, or "" when it is a valid one (or empty). */
export function glnProblem(gln) {
  if (!gln) return "";
  if (!/^\d{13}$/.test(gln)) return t("A GLN has 13 digits.");
  const expected = glnCheckDigit(gln);
  return Number(gln[12]) === expected ? "" : t("GLN {gln} has a wrong check digit (expected {digit}).", { gln, digit: expected });
}

const KINDS = () => [["customer", t("customer")], ["site", t("our receiving site")]];
const kindWords = (kind) => (KINDS().find(([value]) => value === kind) || [kind, kind])[1];

// Each cell names its column (data-label): on a phone a row is a card of label: value.
const HEADS = [...document.querySelectorAll("#consignees thead th")].map((th) => th.textContent);

function render() {
  const shown = rows.filter((c) => showInactive.checked || c.active);
  const body = document.querySelector("#consignees tbody");
  body.replaceChildren(...shown.map((c) => {
    const cells = [c.code, c.name, kindWords(c.kind), c.gln ?? "", c.address ?? "", c.contact ?? "",
      c.active ? t("yes") : t("deactivated")];
    const tr = el("tr", {}, ...cells.map((text, n) => {
      const td = el("td", { textContent: text });
      td.dataset.label = HEADS[n];
      return td;
    }), el("td", { className: "act" }, supervisor()
      ? el("button", { type: "button", className: "edit", textContent: t("Edit"), ariaLabel: t("Edit consignee {code}", { code: c.code }), onclick: () => edit(c) })
      : ""));
    tr.dataset.key = c.code;
    return tr;
  }));
  if (!shown.length) body.append(el("tr", {}, el("td", { colSpan: HEADS.length, className: "empty", textContent: t("No consignee yet.") })));
  document.getElementById("new-consignee").hidden = !supervisor();
}

async function load() {
  rows = await api("/api/v1/consignees");
  render();
}

/** The form's fields, filled from `c` (a consignee, or the values typed so far). */
function fields(c, creating) {
  return [
    ...(creating ? [{ name: "code", label: t("Code"), required: true, value: c?.code ?? "", pattern: "[A-Za-z0-9][A-Za-z0-9_.:/\\-]{0,63}", hint: t("e.g. ACME-BERLIN") }] : []),
    { name: "name", label: t("Name"), required: true, value: c?.name ?? "", maxLength: 200 },
    { name: "kind", label: t("Kind"), type: "select", value: c?.kind ?? "customer", options: KINDS() },
    { name: "gln", label: t("GLN (optional)"), value: c?.gln ?? "", pattern: "\\d{13}", maxLength: 13,
      hint: t("13 digits, the last a check digit: the GS1 Global Location Number on the consignee's labels") },
    { name: "address", label: t("Address (optional)"), value: c?.address ?? "", maxLength: 500 },
    { name: "contact", label: t("Contact (optional)"), value: c?.contact ?? "", maxLength: 200 },
    ...(creating ? [] : [{ name: "active", label: t("Active (a dispatch may name it)"), type: "checkbox", value: c.active }]),
  ];
}

/** The form's values as the API takes them: empty optional text is null (cleared). */
function cleaned(values) {
  const out = { ...values };
  for (const name of ["gln", "address", "contact"]) if (out[name] === "") out[name] = null;
  return out;
}

async function send(path, method, body, done) {
  try {
    await api(path, { method, body, key: newKey() });
    await load();
    say(done, "ok");
  } catch (err) {
    say(t("Not saved: {why}", { why: err.message }), "error");
  }
}

/** The values typed, asked again (with what was typed) while the GLN is wrong. */
async function ask(title, c, ok) {
  const creating = c === null;
  for (;;) {
    const values = await editForm(title, fields(c, creating), { ok });
    if (values === null) return null;
    const problem = glnProblem(values.gln);
    if (!problem) return cleaned(values);
    say(problem, "error");
    c = { ...(c || {}), ...values };
  }
}

async function edit(c) {
  const values = await ask(t("Consignee {code}", { code: c.code }), c, t("Save"));
  if (values === null) return;
  const body = Object.fromEntries(Object.entries(values).filter(([name, value]) => (c[name] ?? null) !== (value ?? null)));
  if (!Object.keys(body).length) { say(t("Nothing changed in consignee {code}", { code: c.code })); return; }
  await send(`/api/v1/consignees/${encodeURIComponent(c.code)}`, "PATCH", body, t("Saved consignee {code}", { code: c.code }));
}

async function create() {
  const values = await ask(t("New consignee"), null, t("Create"));
  if (values === null) return;
  const body = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== null));
  await send("/api/v1/consignees", "POST", body, t("Created consignee {code}", { code: body.code }));
}

if (session()) {
  document.getElementById("new-consignee").addEventListener("click", create);
  showInactive.addEventListener("change", render);
  try {
    await load();
  } catch (err) {
    say(err.message, "error");
  }
  document.body.dataset.ready = "true";
}
