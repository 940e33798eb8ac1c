// A question in a modal dialog, for any page: `await ask("Why?", {choices, value,
// placeholder, ok})` resolves to the typed or chosen text, or null when cancelled.
// The dialog is built on first use (id "ask"; styled by app.css's dialog.ask).

function build() {
  const dialog = document.createElement("dialog");
  dialog.id = "ask";
  dialog.className = "ask";
  const form = document.createElement("form");
  form.method = "dialog";
  const question = Object.assign(document.createElement("p"), { id: "ask-question", className: "question" });
  const choices = Object.assign(document.createElement("div"), { id: "ask-choices", className: "choices" });
  const text = Object.assign(document.createElement("input"), { id: "ask-text", autocomplete: "off" });
  const buttons = Object.assign(document.createElement("p"), { className: "buttons" });
  const cancel = Object.assign(document.createElement("button"), {
    type: "submit", value: "cancel", className: "big", textContent: "Cancel", formNoValidate: true,
  });
  const ok = Object.assign(document.createElement("button"), {
    type: "submit", value: "ok", id: "ask-ok", className: "primary big", textContent: "OK",
  });
  buttons.append(cancel, ok);
  form.append(question, choices, text, buttons);
  dialog.append(form);
  document.body.append(dialog);
  return dialog;
}

export function isAsking() {
  const dialog = document.getElementById("ask");
  return Boolean(dialog && dialog.open);
}

export function ask(question, { choices = [], value = "", placeholder = "", ok = "OK" } = {}) {
  const dialog = document.getElementById("ask") || build();
  dialog.querySelector("#ask-question").textContent = question;
  dialog.querySelector("#ask-ok").textContent = ok;
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
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok" ? text.value.trim() : null);
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    text.focus();
  });
}
