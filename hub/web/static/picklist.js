// The dispatch pick list: fetched from the hub's preview (FEFO/FIFO), kept in
// localStorage so that picks are checked against it also offline (then provisionally:
// the hub checks each dispatch again when it arrives and refuses a wrong lot with the reason).
import { api } from "./api.js";
import { t } from "./i18n.js";

const KEY = "stockwarden.picklist";

export function loadPickList() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

export function savePickList(list) {
  if (list) localStorage.setItem(KEY, JSON.stringify(list));
  else localStorage.removeItem(KEY);
}

export async function fetchPickList(item, quantity) {
  const answer = await api("/api/v1/moves/dispatch/preview", { method: "POST", body: { item, quantity } });
  // The item's GTIN, to tell a scan of another product from a scan of another lot.
  const found = await api(`/api/v1/items/${encodeURIComponent(answer.item)}`);
  const list = {
    item: answer.item, gtin: found.gtin, policy: answer.policy, quantity: answer.quantity,
    fetchedAt: new Date().toISOString(),
    lines: answer.lines.map((line) => ({ ...line, remaining: line.quantity })),
  };
  savePickList(list);
  return list;
}

export function nextLine(list) {
  return list ? list.lines.find((line) => line.remaining > 0 && !line.offList) || null : null;
}

/** How a scanned lot fits the list: "match" (a lot on the list still to pick: the
 * lines are all the allocation's choice, their order is only the walk), "other" (not a
 * lot to pick), "unread" (the label's lot could not be read here), or "done". */
export function checkLot(list, lot) {
  const next = nextLine(list);
  if (!next) return { verdict: "done", next: null };
  if (!lot) return { verdict: "unread", next };
  const line = list.lines.find((l) => l.remaining > 0 && !l.offList && l.lot_number === lot);
  return line ? { verdict: "match", line, next } : { verdict: "other", next };
}

export function take(list, line, quantity) {
  line.remaining = Math.max(0, line.remaining - quantity);
  savePickList(list);
}

export function describeLine(line) {
  const p = { n: line.remaining, lot: line.lot_number, bin: line.location_code, expiry: line.expiry };
  return line.expiry ? t("{n} × lot {lot} from {bin}, exp. {expiry}", p) : t("{n} × lot {lot} from {bin}", p);
}

/** A lot picked instead of the suggested one (with a reason): it counts towards the
 * order, so the lines it replaces need no picking, but they were not picked: they are
 * marked as left out for that lot (never struck through as picked), and the pick is
 * listed as off the list. */
export function takeOffList(list, lot, location, quantity, reason) {
  let left = quantity;
  for (const line of list.lines) {
    if (left === 0) break;
    if (line.offList || line.remaining === 0) continue;
    const taken = Math.min(line.remaining, left);
    line.remaining -= taken;
    line.skipped = (line.skipped || 0) + taken;
    line.instead = lot;
    left -= taken;
  }
  list.lines.push({ lot_number: lot, location_code: location || t("its bin"), expiry: null,
    quantity, remaining: 0, offList: true, reason });
  savePickList(list);
}

function lineClass(line, next) {
  if (line.remaining > 0) return line === next ? "next" : "";
  return line.skipped === line.quantity ? "skipped" : "picked";
}

/** The pick list on screen: what to pick next, each line, the picks off the list. */
export function drawPickList(list, status, lines) {
  if (!list) {
    status.textContent = t("No pick list: type the item and quantity, or scan and the hub checks the lot.");
    lines.replaceChildren();
    return;
  }
  const next = nextLine(list);
  const when = new Date(list.fetchedAt).toLocaleTimeString(document.documentElement.lang || undefined);
  status.textContent = next ? t("Pick next: {line}", { line: describeLine(next) }) : t("Pick list for {item} complete.", { item: list.item });
  status.dataset.next = next ? next.lot_number : "";
  lines.replaceChildren(...list.lines.map((line) => {
    const li = document.createElement("li");
    li.dataset.lot = line.lot_number;
    if (line.offList) {
      li.className = "off-list";
      li.textContent = t("{lot} · off the list · {n} picked ({reason})", { lot: line.lot_number, n: line.quantity, reason: line.reason });
      return li;
    }
    li.className = lineClass(line, next);
    const expiry = line.expiry || t("no expiry");
    const skipped = line.skipped ? t("{n} not picked: lot {lot} instead", { n: line.skipped, lot: line.instead }) : "";
    li.textContent = [line.lot_number, line.location_code, expiry, `${line.remaining}/${line.quantity}`, skipped].filter(Boolean).join(" · ");
    return li;
  }));
  const caption = document.createElement("li");
  caption.className = "caption";
  caption.textContent = t("{item}, {n} ({policy}), list of {time}", { item: list.item, n: list.quantity, policy: list.policy.toUpperCase(), time: when });
  lines.prepend(caption);
}
