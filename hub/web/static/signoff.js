// The reports page's sign-offs: a zone report's signatures (superseded when the
// period's data changed after signing), the button that signs the report shown (a
// supervisor, a period that has ended: hub/reports/signoff.py), and a lot's signed
// releases and rejects in its trace.
import { api, session } from "./api.js";
import { canDo, el, newKey } from "./monitor.js";
import { signDialog, signature } from "./sign.js";
import { t } from "./i18n.js";

const list = document.getElementById("zone-signoffs");
const button = document.getElementById("zone-sign");
const line = document.getElementById("zone-sign-status");
let shown = null; // { code, params, reload }

function say(words, tone = "") {
  line.textContent = words;
  line.dataset.tone = tone;
}

/** The sign-offs of the report shown, and the sign button for it. */
export function showSignOffs(report, params, reload) {
  shown = { code: report.zone, params, reload };
  list.replaceChildren(...(report.sign_offs.length ? report.sign_offs.map((s) => el("li", {
    className: s.superseded ? "signoff superseded" : "signoff",
  }, el("span", { className: "row-head", textContent: s.text }),
    el("span", { className: "facts", textContent: t("signed PDF SHA-256 {digest}", { digest: s.pdf_sha256 }) }),
  )) : [el("li", { className: "empty", textContent: t("Not signed off.") })]));
  const ended = new Date(params.end) <= new Date();
  button.hidden = !canDo(session(), "supervisor");
  button.disabled = !ended;
  button.title = ended ? "" : t("Only a period that has ended can be signed off");
  say("");
}

async function signOff() {
  if (!shown) return;
  const signed = await signDialog(t("Sign off the report of {zone} for this period?", { zone: shown.code }), {
    text: null, meanings: ["reviewed", "approved"], ok: t("Sign off"),
  });
  if (signed === null) return;
  try {
    const done = await api(`/api/v1/reports/zones/${encodeURIComponent(shown.code)}/sign-offs`, {
      method: "POST", body: { ...shown.params, signature: signature(signed) }, key: newKey(),
    });
    await shown.reload();
    say(t("Signed: {signature}", { signature: done.text }), "ok");
  } catch (err) {
    say(err.message, "error");
  }
}

button?.addEventListener("click", signOff);

/** A lot's signatures in its trace. */
export function showLotSignatures(lot) {
  document.getElementById("trace-signatures").replaceChildren(
    ...(lot.signatures || []).map((s) => el("li", { className: "signature", textContent: s.text })));
}
