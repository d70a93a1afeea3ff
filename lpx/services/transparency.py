"""The transparency report: counts for a calendar quarter, public, with no personal data.

Inquiries by purpose and requesting state, outside requests by kind and outcome, notices
delayed by gag orders (counted from the day they are held, so a delay shows up while it
lasts, as a number without details), and enumeration alerts by the flagged user's state.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from lpx.services.errors import InvalidRequest
from lpx.storage.safeguard_repositories import TransparencyRepository

_PERIOD = re.compile(r"(\d{4})Q([1-4])")


def quarter(period: str) -> tuple[datetime, datetime]:
    """``2026Q4`` -> [2026-10-01, 2027-01-01) in UTC."""
    m = _PERIOD.fullmatch(period.strip().upper())
    if m is None:
        raise InvalidRequest(f"period must look like 2026Q4, not {period[:20]!r}.")
    year, q = int(m.group(1)), int(m.group(2))
    start = datetime(year, 3 * q - 2, 1, tzinfo=UTC)
    end = (
        datetime(year + 1, 1, 1, tzinfo=UTC) if q == 4 else datetime(year, 3 * q + 1, 1, tzinfo=UTC)
    )
    return start, end


def current_quarter(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now.year}Q{(now.month - 1) // 3 + 1}"


@dataclass(frozen=True, slots=True)
class Report:
    period: str
    inquiries: list[tuple[str, str, int]]  # (requesting state, purpose, count)
    outside: list[tuple[str, str, int]]  # (kind, outcome, count)
    gagged_notices: int
    still_held: int
    alerts: list[tuple[str, int]]  # (state of the flagged user, count)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "inquiries": [{"jurisdiction": j, "purpose": p, "count": n}
                          for j, p, n in self.inquiries],
            "inquiries_total": sum(n for *_, n in self.inquiries),
            "outside_requests": [{"kind": k, "outcome": o, "count": n}
                                 for k, o, n in self.outside],
            "notices_delayed_by_gag_orders": self.gagged_notices,
            "notices_still_held": self.still_held,
            "enumeration_alerts": [{"jurisdiction": j, "count": n} for j, n in self.alerts],
        }  # fmt: skip

    def markdown(self) -> str:
        d = self.to_dict()
        lines = [f"# LPX transparency report {self.period}", "",
                 f"Inquiries: {d['inquiries_total']}", "",
                 "| requesting state | purpose | inquiries |", "|---|---|---|"]  # fmt: skip
        lines += [f"| {j} | {p} | {n} |" for j, p, n in self.inquiries]
        lines += ["", "| outside request kind | outcome | requests |", "|---|---|---|"]
        lines += [f"| {k} | {o} | {n} |" for k, o, n in self.outside]
        lines += ["", f"Notices delayed by gag orders: {self.gagged_notices} "
                      f"(still held: {self.still_held})", "",
                  "| state of flagged user | enumeration alerts |", "|---|---|"]  # fmt: skip
        lines += [f"| {j} | {n} |" for j, n in self.alerts]
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        def table(head: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
            th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
            body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r)
                           + "</tr>" for r in rows)  # fmt: skip
            return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"

        p = html.escape(self.period)
        total = sum(n for *_, n in self.inquiries)
        return (
            f"<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>LPX transparency report {p}</title></head><body>"
            f"<h1>LPX transparency report {p}</h1>"
            f"<h2>Inquiries ({total})</h2>"
            + table(("requesting state", "purpose", "inquiries"), self.inquiries)
            + "<h2>Requests from outside the participating states</h2>"
            + table(("kind", "outcome", "requests"), self.outside)
            + f"<p>Notices delayed by gag orders: {self.gagged_notices} "
            f"(still held: {self.still_held})</p>"
            + "<h2>Enumeration alerts</h2>"
            + table(("state of flagged user", "alerts"), self.alerts)
            + "</body></html>"
        )


class TransparencyService:
    """Public: no authorization, because nothing here identifies anyone."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def report(self, period: str) -> Report:
        start, end = quarter(period)
        with self._engine.connect() as conn:
            repo = TransparencyRepository(conn)
            gagged, held = repo.gagged_notices(start, end)
            return Report(
                period.strip().upper(),
                repo.inquiries(start, end),
                repo.outside(start, end),
                gagged,
                held,
                repo.alerts(start, end),
            )
