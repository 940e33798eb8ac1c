// An electronic signature asked in one dialog (kernel/signatures.py): what is decided
// (a reason or a comment, with choices), what the signature means (reviewed, approved,
// released, rejected: the ones the action allows), and the signer's password again.
// `await signDialog(question, {meanings, text, ...})` resolves to
// `{text, meaning, password}` or null when cancelled. `text: null` asks no text.
// The dialog is built on first use (id "sign"; styled as dialog.ask by app.css).
import { t } from "./i18n.js";

// The signature's meanings (kernel/signatures.py) in the page's words.
const MEANING_WORDS = { reviewed: t("reviewed"), approved: t("approved"), released: t("released"), rejected: t("rejected") };

let current = null; // { minLength, required }

function build() {
  const dialog = Object.assign(document.createElement("dialog"), { id: "sign", className: "ask sign" });
  const form = Object.assign(document.createElement("form"), { method: "dialog" });
  const field = (tag, props) => Object.assign(document.createElement(tag), props);
  const question = field("p", { id: "sign-question", className: "question" });
  const choices = field("div", { id: "sign-choices", className: "choices" });
  const textLabel = field("label", { id: "sign-text-label", htmlFor: "sign-text", className: "label" });
  const text = field("input", { id: "sign-text", autocomplete: "off" });
  const meaningLabel = field("label", { htmlFor: "sign-meaning", className: "label", textContent: t("Meaning of your signature") });
  const meaning = field("select", { id: "sign-meaning", name: "meaning" });
  const passwordLabel = field("label", { htmlFor: "sign-password", className: "label", textContent: t("Your password (signs this decision)") });
  const password = field("input", { id: "sign-password", type: "password", autocomplete: "current-password", name: "password" });
  const error = field("p", { id: "sign-error", className: "error", hidden: true });
  error.setAttribute("role", "alert");
  const buttons = field("p", { className: "buttons" });
  const cancel = field("button", { type: "button", className: "big", textContent: t("Cancel") });
  cancel.addEventListener("click", () => dialog.close("cancel"));
  const ok = field("button", { type: "submit", value: "ok", id: "sign-ok", className: "primary big", textContent: t("Sign") });
  buttons.append(cancel, ok);
  form.append(question, choices, textLabel, text, meaningLabel, meaning, passwordLabel, password, error, buttons);
  dialog.append(form);
  document.body.append(dialog);
  form.addEventListener("submit", (event) => {
    if (!current) return;
    let problem = "";
    if (current.asksText && current.required && text.value.trim().length < current.minLength) problem = current.required;
    else if (!password.value) problem = t("Type your password: it signs this decision.");
    if (problem) {
      event.preventDefault();
      error.textContent = problem;
      error.hidden = false;
    }
  });
  return dialog;
}

export function signDialog(question, {
  meanings = ["approved"], text = "", textLabel = t("Reason"), choices = [], placeholder = "",
  required = "", minLength = 1, ok = t("Sign"),
} = {}) {
  const dialog = document.getElementById("sign") || build();
  const box = dialog.querySelector("#sign-text");
  const asksText = text !== null;
  dialog.querySelector("#sign-question").textContent = question;
  dialog.querySelector("#sign-ok").textContent = ok;
  dialog.querySelector("#sign-error").hidden = true;
  dialog.querySelector("#sign-text-label").textContent = textLabel;
  dialog.querySelector("#sign-text-label").hidden = !asksText;
  box.hidden = !asksText;
  box.value = text || "";
  box.placeholder = placeholder;
  dialog.querySelector("#sign-choices").replaceChildren(...(asksText ? choices : []).map((choice) => {
    const button = Object.assign(document.createElement("button"), { type: "button", textContent: choice });
    button.addEventListener("click", () => { box.value = choice; dialog.querySelector("#sign-password").focus(); });
    return button;
  }));
  dialog.querySelector("#sign-meaning").replaceChildren(...meanings.map((m) => Object.assign(
    document.createElement("option"), { value: m, textContent: MEANING_WORDS[m] || m })));
  const password = dialog.querySelector("#sign-password");
  password.value = "";
  const asking = { asksText, required, minLength };
  current = asking;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      if (current === asking) current = null;
      const answer = dialog.returnValue === "ok" ? {
        text: box.value.trim(), meaning: dialog.querySelector("#sign-meaning").value, password: password.value,
      } : null;
      password.value = ""; // never kept in the page
      resolve(answer);
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    (asksText ? box : password).focus();
  });
}

/** The signature as a request body carries it. */
export function signature(answer) {
  return { password: answer.password, meaning: answer.meaning };
}
