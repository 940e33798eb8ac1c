// A long list of lots, collapsed: a summary line with the count ("115 lots · 115 on
// hold"), opened on demand, the rows in a box that scrolls (the page never grows with
// the list). With `select`, each lot on hold has a checkbox, "Select all" and the
// actions act on the chosen ones. Built once per container; `update(lots)` keeps what
// is open and chosen across the page's refreshes.
import { QC_WORDS, el, words as inWords } from "./monitor.js";
import { t } from "./i18n.js";

export function lotList(container, { select = false, openUpTo = 0, actions = [] } = {}) {
  const chosen = new Set();
  let lots = [];
  let drawn = "";
  const summary = el("summary", { className: "lot-summary" });
  const all = el("input", { type: "checkbox", id: `${container.id}-all` });
  const allLabel = el("label", { className: "select-all", htmlFor: all.id }, all, " " + t("Select all on hold"));
  const buttons = actions.map((action) => el("button", {
    type: "button", className: action.className, disabled: true,
    onclick: () => action.run(lots.filter((lot) => chosen.has(lot.id))),
  }));
  const toolbar = select ? el("div", { className: "lot-toolbar" }, allLabel, ...buttons) : null;
  const rows = el("ul", { className: "rows lot-rows" });
  const details = el("details", { className: "lots" }, summary, toolbar, rows);
  container.replaceChildren(details);

  const selectable = () => lots.filter((lot) => lot.qc_status === "on_hold");
  function refreshChoice() {
    const n = chosen.size;
    actions.forEach((action, i) => {
      buttons[i].disabled = n === 0;
      buttons[i].textContent = t("{action} {n} selected", { action: action.label, n });
    });
    const open = selectable();
    all.checked = open.length > 0 && open.every((lot) => chosen.has(lot.id));
  }
  all.addEventListener("change", () => {
    for (const lot of selectable()) { if (all.checked) chosen.add(lot.id); else chosen.delete(lot.id); }
    for (const box of rows.querySelectorAll("input[type=checkbox]")) box.checked = chosen.has(Number(box.value));
    refreshChoice();
  });

  function row(lot) {
    const words = t("{item} · lot {lot} · {n} on hand · {status}", { item: lot.item, lot: lot.lot_number, n: lot.on_hand, status: inWords(QC_WORDS, lot.qc_status) });
    const item = el("li", { className: "lot" });
    item.dataset.lot = lot.lot_number;
    item.dataset.status = lot.qc_status;
    if (select && lot.qc_status === "on_hold") {
      const box = el("input", { type: "checkbox", value: String(lot.id), checked: chosen.has(lot.id), id: `${container.id}-lot-${lot.id}` });
      box.addEventListener("change", () => { if (box.checked) chosen.add(lot.id); else chosen.delete(lot.id); refreshChoice(); });
      item.append(el("label", { className: "lot-choice", htmlFor: box.id }, box, ` ${words}`));
    } else {
      item.append(el("p", { textContent: words }));
    }
    return item;
  }

  return {
    update(newLots, summaryWords) {
      lots = newLots;
      summary.textContent = summaryWords;
      const key = JSON.stringify(lots.map((lot) => [lot.id, lot.qc_status, lot.on_hand]));
      if (key === drawn) return;
      const first = !drawn;
      drawn = key;
      for (const id of [...chosen]) if (!selectable().some((lot) => lot.id === id)) chosen.delete(id);
      rows.replaceChildren(...lots.map(row));
      if (!lots.length) rows.append(el("li", { className: "empty", textContent: t("None.") }));
      if (first) details.open = lots.length > 0 && lots.length <= openUpTo;
      if (toolbar) toolbar.hidden = selectable().length === 0;
      refreshChoice();
    },
    clear() { chosen.clear(); drawn = ""; },
  };
}
