"""The zone report's chart as SVG, drawn by the hub for the reports page (`/reports`
shows it as an image: no chart library, nothing from a CDN). The same figures as the
PDF's chart (hub/reports/pdf.py): per point of `ZoneReport.chart` the min-max band and
the mean, the storage class's limits dashed, and the excursions of the period shaded.

Text goes in escaped, and the document holds no script and no link: opened on its own
it is a picture and nothing else."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.sax.saxutils import escape, quoteattr

from hub.reports.zone import ChartPoint, ZoneReport


@dataclass(frozen=True, slots=True)
class Frame:
    """A chart's size, margins and font: the report's, or the overview's small trend."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    font: int
    band: bool = False  # shade the allowed range between the limits (the trend's band)


REPORT = Frame(900, 300, 56, 16, 28, 36, 11)
# The overview's 24-hour trend per zone: small, big letters, the allowed band shaded.
TREND = Frame(360, 150, 34, 6, 20, 22, 13, band=True)
WIDTH, HEIGHT = REPORT.width, REPORT.height
ALLOWED = "#c7e9c0"
TITLES = {"temperature_c": ("Temperature", "°C"), "humidity_pct": ("Humidity", "%RH")}
BAND, MEAN, LIMIT, EXCURSION = "#9ecae1", "#17324d", "#e6550d", "#fcbba1"


def _when(point: ChartPoint) -> datetime:
    # The point's start: an hour of the hourly statistics.
    return point.hour


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = max(span / ticks, 1e-9)
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _time_step(span: timedelta) -> timedelta:
    """About six labels along the time axis, at a round interval."""
    for step in (timedelta(minutes=m) for m in (10, 15, 30, 60, 120, 180, 360, 720)):
        if span / step <= 7:
            return step
    days = max(1, math.ceil(span / timedelta(days=1) / 7))
    return timedelta(days=days)


def _text(x: float, y: float, words: str, *, anchor: str = "start", size: int = 11,
          colour: str = "#333") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{colour}" '
            f'text-anchor="{anchor}" font-family="sans-serif">{escape(words)}</text>')


def zone_chart_svg(report: ZoneReport, quantity: str = "temperature_c",
                   frame: Frame = REPORT) -> str:
    """The chart of one quantity over the report's period, as an SVG document."""
    WIDTH, HEIGHT, font = frame.width, frame.height, frame.font
    LEFT, RIGHT, TOP, BOTTOM = frame.left, frame.right, frame.top, frame.bottom
    name, unit = TITLES.get(quantity, (quantity, ""))
    points = sorted(report.chart.get(quantity) or [], key=_when)
    limit = report.limits.get(quantity)
    bounds = [b for b in ((limit.low, limit.high) if limit else ()) if b is not None]
    title = (f"{report.zone_name} ({report.zone}): {name} {unit}, min-max band and mean; "
             "limits dashed, excursions shaded")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label={quoteattr(title)}>',
             f"<title>{escape(title)}</title>",
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>']
    if not points:
        parts.append(_text(WIDTH / 2, HEIGHT / 2, f"No {name.lower()} readings in the period",
                           anchor="middle", size=font + 3))
        return "".join(parts) + "</svg>"
    values = [v for p in points for v in (p.min, p.max)] + bounds
    low, high = min(values), max(values)
    pad = max(0.5, (high - low) * 0.1)
    step = _nice_step(high - low + 2 * pad)
    y_min, y_max = math.floor((low - pad) / step) * step, math.ceil((high + pad) / step) * step
    start, end = report.start, report.end
    span_s = max((end - start).total_seconds(), 1.0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(at: datetime) -> float:
        seconds = min(max((at - start).total_seconds(), 0.0), span_s)
        return LEFT + plot_w * seconds / span_s

    def y(value: float) -> float:
        return TOP + plot_h * (y_max - value) / (y_max - y_min)

    parts.append(_text(LEFT, TOP - 8, f"{name} ({unit}), UTC", size=font + 1, colour="#17324d"))
    if frame.band and limit is not None:  # the allowed range, shaded: it moves with the limits
        top_y = y(limit.high) if limit.high is not None else TOP
        bottom_y = y(limit.low) if limit.low is not None else HEIGHT - BOTTOM
        parts.append(f'<rect class="allowed" x="{LEFT}" y="{top_y:.1f}" width="{plot_w}" '
                     f'height="{max(bottom_y - top_y, 0):.1f}" fill="{ALLOWED}" '
                     f'fill-opacity="0.6"/>')
    tick = y_min
    while tick <= y_max + step / 2:
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" '
                     f'y2="{y(tick):.1f}" stroke="#eee"/>')
        parts.append(_text(LEFT - 6, y(tick) + 4, f"{tick:g}", anchor="end", size=font))
        tick += step
    every = _time_step(end - start)
    at = datetime.fromtimestamp(math.ceil(start.timestamp() / every.total_seconds())
                                * every.total_seconds(), tz=start.tzinfo)
    label = "%m-%d" if every >= timedelta(days=1) else "%H:%M" if frame.band else "%m-%d %H:%M"
    while at <= end:
        parts.append(f'<line x1="{x(at):.1f}" x2="{x(at):.1f}" y1="{TOP}" '
                     f'y2="{HEIGHT - BOTTOM}" stroke="#f2f2f2"/>')
        parts.append(_text(x(at), HEIGHT - BOTTOM + font + 5, at.strftime(label),
                           anchor="middle", size=font))
        at += every
    for excursion in report.excursions:
        if excursion.quantity == quantity:
            left, right = x(excursion.start), x(excursion.end or end)
            parts.append(f'<rect x="{left:.1f}" y="{TOP}" width="{max(right - left, 1):.1f}" '
                         f'height="{plot_h}" fill="{EXCURSION}" fill-opacity="0.6">'
                         f"<title>excursion {escape(excursion.side)} the limit, "
                         f"peak {excursion.peak:g}</title></rect>")
    band = [f"{x(_when(p)):.1f},{y(p.max):.1f}" for p in points]
    band += [f"{x(_when(p)):.1f},{y(p.min):.1f}" for p in reversed(points)]
    parts.append(f'<polygon points="{" ".join(band)}" fill="{BAND}" fill-opacity="0.7" '
                 f'stroke="{BAND}"/>')
    mean = " ".join(f"{x(_when(p)):.1f},{y(p.mean):.1f}" for p in points)
    parts.append(f'<polyline points="{mean}" fill="none" stroke="{MEAN}" stroke-width="1.5"/>')
    if len(points) == 1:  # one point draws no line: a dot
        only = points[0]
        parts.append(f'<circle cx="{x(_when(only)):.1f}" cy="{y(only.mean):.1f}" r="3" '
                     f'fill="{MEAN}"/>')
    for bound in bounds:
        parts.append(f'<line class="limit" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(bound):.1f}" '
                     f'y2="{y(bound):.1f}" stroke="{LIMIT}" stroke-width="1.5" '
                     f'stroke-dasharray="6 4"/>')
        parts.append(_text(WIDTH - RIGHT - 4, y(bound) - 4, f"limit {bound:g} {unit}",
                           anchor="end", colour=LIMIT, size=font))
    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" '
                 'fill="none" stroke="#999"/>')
    return "".join(parts) + "</svg>"
