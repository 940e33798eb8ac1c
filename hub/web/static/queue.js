// The handheld's scan queue: every booking scan is stored in IndexedDB first, with its
// Idempotency-Key made at scan time, then sent in order. A reload, a closed tab or a
// dead network loses nothing; a resend carries the same key, so the hub books it once.
//
// States: queued -> sending -> booked | refused (4xx: the hub's reason, kept until the
// operator dismisses it). A network error or 5xx puts the entry back to queued and
// retries later with backoff; a 401 waits for a new login.
import { ApiError, api, session } from "./api.js";
import { t } from "./i18n.js";

const DB_NAME = "stockwarden-handheld";
const STORE = "scans";
const KEEP_BOOKED = 30;
const MAX_BACKOFF_MS = 60_000;
const TICK_MS = 30_000;
const LOCK = "stockwarden-handheld-sync";

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function openDb() {
  const opening = indexedDB.open(DB_NAME, 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore(STORE, { keyPath: "key" });
  return request(opening);
}

/** A random UUID; crypto.randomUUID exists only in secure contexts (HTTPS, localhost),
 * crypto.getRandomValues everywhere. */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A count in words: what was counted against the book, and what becomes of the
 * difference (booked now; in a stocktake, when it is approved). Never the booked
 * difference as if it were the count. */
export function countWords(item, c) {
  const signed = c.difference > 0 ? `+${c.difference}` : String(c.difference).replace("-", "−");
  const p = { n: c.counted, item, lot: c.lot_number, bin: c.location, book: c.book, stocktake: c.stocktake, diff: signed };
  if (c.stocktake && (c.difference === null || c.difference === undefined)) {
    return t("Counted {n} of {item} lot {lot} in {bin} for stocktake {stocktake} (a blind count: the supervisor sees the difference)", p);
  }
  if (c.stocktake) {
    return c.difference === 0 ? t("Counted {n} of {item} lot {lot} in {bin}: matches the book ({book}), stocktake {stocktake}", p)
      : t("Counted {n} of {item} lot {lot} in {bin}: book {book}, difference {diff}; booked when stocktake {stocktake} is approved", p);
  }
  return c.difference === 0 ? t("Counted {n} of {item} lot {lot} in {bin}: matches the book ({book}), nothing booked", p)
    : t("Counted {n} of {item} lot {lot} in {bin}: book said {book}, {diff} booked", p);
}

const VERBS = { receive: t("Received"), dispatch: t("Dispatched"), transfer: t("Moved"), count: t("Counted"), return: t("Returned") };

/** What the hub booked, in words. */
export function bookingWords(answer) {
  const booking = answer && answer.booking;
  const scan = t("scan");
  if (!booking) return t("Recorded by the hub: {what}, nothing booked", { what: answer && answer.item ? answer.item : scan });
  const verb = VERBS[booking.kind] || booking.kind;
  if (booking.count) return countWords(booking.item, booking.count);
  if (!booking.lines.length) return t("{verb}: {item}, no difference to book", { verb, item: booking.item });
  const lines = booking.lines.map((l) => {
    const where = l.from_location && l.to_location ? `${l.from_location} → ${l.to_location}`
      : l.to_location ? `→ ${l.to_location}` : t("from {bin}", { bin: l.from_location });
    return t("{n} × lot {lot} {where}", { n: l.quantity, lot: l.lot_number, where });
  });
  return t("{verb} {item}: {lines}", { verb, item: booking.item, lines: lines.join("; ") });
}

export class ScanQueue extends EventTarget {
  constructor() {
    super();
    this.db = null;
    this.running = false;
    this.again = false;
    this.backoffMs = 0;
    this.timer = null;
    this.status = "";
  }

  async open() {
    this.db = await openDb();
    // A tab closed while sending left its entry "sending": it goes out again, same key.
    // Under the senders' lock, so that an entry another tab is sending is left alone.
    const reset = async () => {
      for (const entry of await this.all()) {
        if (entry.state === "sending") await this.put({ ...entry, state: "queued" });
      }
    };
    if (navigator.locks) await navigator.locks.request(LOCK, reset);
    else await reset();
    addEventListener("online", () => { this.backoffMs = 0; this.sync(); });
    addEventListener("offline", () => this.setStatus(t("offline: scans wait here")));
    setInterval(() => { if (!this.timer) this.sync(); }, TICK_MS);
    return this;
  }

  store(mode = "readonly") {
    return this.db.transaction(STORE, mode).objectStore(STORE);
  }

  async all() {
    const entries = await request(this.store().getAll());
    return entries.sort((a, b) => a.seq - b.seq);
  }

  async put(entry) {
    await request(this.store("readwrite").put(entry));
    this.dispatchEvent(new CustomEvent("change", { detail: entry }));
    return entry;
  }

  /** Store a scan to book. The key is made now, once: every resend carries it. */
  async add(body, { summary, provisional = false, note = "" }) {
    const me = session();
    return this.put({
      key: newKey(), seq: Date.now() + Math.random() / 2, at: new Date().toISOString(),
      user: me ? me.username : "", body, summary, provisional, note,
      state: "queued", attempts: 0, result: "", lastError: "",
    });
  }

  /** The operator has read a refusal: only then is it removed. */
  async dismiss(key) {
    await request(this.store("readwrite").delete(key));
    this.dispatchEvent(new CustomEvent("change", { detail: null }));
  }

  async prune() {
    const booked = (await this.all()).filter((e) => e.state === "booked");
    const store = this.store("readwrite");
    for (const entry of booked.slice(0, Math.max(0, booked.length - KEEP_BOOKED))) store.delete(entry.key);
  }

  setStatus(words) {
    this.status = words;
    this.dispatchEvent(new CustomEvent("status", { detail: words }));
  }

  retryLater(words) {
    this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(1000, this.backoffMs * 2));
    const wait = this.backoffMs * (0.8 + Math.random() * 0.4);
    this.setStatus(t("{reason}; trying again in {s} s", { reason: words, s: Math.round(wait / 1000) }));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = null; this.sync(); }, wait);
  }

  /** Send every queued scan of the logged-in user, oldest first; stop at the first
   * one that cannot get through, so the order of bookings is kept. */
  async sync() {
    if (this.running) { this.again = true; return; }
    this.running = true;
    clearTimeout(this.timer);
    this.timer = null;
    try {
      do {
        this.again = false;
        // One sender per browser, also with the page open in two tabs (where the
        // Web Locks API exists: secure contexts); each entry is re-read before sending.
        if (navigator.locks) await navigator.locks.request(LOCK, () => this.sendQueued());
        else await this.sendQueued();
      } while (this.again);
    } finally {
      this.running = false;
    }
  }

  async sendQueued() {
    const me = session();
    if (!me) return;
    const queued = (await this.all()).filter((e) => e.state === "queued" && e.user === me.username);
    for (const stale of queued) {
      const entry = await request(this.store().get(stale.key));
      if (!entry || entry.state !== "queued") continue;
      await this.put({ ...entry, state: "sending", attempts: entry.attempts + 1 });
      try {
        const answer = await api("/api/v1/scan", { method: "POST", body: entry.body, key: entry.key, on401: "throw" });
        await this.put({ ...entry, state: "booked", result: bookingWords(answer), replayed: answer.replayed, attempts: entry.attempts + 1 });
        this.backoffMs = 0;
      } catch (err) {
        const status = err instanceof ApiError ? err.status : 0;
        if (status >= 400 && status < 500 && ![401, 408, 429].includes(status)) {
          await this.put({ ...entry, state: "refused", result: err.message, code: err.code, attempts: entry.attempts + 1 });
          continue;
        }
        await this.put({ ...entry, state: "queued", lastError: err.message, attempts: entry.attempts + 1 });
        if (status === 401) {
          this.setStatus(t("log in again to send the queued scans"));
          this.dispatchEvent(new CustomEvent("login-needed"));
        } else {
          this.retryLater(status ? t("the hub answered {status}", { status }) : err.message);
        }
        return;
      }
    }
    this.setStatus(navigator.onLine ? t("online") : t("offline: scans wait here"));
    await this.prune();
  }
}
