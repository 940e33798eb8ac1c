// What the stocktake pages (stocktakes.js, stocktake.js) say about a stocktake: its
// state in words and what it counts. The English text is the key of t().
import { t } from "./i18n.js";

export const ACTIVE = ["open", "counting", "review"];

/** The state in words (the API's codes: open, counting, review, approved, cancelled). */
export function stateWords(status) {
  switch (status) {
    case "open": return t("Open: nothing counted yet");
    case "counting": return t("Counting");
    case "review": return t("Awaiting approval");
    case "approved": return t("Approved");
    case "cancelled": return t("Cancelled");
    default: return status;
  }
}

/** What is counted: "zone COLD (3 bins)" or "bins C-01, C-02". */
export function scopeWords(stocktake) {
  const bins = stocktake.bins || [];
  if (stocktake.zone) return t("zone {zone} ({n} bins)", { zone: stocktake.zone, n: bins.length });
  const shown = bins.slice(0, 6).join(", ");
  return bins.length > 6 ? t("bins {bins} and {n} more", { bins: shown, n: bins.length - 6 })
    : t("bins {bins}", { bins: shown });
}
