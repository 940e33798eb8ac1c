// Reads the few things the handheld needs from a GS1 scan before the hub sees it:
// the GTIN (AI 01/02), lot (10), expiry (17) and quantity (30/37), and a consignee's
// ship-to (410) or ship-for (413) GLN. Used only to check a
// picked lot against the pick list, also offline; the hub reads every scan again itself
// (inventory/scans/interpret.py), so this reader may give up: it then returns null fields.

export const GS = "\u001d";

// Length of the AI itself, by its first two digits (GS1 General Specifications).
function aiLength(two) {
  const n = Number(two);
  if (n <= 22 || n === 30 || n === 37 || (n >= 90 && n <= 99)) return 2;
  if ((n >= 31 && n <= 36) || n === 39 || (n >= 70 && n <= 89)) return 4;
  if (n === 23 || n === 24 || n === 25 || (n >= 40 && n <= 43)) return 3;
  return 0; // not an AI this reader knows
}

// Data length of the AIs whose length is predefined, by their first two digits.
const FIXED = {
  "00": 18, "01": 14, "02": 14, "03": 14, "04": 16, "11": 6, "12": 6, "13": 6, "14": 6,
  "15": 6, "16": 6, "17": 6, "18": 6, "19": 6, "20": 2, "31": 6, "32": 6, "33": 6,
  "34": 6, "35": 6, "36": 6, "41": 13,
};

function yymmdd(text) {
  if (!/^\d{6}$/.test(text)) return null;
  const year = 2000 + Number(text.slice(0, 2));
  const month = Number(text.slice(2, 4));
  let day = Number(text.slice(4, 6));
  if (day === 0) day = new Date(Date.UTC(year, month, 0)).getUTCDate(); // day 00: month's end
  return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

function fromElements(elements) {
  const gtin = elements["01"] || elements["02"] || null;
  const quantity = elements["30"] || elements["37"];
  return {
    gtin, lot: elements["10"] || null, expiry: elements["17"] ? yymmdd(elements["17"]) : null,
    quantity: quantity ? Number(quantity) : null,
  };
}

function elementString(text) {
  const elements = {};
  let at = 0;
  while (at < text.length) {
    if (text[at] === GS) { at += 1; continue; }
    const size = aiLength(text.slice(at, at + 2));
    if (!size) break;
    const ai = text.slice(at, at + size);
    at += size;
    const fixed = FIXED[ai.slice(0, 2)];
    let value;
    if (fixed) {
      value = text.slice(at, at + fixed);
      at += fixed;
    } else {
      const end = text.indexOf(GS, at);
      value = end < 0 ? text.slice(at) : text.slice(at, end);
      at = end < 0 ? text.length : end + 1;
    }
    elements[ai] = value;
  }
  return elements;
}

/** The scan's element strings by AI ({"01": "…", "10": "…"}), or null for a scan this
 * reader cannot read; "gtin" alone for a bare GTIN. `standins`: what stands for the
 * group separator. */
function elementsOf(raw, standins) {
  let text = String(raw).trim();
  if (/^\][A-Za-z][0-9A-Za-z]/.test(text)) text = text.slice(3); // ]d2, ]C1, ]Q3 ...
  for (const standin of [...standins].filter(Boolean).sort((a, b) => b.length - a.length)) {
    text = text.split(standin).join(GS);
  }
  text = text.replace(/^\u001d+|\u001d+$/g, "");
  if (!text) return null;
  if (/^https?:\/\//i.test(text)) {
    const url = new URL(text);
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const elements = {};
    for (let i = parts.length - 2; i >= 0; i -= 1) {
      if (/^\d{2,4}$/.test(parts[i]) && !(parts[i] in elements)) elements[parts[i]] = parts[i + 1];
    }
    for (const [ai, value] of url.searchParams) elements[ai] = value;
    return elements;
  }
  if (text.startsWith("(")) {
    const elements = {};
    for (const match of text.matchAll(/\((\d{2,4})\)([^(]*)/g)) elements[match[1]] = match[2];
    return elements;
  }
  if (/^\d{8}$|^\d{12,14}$/.test(text)) return { gtin: text.padStart(14, "0") };
  const elements = elementString(text);
  return Object.keys(elements).length ? elements : null;
}

/** `{gtin, lot, expiry, quantity}` of a product scan (any field may be null), or null
 * for a scan this reader cannot read. `standins`: what stands for the group separator. */
export function readProduct(raw, standins = ["|"]) {
  const elements = elementsOf(raw, standins);
  if (elements === null) return null;
  if ("gtin" in elements) return { gtin: elements.gtin, lot: null, expiry: null, quantity: null };
  return fromElements(elements);
}

/** The consignee's GLN of a GS1 barcode with no product in it: ship to / deliver to
 * (AI 410) or ship for (AI 413); null for any other scan. Its check digit is not
 * checked here (see glnProblem in consignees.js; the hub checks it again). */
export function readShipTo(raw, standins = ["|"]) {
  let elements = null;
  try {
    elements = elementsOf(raw, standins);
  } catch {
    return null; // e.g. a malformed link: not a consignee's label
  }
  if (!elements || elements["01"] || elements["02"] || "gtin" in elements) return null;
  const gln = elements["410"] || elements["413"] || null;
  return gln && /^\d{13}$/.test(gln) ? gln : null;
}

/** The GS1 check digit of a GLN's first 12 digits (GS1 General Specifications 7.9.1). */
export function glnCheckDigit(first12) {
  let sum = 0;
  for (let i = 0; i < 12; i += 1) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10;
}
