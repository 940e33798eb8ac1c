// One quality decision for many lots: the dialog of the excursion page (#decide in
// excursion.html) and the one request it makes. `decide(lots, status)` asks for the
// reason and sends POST /api/v1/lots/qc-status once for all of them (one transaction:
// all or none); it resolves to the hub's answer, or null when cancelled.
//
// A release or a reject the site signs (the page's config `signing`) is asked in the
// signature dialog instead (sign.js: reason, meaning, password), one signature for
// the whole list; `decisionBody` is the one place that builds the request.
import { api, pageConfig } from "./api.js";
import { el, newKey } from "./monitor.js";
import { signDialog, signature } from "./sign.js";
import { t } from "./i18n.js";

const MIN_REASON = 3;
const CHOICES = {
  released: [t("Within tolerance, checked by QA"), t("Stability data allows it")],
  rejected: [t("Out of tolerance"), t("Stability data does not cover it")],
};

/** The request's body: the lots, the status, the reason (and a signature, when asked). */
export function decisionBody(lotIds, status, answers) {
  const body = { lot_ids: lotIds, status, reason: answers.reason };
  if (answers.signature) body.signature = answers.signature;
  return body;
}

function signed(status) {
  const signing = pageConfig().signing || { required: [] };
  return signing.required.includes(status === "released" ? "lot_release" : "lot_reject");
}

async function askSigned(question, status) {
  const answer = await signDialog(question, {
    choices: CHOICES[status], textLabel: t("Reason"), placeholder: t("at least 3 characters"),
    required: t("Type the reason ({n} characters or more), or choose one above.", { n: MIN_REASON }),
    minLength: MIN_REASON, ok: status === "released" ? t("Sign & release") : t("Sign & reject"),
    meanings: status === "released" ? ["released", "approved"] : ["rejected"],
  });
  return answer === null ? null : { reason: answer.text, signature: signature(answer) };
}

function askReason(question, status) {
  const dialog = document.getElementById("decide");
  const form = document.getElementById("decide-form");
  const reason = document.getElementById("decide-reason");
  const error = document.getElementById("decide-error");
  document.getElementById("decide-question").textContent = question;
  document.getElementById("decide-ok").textContent = status === "released" ? t("Release") : t("Reject");
  reason.value = "";
  error.hidden = true;
  document.getElementById("decide-choices").replaceChildren(...CHOICES[status].map((words) =>
    el("button", { type: "button", className: "choice", textContent: words, onclick: () => { reason.value = words; reason.focus(); } })));
  return new Promise((resolve) => {
    const finish = (answer) => {
      form.removeEventListener("submit", submit);
      dialog.removeEventListener("close", closed);
      resolve(answer);
    };
    const submit = (event) => {
      if (reason.value.trim().length < MIN_REASON) {
        event.preventDefault();  // the dialog stays open and says why
        error.textContent = t("Type the reason ({n} characters or more), or choose one above.", { n: MIN_REASON });
        error.hidden = false;
        reason.focus();
        return;
      }
      finish({ reason: reason.value.trim() });
    };
    const closed = () => { if (dialog.returnValue !== "ok") finish(null); };
    form.addEventListener("submit", submit);
    dialog.addEventListener("close", closed);
    document.getElementById("decide-cancel").onclick = () => dialog.close("cancel");
    dialog.returnValue = "";
    dialog.showModal();
    reason.focus();
  }).finally(() => { if (dialog.open) dialog.close("ok"); });
}

export async function decide(lots, status) {
  const one = { lot: lots.length === 1 ? lots[0].lot_number : "", n: lots.length };
  const question = status === "released"
    ? (lots.length === 1 ? t("Release lot {lot}? One reason for all of them:", one) : t("Release {n} lots? One reason for all of them:", one))
    : (lots.length === 1 ? t("Reject lot {lot}? One reason for all of them:", one) : t("Reject {n} lots? One reason for all of them:", one));
  const answers = await (signed(status) ? askSigned(question, status) : askReason(question, status));
  if (answers === null) return null;
  return api("/api/v1/lots/qc-status", {
    method: "POST", body: decisionBody(lots.map((lot) => lot.id), status, answers), key: newKey(),
  });
}
