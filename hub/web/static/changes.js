// The audit trail's rows as the pages show them (the /audit page, and the changes in
// a zone report or a lot's trace on /reports): one line per changed field, the old
// value beside the new one (marked), as the PDF prints them (hub/reports/changes.py).
import { el } from "./monitor.js";
import { t } from "./i18n.js";

/** One text per value, keys sorted: two values are the same when their texts are. */
export function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

function textOf(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : canonical(value);
}

/** Of two lists, the entries one has and the other has not (as the PDF prints them). */
function narrowed(before, after) {
  if (!Array.isArray(before) || !Array.isArray(after)) return [before, after];
  const old = new Set(before.map(canonical));
  const now = new Set(after.map(canonical));
  return [before.filter((v) => !now.has(canonical(v))), after.filter((v) => !old.has(canonical(v)))];
}

/** [field, from, to] for each field of a row, in its order. */
export function fieldChanges(row) {
  const before = row.before || {};
  const after = row.after || {};
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return names.map((name) => {
    const [old, now] = narrowed(before[name], after[name]);
    return [name, name in before ? textOf(old) : "", name in after ? textOf(now) : ""];
  });
}

function utc(iso) {
  return `${new Date(iso).toISOString().slice(0, 19).replace("T", " ")}`;
}

function rowGroup(row) {
  const fields = fieldChanges(row);
  const lines = fields.length ? fields : [["", "", ""]];
  const span = lines.length;
  const who = el("td", { rowSpan: span, className: "who" }, row.actor,
    row.via ? el("span", { className: "via", textContent: ` (${row.via})` }) : null);
  const group = el("tbody", { className: "audit-row" },
    lines.map(([name, old, now], index) => el("tr", {},
      index === 0 ? [
        el("td", { rowSpan: span, className: "at", textContent: utc(row.at) }),
        who,
        el("td", { rowSpan: span, textContent: row.action }),
        el("td", { rowSpan: span, className: "key" }, el("span", { className: "entity", textContent: row.entity }), ` ${row.key}`),
      ] : [],
      el("td", { className: "field", textContent: name }),
      el("td", { className: old ? "old" : "", textContent: old }),
      el("td", { className: now ? "new" : "", textContent: now }),
      index === 0 ? el("td", { rowSpan: span, className: "reason", textContent: row.reason || "" }) : null,
    )));
  group.dataset.seq = String(row.seq);
  return group;
}

/** The rows in `table`: a head, then a group of lines per row (one per changed field). */
export function changesTable(table, rows, empty) {
  const head = el("thead", {}, el("tr", {}, [t("When (UTC)"), t("Who (how)"), t("Action"), t("Entity / key"), t("Field"), t("From"), t("To"), t("Reason")]
    .map((h) => el("th", { scope: "col", textContent: h }))));
  table.replaceChildren(head, ...(rows.length ? rows.map(rowGroup)
    : [el("tbody", {}, el("tr", {}, el("td", { colSpan: 8, className: "empty", textContent: empty })))]));
}
