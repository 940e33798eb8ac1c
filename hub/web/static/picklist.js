// The dispatch pick list: fetched from the hub's preview (FEFO/FIFO), kept in
// localStorage so that picks are checked against it also offline (then provisionally:
// the hub checks each dispatch again when it arrives and refuses a wrong lot with the reason).
import { api } from "./api.js";

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
  return list ? list.lines.find((line) => line.remaining > 0) || null : null;
}

/** How a scanned lot fits the list: "match" (a lot on the list still to pick: the
 * lines are all the allocation's choice, their order is only the walk), "other" (not a
 * lot to pick), "unread" (the label's lot could not be read here), or "done". */
export function checkLot(list, lot) {
  const next = nextLine(list);
  if (!next) return { verdict: "done", next: null };
  if (!lot) return { verdict: "unread", next };
  const line = list.lines.find((l) => l.remaining > 0 && l.lot_number === lot);
  return line ? { verdict: "match", line, next } : { verdict: "other", next };
}

export function take(list, line, quantity) {
  line.remaining = Math.max(0, line.remaining - quantity);
  savePickList(list);
}

export function describeLine(line) {
  const expiry = line.expiry ? `, exp. ${line.expiry}` : "";
  return `${line.remaining} × lot ${line.lot_number} from ${line.location_code}${expiry}`;
}
