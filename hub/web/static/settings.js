// What the settings pages (items.js, locations.js, gateways.js) share: the status line,
// table rows that read as cards on a phone, the fields changed in a form, and sending a
// change to the API with the reason the person typed (asked again when the hub says the
// site requires one). Built like zones.js; the words are marked with t().
import { ApiError, api, pageConfig, session } from "./api.js";
import { ask } from "./dialog.js";
import { t } from "./i18n.js";
import { canDo, el, newKey } from "./monitor.js";

const config = pageConfig();
const statusLine = document.getElementById("md-status");

export const admin = () => canDo(session(), "admin");

export function say(words, tone = "") {
  statusLine.textContent = words;
  statusLine.dataset.tone = tone;
}

/** The column names of a table's head: each cell says its column (data-label), so on a
 * phone a row is a card of "label value" lines. */
export function heads(tableId) {
  return [...document.querySelectorAll(`#${tableId} thead th`)].map((th) => th.textContent);
}

export function row(labels, key, cells, ...buttons) {
  const tr = el("tr", {}, ...cells.map((cell, n) => {
    const td = el("td", {}, cell ?? "");
    td.dataset.label = labels[n] ?? "";
    return td;
  }), el("td", { className: "act" }, ...buttons));
  tr.dataset.key = key;
  return tr;
}

/** An Edit button, for admins only (the API's writes are theirs). */
export function editButton(label, onclick) {
  return admin() ? el("button", { type: "button", className: "edit", textContent: t("Edit"), ariaLabel: label, onclick }) : "";
}

/** The fields of `values` that differ from `before` (null and "" alike). */
export function changed(before, values) {
  return Object.fromEntries(Object.entries(values).filter(([name, value]) => (before[name] ?? null) !== (value ?? null)));
}

/** Drop the empty fields (a creation leaves them to the API's defaults). */
export function filled(values) {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== null && value !== ""));
}

/** The optional reason field of an edit form: it goes to the audit trail. */
export function reasonField(kind = "") {
  const required = (config.reasonRequired || []).includes(kind);
  return { name: "reason", label: required ? t("Reason (kept in the audit trail)") : t("Reason (optional, kept in the audit trail)"),
    value: "", maxLength: 500, required };
}

/** Send a change; `reason` goes as `?reason=`. When the hub answers reason_required the
 * reason is asked once. Resolves to the answer, or throws the ApiError (or null when
 * the person cancelled the reason). */
export async function send(path, method, body, reason = "") {
  let why = reason;
  for (let asked = false; ; asked = true) {
    try {
      const query = why ? `?reason=${encodeURIComponent(why)}` : "";
      return await api(`${path}${query}`, { method, body, key: newKey() });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === "reason_required") || asked) throw err;
      why = await ask(t("This change needs a reason. Why?"), {
        label: t("Reason"), required: t("Type why (3 characters or more): the audit trail keeps it."), minLength: 3, ok: t("Save"),
      });
      if (why === null) return null;
    }
  }
}
