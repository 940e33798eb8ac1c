// A GTIN as a person typed it, checked by GS1's own rule (length and check digit), so a
// page can say what is wrong before anything is sent (items.js). The hub checks again.
import { t } from "./i18n.js";

/** What is wrong with a GTIN as typed, in words; null when it is a valid GTIN. */
export function gtinProblem(text) {
  if (!/^\d+$/.test(text)) return t("A GTIN is digits only; “{gtin}” is not.", { gtin: text });
  if (![8, 12, 13, 14].includes(text.length)) {
    return t("A GTIN has 8, 12, 13 or 14 digits; {gtin} has {n}.", { gtin: text, n: text.length });
  }
  const digits = [...text].map(Number);
  const last = digits.pop();
  // From the right, the digits before the check digit weigh 3, 1, 3, 1 …
  const sum = digits.reverse().reduce((total, d, i) => total + d * (i % 2 === 0 ? 3 : 1), 0);
  const expected = (10 - (sum % 10)) % 10;
  if (expected !== last) {
    return t("GTIN {gtin} has a wrong check digit: its last digit should be {expected}, not {last}. Check for a mistyped digit.",
      { gtin: text, expected, last });
  }
  return null;
}
