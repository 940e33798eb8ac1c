// A small form in a modal dialog (the page's <dialog id="edit">): `await editForm(title,
// fields)` resolves to the values typed, by field name, or null when cancelled. Enter
// saves (Save is the form's only submit button), Escape or Cancel cancels, as the
// other dialogs (dialog.js). The browser checks each field's own limits (required,
// min, max) before the form closes.
// A field: {name, label, type: "text" | "number" | "select" | "checkbox", value,
// options: [[value, words]], required, min, max, step, pattern, hint}. An empty number
// or select answers null (the API's "clear").
import { el } from "./monitor.js";
import { t } from "./i18n.js";

const dialog = document.getElementById("edit");
const form = document.getElementById("edit-form");
const box = document.getElementById("edit-fields");
document.getElementById("edit-cancel").addEventListener("click", () => dialog.close("cancel"));

function input(field) {
  const id = `edit-${field.name}`;
  if (field.type === "select") {
    const select = el("select", { id, name: field.name, required: Boolean(field.required) },
      ...field.options.map(([value, words]) => el("option", { value, textContent: words })));
    select.value = field.value ?? "";
    return select;
  }
  if (field.type === "checkbox") return el("input", { id, name: field.name, type: "checkbox", checked: Boolean(field.value) });
  const props = { id, name: field.name, type: field.type || "text", autocomplete: "off", required: Boolean(field.required) };
  if (field.type === "number") Object.assign(props, { step: field.step ?? "any", inputMode: "decimal" });
  for (const key of ["min", "max", "pattern", "maxLength"]) if (field[key] !== undefined) props[key] = field[key];
  const node = el("input", props);
  node.value = field.value ?? "";
  return node;
}

function valueOf(field) {
  const node = form.elements.namedItem(field.name);
  if (field.type === "checkbox") return node.checked;
  const text = node.value.trim();
  if (field.type === "number") return text === "" ? null : Number(text);
  if (field.type === "select") return text === "" ? null : text;
  return text;
}

export function editForm(title, fields, { ok = t("Save"), error = "" } = {}) {
  document.getElementById("edit-title").textContent = title;
  document.getElementById("edit-ok").textContent = ok;
  // `error`: what was wrong with the values last sent (the form shown again with them).
  Object.assign(document.getElementById("edit-error"), { textContent: error, hidden: !error });
  box.replaceChildren(...fields.map((field) => el("label", { className: field.type === "checkbox" ? "check" : "" },
    el("span", { className: "label", textContent: field.label }), input(field),
    field.hint ? el("span", { className: "hint", textContent: field.hint }) : null)));
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok" ? Object.fromEntries(fields.map((f) => [f.name, valueOf(f)])) : null);
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    box.querySelector("input:not([type=checkbox]), select")?.focus();
  });
}
