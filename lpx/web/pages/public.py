"""The public transparency report with charts: no sign-in, counts only (the same service as
``GET /v1/transparency``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from lpx.services.transparency import Report, current_quarter
from lpx.web.charts import Chart, stacked_bars
from lpx.web.routing import ConsoleRoute, hub_of, optional_actor, render
from lpx.web.views import purpose_label

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
Period = Annotated[str | None, Query(pattern=r"^(19[7-9]\d|2\d{3})Q[1-4]$")]


def _grid(triples: list[tuple[str, str, int]], x_title: str, title: str,
          desc: str) -> Chart | None:  # fmt: skip
    """(x, series, count) rows as a stacked bar chart; None when there is nothing to draw."""
    if not triples:
        return None
    xs = sorted({x for x, _, _ in triples})
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for x, s, n in triples:
        counts[purpose_label(s)][x] = n
    series = {s: [counts[s].get(x, 0) for x in xs] for s in sorted(counts)}
    return stacked_bars(title, desc, x_title, [purpose_label(x) if "_" in x else x for x in xs],
                        series)  # fmt: skip


def charts(report: Report) -> list[Chart]:
    total = sum(n for *_, n in report.inquiries)
    made = [
        _grid(report.inquiries, "requesting state", f"Inquiries in {report.period} by "
              "requesting state and purpose", f"{total} search inquiries in {report.period}, "
              "one bar per requesting state, stacked by purpose."),
        _grid(report.outside, "kind of request", f"Requests from outside in {report.period}",
              "Outside requests (subpoenas, court orders, ...) by kind, stacked by outcome."),
        _grid([(j, "alerts", n) for j, n in report.alerts], "state of the flagged user",
              f"Enumeration alerts in {report.period}",
              "Users paused for search patterns that look like harvesting, by their state."),
    ]  # fmt: skip
    return [c for c in made if c is not None]


def _quarters(now: datetime, n: int = 6) -> list[str]:
    year, q = now.year, (now.month - 1) // 3 + 1
    out = []
    for _ in range(n):
        out.append(f"{year}Q{q}")
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    return out


@router.get("/transparency")
def transparency(request: Request, period: Period = None) -> Response:
    report = hub_of(request).safeguards.transparency.report(period or current_quarter())
    return render(request, "transparency.html", optional_actor(request), report=report,
                  total=sum(n for *_, n in report.inquiries), charts=charts(report),
                  quarters=_quarters(datetime.now(UTC)),
                  inquiries=[(j, purpose_label(p), n) for j, p, n in report.inquiries],
                  outside=[(purpose_label(k), purpose_label(o), n) for k, o, n in report.outside])
