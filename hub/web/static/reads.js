// One read per label: a scanner that reads a label twice types it twice, the second
// read starting a few ms after the first one's Enter; a person scanning the same label
// again takes far longer. The same text starting within `windowMs` of the last read's
// Enter is the same read (docs/web.md, "Read twice"). Times are the keys' own time
// stamps (KeyboardEvent.timeStamp), not when the page got round to them.

export const DOUBLE_READ_MS = 100;

export class ReadWatch {
  constructor(windowMs = DOUBLE_READ_MS) {
    this.windowMs = windowMs;
    this.startedAt = null; // the first key of the read being typed
    this.lastRaw = null;
    this.lastEndedAt = -Infinity;
  }

  /** A key other than Enter, typed into a field holding `before`. */
  key(timeStamp, key, before) {
    if (before === "" && key.length === 1) this.startedAt = timeStamp;
  }

  /** Enter ended the read `raw`: true when it is the last one again. A read whose keys
   * were not seen (text inserted at once) starts at its Enter. */
  enter(timeStamp, raw) {
    const startedAt = this.startedAt ?? timeStamp;
    this.startedAt = null;
    // A gap below zero (a read starting before the last one ended) is no scanner's: time
    // stamps out of order (a clock stepped back between them) say nothing about a double read.
    const gap = startedAt - this.lastEndedAt;
    const twice = Boolean(raw.trim()) && raw === this.lastRaw && gap >= 0 && gap < this.windowMs;
    this.lastRaw = raw;
    this.lastEndedAt = timeStamp;
    return twice;
  }
}
