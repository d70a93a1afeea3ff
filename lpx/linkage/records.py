"""Reading license files into match profiles, exactly as the hub would profile them.

One ``MatchProfile`` object per record: what ``lpx model train`` feeds to
:func:`lpx.domain.training.train_model`, and the reference the columnar batch reader
(:mod:`lpx.linkage.columns`) is tested against.

Rows are read with the state side's streaming readers (:mod:`lpx.client.files`) and turned
into :class:`~lpx.domain.profile.MatchProfile` through :class:`~lpx.domain.records.Identity`,
the same path a loaded pointer takes. Unlike ``lpx load`` this is lenient: a row the hub
would reject (say, an empty name) is still profiled, because offline dedupe measures linkage
on the data as it is rather than policing it.

A missing or unparseable date of birth is kept and *marked* (``dob_missing``): the profile
gets ``dob=None``, which compares as ``null`` (no evidence either way) and takes part in
no DOB blocking rule. The state side still needs a date to derive a decoy SSN token, so
the identity it sees carries a per-record sentinel date that no real date is near.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lpx.client.files import read_rows
from lpx.client.keys import NetworkKeys
from lpx.client.ssn import has_ssn, ssn_tokens_for
from lpx.domain.profile import MatchProfile
from lpx.domain.records import Identity, Sex

_SEXES = {"F": Sex.FEMALE, "M": Sex.MALE, "X": Sex.UNSPECIFIED}


def sentinel_dob(index: int) -> date:
    """A stand-in birth date for record ``index`` that compares as ``else`` with real dates."""
    return date(10 + index % 89, 1 + index % 12, 1 + index % 28)  # repeats every 7476


def parse_dob(text: str) -> date | None:
    value = text.strip()
    if len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def keyed_digits(text: str) -> int:
    """yyyymmdd of a date written YYYY-MM-DD that the calendar lacks (1945-04-93), or -1.

    A clerk who keys 1945-04-93 for 1945-04-03, or 1945-13-04 for 13 April into a
    month-first form, made the slip the ``one_digit`` and ``day_month_swapped`` levels
    model; dropping the date would throw that evidence away. The array engine compares
    such digits like any date (:func:`lpx.domain.vectorized._dob_levels` reads yyyymmdd
    integers). A month or day of ``00`` is a placeholder for "unknown", not a slip, so it
    stays unknown: two records sharing ``1980-00-00`` must not agree on a birth date.
    The hub refuses such dates (a pointer's DOB is a date), so only offline files have them.
    """
    value = text.strip()
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return -1
    digits = value[:4] + value[5:7] + value[8:]
    if not (digits.isascii() and digits.isdigit()) or "00" in (digits[4:6], digits[6:]):
        return -1
    return int(digits) if parse_dob(value) is None else -1


@dataclass(slots=True)
class RecordTable:
    """Every record of a run, by index: where it came from and its profile."""

    files: list[str] = field(default_factory=list)  # input file names, by source index
    source: list[int] = field(default_factory=list)
    record_ids: list[str] = field(default_factory=list)
    profiles: list[MatchProfile] = field(default_factory=list)
    dob_missing: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.profiles)


def profile_row(
    row: dict[str, str], record: str, index: int, keys: NetworkKeys, decoys: bool
) -> tuple[MatchProfile, bool]:
    """The row's match profile and whether its birth date was missing or unreadable.

    ``record`` ("CA.csv/D123") seeds the decoy of a record without SSN, as the loader's
    ``jurisdiction/record_id`` does, so decoys behave as they would on the hub.
    """
    first = row.get("first_name", "").strip()
    last = row.get("last_name", "").strip()
    aka = tuple(a.strip() for a in row.get("aka_names", "").split(";") if a.strip())
    parsed = parse_dob(row.get("dob", ""))
    dob = parsed or sentinel_dob(index)
    ssn5 = row.get("ssn_last5", "").strip()
    if not (len(ssn5) == 5 and ssn5.isascii() and ssn5.isdigit()):
        ssn5 = ""
    tokens = None
    if has_ssn(ssn5) or decoys:
        tokens = ssn_tokens_for(ssn5 or None, first, last, dob, keys,
                                aka_names=aka, record=record)  # fmt: skip
    identity = Identity(
        first_name=first,
        last_name=last,
        dob=dob,
        middle_name=row.get("middle_name", "").strip(),
        suffix=row.get("suffix", "").strip(),
        sex=_SEXES.get(row.get("sex", "").strip().upper()),
        aka_names=aka,
        ssn=tokens,
    )
    return MatchProfile.of(identity, dob_known=parsed is not None), parsed is None


def read_records(
    files: Iterable[Path],
    keys: NetworkKeys | None = None,
    *,
    decoys: bool = True,
    progress: Callable[[int], None] | None = None,
) -> RecordTable:
    """Profile every row of ``files`` (CSV, Parquet or NDJSON in the state file layout).

    ``keys`` defaults to fresh random network keys: tokens only need to agree within one run.
    """
    keys = keys or NetworkKeys.generate()
    table = RecordTable()
    for source, path in enumerate(files):
        table.files.append(path.name)
        for _line, row in read_rows(path):
            record_id = row.get("record_id", "").strip()
            profile, missing = profile_row(
                row, f"{path.name}/{record_id}", len(table), keys, decoys
            )
            table.source.append(source)
            table.record_ids.append(record_id)
            table.profiles.append(profile)
            table.dob_missing.append(missing)
            if progress is not None and len(table) % 10_000 == 0:
                progress(len(table))
    if progress is not None:
        progress(len(table))
    return table
