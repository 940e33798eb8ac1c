// The overview's 24-hour trend per zone: the hub draws it as SVG (the zone report's
// chart, small, the allowed band between the limits shaded: GET
// /api/v1/reports/zones/{code}?format=svg&chart=trend), shown as an image that opens
// the zone's report on /reports. The image is kept between the tile's redraws and
// fetched again only when the zone's limits change or every few minutes.
import { el } from "./monitor.js";
import { t } from "./i18n.js";

const REDRAW_MS = 5 * 60 * 1000;
const kept = new Map();  // zone code -> { key, link }

function limitsKey(limits) {
  return ["temp_min_c", "temp_max_c", "humidity_min_pct", "humidity_max_pct"]
    .map((name) => limits[name] ?? "").join("_");
}

/** The trend of `zone` (quantity: temperature, else humidity when it has only that). */
export function trend(zone, limits, quantity = "temperature_c") {
  const key = `${limitsKey(limits)}-${quantity}-${Math.floor(Date.now() / REDRAW_MS)}`;
  const had = kept.get(zone.code);
  if (had && had.key === key) return had.link;
  const end = new Date();
  const start = new Date(end.getTime() - 24 * 3600 * 1000);
  const query = new URLSearchParams({
    format: "svg", chart: "trend", quantity, start: start.toISOString(), end: end.toISOString(), limits: limitsKey(limits),
  });
  const img = el("img", {
    className: "trend", alt: t("{zone}: last 24 hours with its limits", { zone: zone.name }), loading: "lazy", width: 360, height: 150,
    src: `/api/v1/reports/zones/${encodeURIComponent(zone.code)}?${query}`,
  });
  const link = el("a", { className: "trend-link", href: `/reports?zone=${encodeURIComponent(zone.code)}`, title: t("Open the zone's report") }, img);
  link.dataset.limits = limitsKey(limits);
  kept.set(zone.code, { key, link });
  return link;
}
