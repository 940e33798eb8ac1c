// The handheld's queue on screen: open entries (waiting, sending, refused) and the
// recently booked ones, each with its state, the hub's words and, for a refusal, "Seen".
import { t } from "./i18n.js";

const STATE_WORDS = { queued: t("waiting"), sending: t("sending…"), booked: t("booked"), refused: t("refused") };

function entryItem(entry, me, dismiss) {
  const li = document.createElement("li");
  li.dataset.state = entry.state;
  li.dataset.key = entry.key;
  const head = document.createElement("span");
  head.className = "what";
  head.textContent = entry.summary;
  const badge = document.createElement("span");
  badge.className = `badge ${entry.state}`;
  badge.textContent = STATE_WORDS[entry.state] + (entry.provisional ? " · " + t("provisional") : "");
  li.append(badge, head);
  const words = entry.state === "queued" && me && entry.user !== me.username
    ? t("waits for {user} to log in", { user: entry.user }) : entry.result || entry.lastError || entry.note;
  if (words) {
    const detail = document.createElement("span");
    detail.className = "detail";
    detail.textContent = words;
    li.append(detail);
  }
  if (entry.state === "refused") {
    const seen = document.createElement("button");
    seen.type = "button";
    seen.className = "small";
    seen.textContent = t("Seen");
    seen.addEventListener("click", () => dismiss(entry.key));
    li.append(seen);
  }
  return li;
}

/** Draw the queue into `open` and `done` (lists); returns how many wait to be sent. */
export async function renderQueue(queue, me, { open, done, count }) {
  const entries = await queue.all();
  const pending = entries.filter((e) => e.state !== "booked");
  const dismiss = (key) => queue.dismiss(key);
  open.replaceChildren(...pending.map((e) => entryItem(e, me, dismiss)));
  done.replaceChildren(...entries.filter((e) => e.state === "booked").reverse()
    .map((e) => entryItem(e, me, dismiss)));
  // The badge counts what waits to be sent; a refused entry waits for nothing (it stays
  // listed, red, until "Seen").
  const waiting = pending.filter((e) => e.state === "queued" || e.state === "sending").length;
  count.textContent = String(waiting);
  count.title = t("{n} waiting to be sent", { n: waiting });
  return waiting;
}
