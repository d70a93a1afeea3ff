"""Requests from outside the participating states (subpoenas, court orders, agency
requests): what a valid scope is, and when a notice goes out and a release may happen.

Pure rules. A scope names individuals, each by name and birth date; anything that reads as
a class of people (wildcards, "all holders ...", ranges) is refused, because the hub answers
questions about a person, never lists. A state whose records are in scope is notified and
may object for ``window``; under a non-disclosure (gag) order the notice is held and goes
out on the day the order ends. Nothing is released before every notice has gone out, its
objection window has closed, and every objection was overruled by a recorded basis.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from lpx.domain.errors import FieldError, ValidationFailed


class Kind(StrEnum):
    SUBPOENA = "subpoena"
    COURT_ORDER = "court_order"
    WARRANT = "warrant"
    AGENCY_REQUEST = "agency_request"


class Outcome(StrEnum):
    PENDING = "pending"
    RELEASED = "released"
    DENIED = "denied"


class DecisionRefused(Exception):
    """A decision the rules do not allow yet (or any more); the message says why."""


MIN_LETTERS = 2
OLDEST_DOB = date(1900, 1, 1)
_WILDCARD = re.compile(r"[*%?_#\[\]{}<>|\\/=~^$@&]|\.\.|\s-\s|\bto\b|\bthrough\b", re.I)
# Words that describe people instead of naming one. Matched as whole words.
_CLASS_WORDS = frozenset({
    "all", "any", "every", "everyone", "anyone", "anybody", "each", "holders", "holder",
    "without", "with", "none", "null", "unknown", "people", "persons", "residents",
    "immigrants", "undocumented", "applicants", "licensees", "drivers", "ssn", "ab60",
    "noncitizens", "aliens", "born", "between", "range", "list", "matching", "like",
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Individual:
    first_name: str
    last_name: str
    dob: date
    pointer_ids: tuple[str, ...] = ()


def _name_errors(i: int, field: str, value: str) -> list[FieldError]:
    where = f"individuals[{i}].{field}"
    words = {w.lower() for w in re.findall(r"[^\W\d_]+|\d+", value)}
    if _WILDCARD.search(value):
        return [FieldError(where, "holds a wildcard or range: name one person")]
    if words & _CLASS_WORDS:
        return [FieldError(where, "describes a class of people: name one person")]
    if sum(ch.isalpha() for ch in value) < MIN_LETTERS:
        return [FieldError(where, f"needs at least {MIN_LETTERS} letters")]
    return []


def validate_scope(individuals: Sequence[Individual], max_individuals: int, today: date) -> None:
    """Raise ValidationFailed unless the scope names specific, distinct people."""
    errors: list[FieldError] = []
    if not individuals:
        errors.append(FieldError("individuals", "must name at least one person"))
    if len(individuals) > max_individuals:
        errors.append(FieldError("individuals", f"may name at most {max_individuals} people; "
                                 "a longer list is a bulk search"))  # fmt: skip
    seen: set[tuple[str, str, date]] = set()
    for i, person in enumerate(individuals):
        errors += _name_errors(i, "first_name", person.first_name)
        errors += _name_errors(i, "last_name", person.last_name)
        if not OLDEST_DOB <= person.dob <= today:
            errors.append(FieldError(f"individuals[{i}].dob", "is not a plausible birth date"))
        key = (person.first_name.casefold(), person.last_name.casefold(), person.dob)
        if key in seen:
            errors.append(FieldError(f"individuals[{i}]", "repeats a person"))
        seen.add(key)
    if errors:
        raise ValidationFailed(errors)


def validate_request(requester: str, legal_basis: str, gag_until: date | None,
                     today: date) -> None:  # fmt: skip
    errors: list[FieldError] = []
    if len(requester.strip()) < 3:
        errors.append(FieldError("requester", "must name who asks"))
    if len(legal_basis.strip()) < 3:
        errors.append(FieldError("legal_basis", "must cite the legal basis"))
    if gag_until is not None and gag_until < today:
        errors.append(FieldError("gag_until", "is in the past"))
    if errors:
        raise ValidationFailed(errors)


@dataclass(frozen=True, slots=True)
class Notice:
    """The notice to one state: held (gag) or sent, its deadline and any objection."""

    jurisdiction: str
    held_until: date | None
    sent_at: datetime | None
    deadline: datetime | None
    objection: str | None = None


def first_notice(jurisdiction: str, gag_until: date | None, now: datetime,
                 window: timedelta) -> Notice:  # fmt: skip
    """Sent now, or held until the gag order's end date (sent that day, see ``due``)."""
    if gag_until is not None and gag_until > now.date():
        return Notice(jurisdiction, gag_until, None, None)
    return Notice(jurisdiction, gag_until, now, now + window)


def due(notice: Notice, today: date) -> bool:
    """A held notice goes out on the day its gag order ends."""
    return notice.sent_at is None and notice.held_until is not None and notice.held_until <= today


def check_objection(notice: Notice | None, outcome: Outcome, now: datetime) -> None:
    if notice is None or notice.sent_at is None:
        raise DecisionRefused("Your state has no notice of this request.")
    if outcome is not Outcome.PENDING:
        raise DecisionRefused(f"This request was already decided ({outcome.value}).")
    if notice.deadline is not None and now >= notice.deadline:
        raise DecisionRefused("The objection window closed.")


def check_decision(outcome: Outcome, decision: Outcome, notices: Sequence[Notice],
                   overruled: Sequence[str], now: datetime) -> None:  # fmt: skip
    """Raise DecisionRefused unless ``decision`` may be recorded now.

    Denial is always possible while pending. Release needs every notice sent, every window
    closed, and every objecting state named in ``overruled`` (with the decision's basis).
    """
    if outcome is not Outcome.PENDING:
        raise DecisionRefused(f"This request was already decided ({outcome.value}).")
    if decision is Outcome.PENDING:
        raise DecisionRefused("A decision releases or denies.")
    if decision is Outcome.DENIED:
        return
    held = [n.jurisdiction for n in notices if n.sent_at is None]
    if held:
        raise DecisionRefused(f"Notices to {', '.join(held)} are held by a non-disclosure "
                              "order; nothing is released before they went out and the "
                              "states could object.")  # fmt: skip
    open_ = [n.jurisdiction for n in notices if n.deadline is not None and now < n.deadline]
    if open_:
        raise DecisionRefused(f"The objection window of {', '.join(open_)} is still open.")
    standing = [n.jurisdiction for n in notices
                if n.objection is not None and n.jurisdiction not in overruled]  # fmt: skip
    if standing:
        raise DecisionRefused(
            f"{', '.join(standing)} objected; release only if the "
            "objection was overruled (name the state in 'overrule')."
        )
