"""The results page of the console (admins only).

``GET /console/admin/results?start=YYYY-MM-DD&end=YYYY-MM-DD&window=N`` — per cadence
step, template, script revision and variant: sent, delivered, replied, right-party
contact, promised, kept, paid, plans, opted out, handed off (:func:`runner.results.results`),
bar charts of the main rates (inline SVG, no script), and each variant against ``A``
with the confidence interval of the difference.
``GET /console/admin/results.csv`` — the same rows as CSV (same parameters).

``start`` and ``end`` are UTC calendar days, both included (default: the last 30 days up
to today); ``window`` is the attribution window in days (default 7). Wrong parameters
answer 400 with the reason. Mount with ``routes(console)``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.stats import wilson
from runner.results import METRIC_LABELS, ResultRow, VariantDiff, results, results_csv, variant_comparison

__all__ = ["routes", "Period", "parse_period", "chart", "DEFAULT_DAYS", "MAX_DAYS", "DEFAULT_WINDOW",
           "MAX_WINDOW"]

DEFAULT_DAYS = 30
MAX_DAYS = 366
DEFAULT_WINDOW = 7
MAX_WINDOW = 90
#: the rates drawn as charts
CHARTED = ("replied", "promised", "paid")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Period:
    """UTC days ``start`` .. ``end`` (both included) and the attribution window."""

    start: dt.date
    end: dt.date
    window: int

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(0), dt.timezone.utc)

    @property
    def end_at(self) -> dt.datetime:
        """The first instant after the period (exclusive)."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(0), dt.timezone.utc)

    def query(self) -> str:
        return urlencode({"start": self.start.isoformat(), "end": self.end.isoformat(), "window": self.window})


def parse_period(params: Mapping[str, str], today: dt.date) -> Period:
    """The period asked for by ``params`` (``start``, ``end``, ``window``); missing or
    empty values take the defaults. Raises ``ValueError`` with a message for a person."""
    def day(name: str) -> dt.date | None:
        raw = (params.get(name) or "").strip()
        if not raw:
            return None
        if not _DATE.fullmatch(raw):
            raise ValueError(f"{name} must be a date like 2026-11-30")
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"{name} is not a real date: {raw}") from None

    end = day("end") or today
    start = day("start") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValueError("start must not be after end")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValueError(f"choose at most {MAX_DAYS} days")
    raw = (params.get("window") or "").strip()
    if not raw:
        window = DEFAULT_WINDOW
    elif not raw.isdigit() or not 1 <= int(raw) <= MAX_WINDOW:
        raise ValueError(f"window must be a whole number of days from 1 to {MAX_WINDOW}")
    else:
        window = int(raw)
    return Period(start, end, window)


def label(row: ResultRow | VariantDiff, *, variant: bool = True) -> str:
    """``day1 · cadence_first · r3 · A``."""
    parts = [row.step or "(no step)", row.template, f"r{row.revision}" if row.revision is not None else "r?"]
    if variant:
        parts.append(row.variant)
    return " · ".join(parts)


def _scale(top: float) -> float:
    for v in (0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0):
        if top <= v:
            return v
    return 1.0


def _pct(v: float) -> str:
    """``0.3`` → ``30%``, ``0.025`` → ``2.5%``."""
    return f"{v:.0%}" if round(v * 100, 6).is_integer() else f"{v:.1%}"


def chart(rows: Sequence[ResultRow], metric: str) -> dict[str, Any] | None:
    """Geometry of a horizontal bar chart of ``metric``'s rate per group (groups that
    sent something), each bar with its 95% Wilson interval as a whisker. ``None`` when
    no group sent anything. The template draws it as inline SVG."""
    shown = [r for r in rows if r.sent]
    if not shown:
        return None
    label_w, bar_w, text_w, row_h, top_pad = 300, 380, 150, 24, 22
    ivs = [wilson(getattr(r, metric), r.sent) for r in shown]
    scale = _scale(max(iv.upper for iv in ivs))
    bars = []
    for i, (r, iv) in enumerate(zip(shown, ivs)):
        y = top_pad + i * row_h
        name = label(r)
        bars.append({
            "label": name if len(name) <= 44 else name[:43] + "…",
            "title": f"{label(r)}: {getattr(r, metric)} of {r.sent} ({iv.estimate:.1%}; 95% CI {iv.lower:.1%}–{iv.upper:.1%})",
            "y": y, "mid": y + row_h / 2,
            "w": round(bar_w * iv.estimate / scale, 1),
            "lo": round(label_w + bar_w * iv.lower / scale, 1),
            "hi": round(label_w + bar_w * min(iv.upper, scale) / scale, 1),
            "text": f"{iv.estimate:.1%} ({getattr(r, metric)}/{r.sent})",
        })
    ticks = [{"x": round(label_w + bar_w * f, 1), "text": _pct(scale * f)} for f in (0, 0.5, 1)]
    return {"metric": metric, "title": f"{METRIC_LABELS[metric].capitalize()} rate", "bars": bars,
            "ticks": ticks, "label_w": label_w, "bar_w": bar_w, "row_h": row_h - 6,
            "width": label_w + bar_w + text_w, "height": top_pad + len(shown) * row_h + 4}


def _load(console: Any, period: Period) -> list[ResultRow]:
    with console.services.sessions() as s:
        return results(s, period.start_at, period.end_at, attribution_days=period.window)


def routes(console: Any) -> list[Route]:
    """The results page and its CSV, behind ``console.guard(..., admin=True)``."""

    async def page(request: Request, user: Any) -> Response:
        today = console.now().astimezone(dt.timezone.utc).date()
        try:
            period = parse_period(request.query_params, today)
        except ValueError as exc:
            fallback = parse_period({}, today)
            return console.render("admin_results.html", request, status=400, user=user, error=str(exc),
                                  period=fallback, form=dict(request.query_params), rows=[], diffs=[],
                                  charts=[], labels=METRIC_LABELS, csv_url=None, label=label)
        rows = await run_in_threadpool(_load, console, period)
        diffs = variant_comparison(rows)
        charts = [c for c in (chart(rows, m) for m in CHARTED) if c is not None]
        return console.render("admin_results.html", request, user=user, error=None, period=period,
                              form={"start": period.start.isoformat(), "end": period.end.isoformat(),
                                    "window": str(period.window)},
                              rows=rows, diffs=diffs, charts=charts, labels=METRIC_LABELS,
                              csv_url="/console/admin/results.csv?" + period.query(), label=label)

    async def download(request: Request, user: Any) -> Response:
        today = console.now().astimezone(dt.timezone.utc).date()
        try:
            period = parse_period(request.query_params, today)
        except ValueError as exc:
            return PlainTextResponse(f"{exc}\n", status_code=400)
        rows = await run_in_threadpool(_load, console, period)
        name = f"duly-results-{period.start.isoformat()}-to-{period.end.isoformat()}.csv"
        return Response(results_csv(rows), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    g = console.guard
    return [
        Route("/console/admin/results", g(page, admin=True), methods=["GET"]),
        Route("/console/admin/results.csv", g(download, admin=True), methods=["GET"]),
    ]
