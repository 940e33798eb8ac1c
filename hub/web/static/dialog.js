// A question in a modal dialog, for any page: `await ask("Why?", {choices, value,
// placeholder, ok, required, minLength, scan})` resolves to the typed or chosen text, or
// null when cancelled. The dialog is built on first use (id "ask"; styled by app.css's
// dialog.ask).
//
// Enter answers: the affirmative button (`ok`) is the form's only submit button, so it is
// the one Enter presses; Cancel is a plain button, and Escape cancels too.
// `required`: the words to say when the answer is empty (or shorter than `minLength`);
// the dialog then stays open instead of answering.
// `scan`: `{looksLike(text), take(raw)}`, for a page with a keyboard-wedge scanner. The
// scanner types into whatever has the focus, so a barcode scanned while the dialog is
// open lands in its text box, followed by Enter. When the whole text came in at a
// scanner's pace (each key within SCANNER_GAP_MS of the one before) or `looksLike(text)`,
// it is not an answer: the dialog closes as cancelled and `take(text)` gets the scan.
import { t } from "./i18n.js";

// A person's keystrokes come 80 ms or more apart (even a fast typist's pairs of keys
// rarely under 40 ms); a scanner's 1 to 20 ms. Measured on the keys' own time stamps
// (when the key came in, not when the page got round to it), so a busy page does not
// make a person look like a scanner or a scanner like a person.
const SCANNER_GAP_MS = 30;
const SCANNER_MIN_CHARS = 4;

let current = null; // the open question: { required, minLength, scan, burst, scanned }

function freshBurst() {
  return { keys: 0, last: 0, fast: true };
}

function build() {
  const dialog = document.createElement("dialog");
  dialog.id = "ask";
  dialog.className = "ask";
  const form = document.createElement("form");
  form.method = "dialog";
  const question = Object.assign(document.createElement("p"), { id: "ask-question", className: "question" });
  const choices = Object.assign(document.createElement("div"), { id: "ask-choices", className: "choices" });
  const text = Object.assign(document.createElement("input"), { id: "ask-text", autocomplete: "off" });
  // A visible label names the field (screen readers, and the tap target's words); the
  // question describes it.
  const label = Object.assign(document.createElement("label"), { id: "ask-label", htmlFor: "ask-text", className: "label" });
  text.setAttribute("aria-describedby", "ask-question");
  const error = Object.assign(document.createElement("p"), { id: "ask-error", className: "error", hidden: true });
  error.setAttribute("role", "alert");
  const buttons = Object.assign(document.createElement("p"), { className: "buttons" });
  // type=button: never the default; Enter goes to OK, the only submit button.
  const cancel = Object.assign(document.createElement("button"), {
    type: "button", value: "cancel", className: "big", textContent: t("Cancel"),
  });
  cancel.addEventListener("click", () => dialog.close("cancel"));
  const ok = Object.assign(document.createElement("button"), {
    type: "submit", value: "ok", id: "ask-ok", className: "primary big", textContent: t("OK"),
  });
  buttons.append(cancel, ok);
  form.append(question, choices, label, text, error, buttons);
  dialog.append(form);
  document.body.append(dialog);

  text.addEventListener("keydown", (event) => {
    if (!current || event.key.length !== 1) return; // Enter, Shift, arrows ...: not typed
    const burst = current.burst;
    // A key held down repeats about as fast as a scanner types: that is a person.
    if (event.repeat || (burst.keys > 0 && event.timeStamp - burst.last > SCANNER_GAP_MS)) burst.fast = false;
    burst.keys += 1;
    burst.last = event.timeStamp;
  });
  text.addEventListener("input", (event) => {
    error.hidden = true;
    if (!current) return;
    if (!text.value) { current.burst = freshBurst(); return; }
    // A scanner types one character per key. Anything else is a person (or a paste):
    // a deletion, a word from the soft keyboard's suggestions, a composition.
    if (!(event.inputType === "insertText" && event.data?.length === 1)) current.burst.fast = false;
  });
  form.addEventListener("submit", (event) => {
    if (!current) return;
    const raw = text.value;
    const answer = raw.trim();
    if (current.scan && answer && (cameAsAScan(current.burst, raw) || current.scan.looksLike(answer))) {
      event.preventDefault();
      current.scanned = raw;
      dialog.close("scan");
      return;
    }
    if (current.required && answer.length < current.minLength) {
      event.preventDefault();
      error.textContent = current.required;
      error.hidden = false;
      text.focus();
    }
  });
  return dialog;
}

/** The whole text typed in one burst at a scanner's pace. */
function cameAsAScan(burst, raw) {
  return burst.fast && burst.keys >= SCANNER_MIN_CHARS && burst.keys === raw.length;
}

export function isAsking() {
  const dialog = document.getElementById("ask");
  return Boolean(dialog && dialog.open);
}

/** Tell the open question anew (what it asks about changed while it was open: an alarm
 * that turned critical); the typed answer stays. `note` is said below it, in bold. */
export function retell(question, note = "") {
  const dialog = document.getElementById("ask");
  if (!dialog || !dialog.open) return;
  dialog.querySelector("#ask-question").textContent = question;
  const error = dialog.querySelector("#ask-error");
  error.textContent = note;
  error.hidden = !note;
}

export function ask(question, {
  choices = [], value = "", placeholder = "", ok = t("OK"), required = "", minLength = 1, scan = null,
  label = t("Your answer"),
} = {}) {
  const dialog = document.getElementById("ask") || build();
  dialog.querySelector("#ask-question").textContent = question;
  dialog.querySelector("#ask-label").textContent = label;
  dialog.querySelector("#ask-ok").textContent = ok;
  dialog.querySelector("#ask-error").hidden = true;
  const text = dialog.querySelector("#ask-text");
  text.value = value;
  text.placeholder = placeholder;
  dialog.querySelector("#ask-choices").replaceChildren(...choices.map((choice) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = choice;
    button.addEventListener("click", () => { text.value = choice; dialog.close("ok"); });
    return button;
  }));
  const asking = {
    required, minLength: required ? Math.max(1, minLength) : 0, scan, burst: freshBurst(), scanned: null,
  };
  current = asking;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      if (current === asking) current = null;
      resolve(dialog.returnValue === "ok" ? text.value.trim() : null);
      // After the asker has heard "cancelled" (its await resumes first), as if the scan
      // had gone to the scan field.
      if (dialog.returnValue === "scan" && asking.scanned !== null) setTimeout(() => scan.take(asking.scanned), 0);
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    text.focus();
  });
}
