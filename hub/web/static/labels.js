// The warehouse's own labels: bins ("LOC:F-01") and commands ("CMD:RECEIVE",
// "CMD:QTY:12"). The prefixes are the hub's settings, handed to the page. Read here,
// in the page, so that a mode or bin change works offline too.
import { t } from "./i18n.js";

export const MODES = ["receive", "dispatch", "transfer", "count", "return", "identify"];
const ALIASES = { LOOKUP: "identify", IDENTIFY: "identify" };

function strip(raw) {
  let text = String(raw).trim();
  if (/^\][A-Za-z][0-9A-Za-z]/.test(text)) text = text.slice(3);
  return text.trim();
}

/**
 * What a scan is: `{kind: "location", code}`, `{kind: "command", command, argument}`,
 * `{kind: "error", words}` (a label with nothing after its prefix), or
 * `{kind: "product"}` (anything else: the hub reads it).
 */
export function readLabel(raw, { locationPrefix = "LOC:", commandPrefix = "CMD:" } = {}) {
  const text = strip(raw);
  for (const [prefix, kind] of [[commandPrefix, "command"], [locationPrefix, "location"]]) {
    if (prefix && text.slice(0, prefix.length).toUpperCase() === prefix.toUpperCase()) {
      const body = text.slice(prefix.length).trim();
      if (!body) return { kind: "error", words: t("The label '{text}' has nothing after '{prefix}'", { text, prefix }) };
      if (kind === "location") return { kind, code: body };
      const [command, ...rest] = body.split(":");
      return { kind, command: command.trim().toUpperCase(), argument: rest.join(":").trim() || null };
    }
  }
  return { kind: "product" };
}

/** A command label as an action: `{mode}`, `{quantity}`, `{clear: true}`, `{sync: true}`,
 * or `{error}` in words. "CMD:RECEIVE" and "CMD:MODE:RECEIVE" both set the mode. */
export function commandAction(command, argument) {
  let name = command;
  if (name === "MODE" && argument) name = argument.toUpperCase();
  const mode = ALIASES[name] || name.toLowerCase();
  if (MODES.includes(mode)) return { mode };
  if (name === "QTY" || name === "QUANTITY") {
    const quantity = Number(argument);
    if (Number.isInteger(quantity) && quantity > 0) return { quantity };
    return { error: t("The quantity label needs a whole number above 0, not '{value}'", { value: argument ?? "" }) };
  }
  if (name === "CLEAR" || name === "CANCEL") return { clear: true };
  if (name === "SYNC") return { sync: true };
  return { error: t("Unknown command label '{command}'", { command }) };
}
