"""The loader: whole batches or nothing, bad rows by file line, reruns change nothing.

Most tests load into the real hub app (``hub_client``, SQLite and PostgreSQL). A few use a
tiny in-test hub stand-in, only to pin the loader's own batching and index-to-line mapping in
cases the real hub cannot be made to produce on demand.
"""

from __future__ import annotations

import csv
import importlib
import json
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from lpx.client.files import COLUMNS
from lpx.client.hub import BatchResult, HubClient, HubError
from lpx.client.keys import NetworkKeys
from lpx.client.loader import LoadAborted, load_file
from lpx.client.rows import RowError
from lpx.domain.records import SsnTokens

try:
    importlib.import_module("lpx.api.app")
    HUB_MISSING = ""
except ImportError as exc:  # the hub is built in parallel; its absence is not a loader bug
    HUB_MISSING = f"lpx.api.app is not importable yet: {exc}"
needs_hub = pytest.mark.skipif(bool(HUB_MISSING), reason=HUB_MISSING)

KEYS = NetworkKeys.generate()
FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Esperanza", "Fatima", "George", "Hiroshi"]
LAST = ["García López", "O'Neil", "Nguyen", "Smith", "De la Cruz", "Kowalski", "Okafor"]


def person(i: int) -> dict[str, str]:
    """A distinct, valid row; every third has no SSN (sent as a decoy)."""
    return {
        "record_id": f"CA-{i:05d}",
        "card_type": ["DL", "ID", "CDL", "permit"][i % 4],
        "real_id": ["true", "N", "1"][i % 3],
        "first_name": FIRST[i % len(FIRST)],
        "middle_name": "" if i % 2 else "Lee",
        "last_name": f"{LAST[i % len(LAST)]}{'' if i < len(LAST) else i}",
        "suffix": "JR" if i % 11 == 0 else "",
        "aka_names": "Nick;Nicky" if i % 5 == 0 else "",
        "dob": date(1950 + i % 50, 1 + i % 12, 1 + i % 28).isoformat(),
        "sex": ["F", "M", "X", ""][i % 4],
        "ssn_last5": "" if i % 3 == 0 else f"{(i * 7919) % 99999:05d}",
        "issue_date": "2021-06-01",
        "expiry_date": "2029-06-01",
        "status": "active",
    }


def people(n: int) -> list[dict[str, str]]:
    return [person(i) for i in range(n)]


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write ``rows`` in the format named by the extension: CSV, NDJSON or Parquet."""
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    elif path.suffix == ".ndjson":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    else:
        pq.write_table(pa.table({c: [r[c] for r in rows] for c in COLUMNS}), path)
    return path


def line_of(index: int) -> int:
    """CSV line of the row at ``index`` (header on line 1, one line per row here)."""
    return index + 2


# --- the loader's own logic, against an in-test stand-in --------------------------------------


class RecordingHub:
    """Accepts every batch and remembers it; may refuse chosen batches like the hub does."""

    def __init__(self, refuse: Mapping[int, HubError] | None = None) -> None:
        self.batches: list[list[str]] = []
        self.refuse = dict(refuse or {})
        self.calls = 0

    def upsert_batch(self, pointers: Sequence[Mapping[str, Any]]) -> BatchResult:
        self.calls += 1
        if self.calls in self.refuse:
            raise self.refuse[self.calls]
        self.batches.append([p["record_id"] for p in pointers])
        return BatchResult(added=len(pointers), updated=0, unchanged=0)


def test_batches_are_consecutive_rows_and_progress_follows(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", people(7))
    hub = RecordingHub()
    seen: list[int] = []
    report = load_file(path, hub, KEYS, batch_size=3, progress=seen.append)
    assert [len(b) for b in hub.batches] == [3, 3, 1]
    assert seen == [3, 6, 7]
    assert (report.rows_read, report.added, report.batches_sent) == (7, 7, 3)
    assert report.ok


def test_hub_item_index_maps_to_the_file_line_past_skipped_rows(tmp_path: Path) -> None:
    rows = people(6)
    rows[3]["dob"] = "someday"  # batch 2 holds rows 3, 4, 5; row 3 is skipped locally
    path = write(tmp_path / "f.csv", rows)
    refusal = HubError(
        422, "Batch rejected", "1 item", [{"index": 1, "field": "x", "message": "m"}]
    )
    hub = RecordingHub(refuse={2: refusal})
    report = load_file(path, hub, KEYS, batch_size=3, skip_bad_rows=True)
    # The hub's item 1 of the sent [row 4, row 5] is row 5, on line 7.
    assert report.rejected[0].line == line_of(3)
    assert report.rejected[1] == RowError(line_of(5), "x", "m")
    # Row 5 is rejected, row 4 held back with it: every row read is counted once.
    assert (report.batches_sent, report.batches_rejected, report.rows_held_back) == (1, 1, 1)
    assert (report.rejected_rows, dict(report.rejected_reasons)) == (2, {"dob": 1, "x": 1})
    assert report.rows_read == report.rows_written + report.rejected_rows + report.rows_held_back


def test_refusal_without_item_detail_is_charged_to_the_batch(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", people(4))
    hub = RecordingHub(refuse={2: HubError(422, "Batch rejected", "too many")})
    report = load_file(path, hub, KEYS, batch_size=2)
    assert report.rejected == [RowError(line_of(2), "batch", "too many")]


def test_fatal_hub_error_stops_with_the_report_so_far(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", people(6))
    hub = RecordingHub(refuse={2: HubError(503, "Unavailable", "down")})
    with pytest.raises(LoadAborted, match="503") as caught:
        load_file(path, hub, KEYS, batch_size=2)
    assert caught.value.report.added == 2
    assert caught.value.report.batches_sent == 1
    assert isinstance(caught.value.__cause__, HubError)


def test_unreadable_file_aborts(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("record_id,first_name\nA,B\n", encoding="utf-8")
    with pytest.raises(LoadAborted, match="missing column"):
        load_file(path, RecordingHub(), KEYS)


def test_batch_size_is_bounded_by_the_hub_limit(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", people(1))
    for size in (0, 1001):
        with pytest.raises(ValueError, match="batch_size"):
            load_file(path, RecordingHub(), KEYS, batch_size=size)


# --- against the real hub ---------------------------------------------------------------------


@pytest.fixture
def ca(hub_client: Any, credentials: dict[str, str]) -> HubClient:
    return HubClient(hub_client, credentials["CA"], "loader-test")


def own_record_ids(hub_client: Any, key: str) -> set[str]:
    headers = {"Authorization": f"Bearer {key}", "X-LPX-User": "loader-test"}
    found: set[str] = set()
    after = ""
    while True:
        page = hub_client.get(
            "/v1/pointers", params={"after": after, "limit": 500}, headers=headers
        )
        assert page.status_code == 200, page.text
        body = page.json()
        found |= {item["record_id"] for item in body["items"]}
        if not body["next_cursor"]:
            return found
        after = body["next_cursor"]


@needs_hub
def test_good_file_loads_and_rerun_changes_nothing(
    tmp_path: Path, ca: HubClient, hub_client: Any, credentials: dict[str, str]
) -> None:
    rows = people(25)
    path = write(tmp_path / "f.csv", rows)
    first = load_file(path, ca, KEYS, batch_size=10, jurisdiction="CA")
    assert (first.rows_read, first.added, first.updated, first.unchanged) == (25, 25, 0, 0)
    assert (first.batches_sent, first.batches_rejected, first.rejected) == (3, 0, [])
    assert own_record_ids(hub_client, credentials["CA"]) == {r["record_id"] for r in rows}

    again = load_file(path, ca, KEYS, batch_size=10, jurisdiction="CA")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 25)

    rows[4]["status"] = "surrendered"
    changed = load_file(write(path, rows), ca, KEYS, batch_size=10, jurisdiction="CA")
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 24)


@needs_hub
def test_bad_row_in_batch_two_holds_back_only_batch_two(
    tmp_path: Path, ca: HubClient, hub_client: Any, credentials: dict[str, str]
) -> None:
    rows = people(25)
    rows[14]["dob"] = "1990-02-30"
    path = write(tmp_path / "f.csv", rows)
    report = load_file(path, ca, KEYS, batch_size=10)
    assert report.rejected == [RowError(line_of(14), "dob", "is not a real date: '1990-02-30'")]
    assert (report.batches_sent, report.batches_rejected) == (2, 1)
    assert (report.added, report.rows_held_back) == (15, 9)
    loaded = own_record_ids(hub_client, credentials["CA"])
    assert loaded == {r["record_id"] for i, r in enumerate(rows) if not 10 <= i < 20}


@needs_hub
def test_hub_side_rejection_is_reported_at_the_right_line(
    tmp_path: Path, ca: HubClient, hub_client: Any, credentials: dict[str, str]
) -> None:
    rows = people(25)
    rows[17]["suffix"] = "S" * 40  # the hub's suffix limit is tighter than the shared rule
    path = write(tmp_path / "f.csv", rows)
    report = load_file(path, ca, KEYS, batch_size=10)
    assert [(e.line, e.field) for e in report.rejected] == [(line_of(17), "suffix")]
    assert (report.batches_sent, report.batches_rejected, report.added) == (2, 1, 15)
    assert len(own_record_ids(hub_client, credentials["CA"])) == 15


@needs_hub
def test_skip_bad_rows_sends_the_good_rows_of_a_bad_batch(
    tmp_path: Path, ca: HubClient, hub_client: Any, credentials: dict[str, str]
) -> None:
    rows = people(25)
    rows[14]["card_type"] = "boat"
    rows[15]["record_id"] = rows[3]["record_id"]  # a duplicate: the later line is the bad one
    path = write(tmp_path / "f.csv", rows)
    report = load_file(path, ca, KEYS, batch_size=10, skip_bad_rows=True)
    assert [(e.line, e.field) for e in report.rejected] == [
        (line_of(14), "card_type"),
        (line_of(15), "record_id"),
    ]
    assert report.rejected[1].message == f"repeats the record_id of line {line_of(3)}"
    assert (report.added, report.batches_sent, report.rows_held_back) == (23, 3, 0)
    assert len(own_record_ids(hub_client, credentials["CA"])) == 23


@needs_hub
@pytest.mark.parametrize("suffix", [".parquet", ".ndjson"])
def test_parquet_and_ndjson_load_exactly_what_csv_loads(
    tmp_path: Path, ca: HubClient, suffix: str
) -> None:
    rows = people(12)
    other = load_file(write(tmp_path / f"f{suffix}", rows), ca, KEYS, batch_size=5)
    assert (other.rows_read, other.added, other.batches_sent) == (12, 12, 3)
    # The CSV of the same rows changes nothing: every pointer sent was identical.
    as_csv = load_file(write(tmp_path / "f.csv", rows), ca, KEYS, batch_size=5)
    assert (as_csv.added, as_csv.updated, as_csv.unchanged) == (0, 0, 12)


@needs_hub
def test_bad_rows_line_numbers_agree_across_formats(tmp_path: Path, ca: HubClient) -> None:
    rows = people(6)
    rows[4]["status"] = "lost"
    lines = {
        suffix: [e.line for e in load_file(write(tmp_path / f"f{suffix}", rows), ca, KEYS).rejected]
        for suffix in (".csv", ".parquet")
    }
    assert lines == {".csv": [line_of(4)], ".parquet": [line_of(4)]}


@needs_hub
def test_refused_key_aborts_the_load(tmp_path: Path, hub_client: Any) -> None:
    path = write(tmp_path / "f.csv", people(3))
    stranger = HubClient(hub_client, "lpx_ca_not-a-real-key", "loader-test")
    with pytest.raises(LoadAborted) as caught:
        load_file(path, stranger, KEYS)
    cause = caught.value.__cause__
    assert isinstance(cause, HubError)
    assert cause.status == 401
    assert caught.value.report.added == 0


@needs_hub
def test_loaded_tokens_match_an_inquiry_made_with_the_same_keys(
    tmp_path: Path, ca: HubClient, hub_client: Any, credentials: dict[str, str]
) -> None:
    from lpx.client.ssn import ssn_tokens_for

    rows = people(8)
    load_file(write(tmp_path / "f.csv", rows), ca, KEYS)
    target = rows[4]  # has an SSN-5
    ny = HubClient(hub_client, credentials["NY"], "clerk-ny")
    dob = date.fromisoformat(target["dob"])
    tokens = ssn_tokens_for(
        target["ssn_last5"], target["first_name"], target["last_name"], dob, KEYS
    )
    found = ny.search(
        first_name=target["first_name"],
        last_name=target["last_name"],
        dob=dob,
        purpose="license_issuance",
        ssn=tokens,
    )
    assert found, "the loaded person was not found"
    assert found[0].jurisdiction == "CA"
    assert found[0].match_class == "match"
    status = ny.status(found[0].pointer_id)
    assert (status.jurisdiction, status.status) == ("CA", "active")


# --- the `lpx load` command -------------------------------------------------------------------


class _KeepOpen(HubClient):
    """The command closes its client; the shared in-process hub must outlive it."""

    def close(self) -> None:
        pass


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, hub_client: Any) -> typer.Typer:
    from lpx.cli import load as load_cmd

    key_file = tmp_path / "network-keys.json"
    KEYS.save(key_file)
    monkeypatch.setenv("LPX_NETWORK_KEYS", str(key_file))
    monkeypatch.setattr(
        load_cmd, "connect", lambda hub, api_key, user: _KeepOpen(hub_client, api_key, user)
    )
    app = typer.Typer()
    app.command("load")(load_cmd.load)
    app.command("other")(lambda: None)  # two commands, so "load" is a subcommand as in lpx
    return app


@needs_hub
def test_load_command_exit_codes_and_report(
    cli: typer.Typer, tmp_path: Path, credentials: dict[str, str]
) -> None:
    runner = CliRunner()
    env = {"LPX_API_KEY": credentials["CA"], "LPX_USER": "ops-1"}
    rows = people(12)
    path = write(tmp_path / "f.csv", rows)
    args = ["load", str(path), "--jurisdiction", "CA", "--batch-size", "5"]

    done = runner.invoke(cli, args, env=env)
    assert done.exit_code == 0, done.output
    assert "added" in done.output
    assert credentials["CA"] not in done.output

    rows[7]["ssn_last5"] = "12a45"
    write(path, rows)
    bad = runner.invoke(cli, args, env=env)
    assert bad.exit_code == 1, bad.output
    assert str(line_of(7)) in bad.output
    assert "ssn_last5" in bad.output
    assert "12a45" not in bad.output

    wrong = runner.invoke(cli, ["load", str(path), "--jurisdiction", "NY"], env=env)
    assert wrong.exit_code == 2
    assert "belongs to CA" in wrong.output

    missing = runner.invoke(
        cli, ["load", str(tmp_path / "none.csv"), "--jurisdiction", "CA"], env=env
    )
    assert missing.exit_code == 2
    assert "no such file" in missing.output

    refused = runner.invoke(cli, args, env=env | {"LPX_API_KEY": "lpx_ca_wrong"})
    assert refused.exit_code == 2
    assert "401" in refused.output


@needs_hub
def test_search_and_status_commands_find_a_loaded_person(
    cli: typer.Typer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    hub_client: Any,
    credentials: dict[str, str],
) -> None:
    from lpx.cli import search as search_cmd

    monkeypatch.setattr(
        search_cmd, "connect", lambda hub, api_key, user: _KeepOpen(hub_client, api_key, user)
    )
    cli.command("search")(search_cmd.search)
    cli.command("status")(search_cmd.status)
    runner = CliRunner()
    ca = {"LPX_API_KEY": credentials["CA"], "LPX_USER": "ops-1"}
    ny = {"LPX_API_KEY": credentials["NY"], "LPX_USER": "clerk-ny"}
    rows = people(8)
    loaded = runner.invoke(
        cli, ["load", str(write(tmp_path / "f.csv", rows)), "--jurisdiction", "CA"], env=ca
    )
    assert loaded.exit_code == 0, loaded.output

    no_ssn = rows[3]  # loaded with a decoy; the clerk says "has no SSN"
    ask = [
        "search",
        "--first-name", no_ssn["first_name"],
        "--last-name", no_ssn["last_name"],
        "--dob", no_ssn["dob"],
        "--purpose", "license_issuance",
    ]  # fmt: skip
    found = runner.invoke(cli, [*ask, "--no-ssn", "--json"], env=ny)
    assert found.exit_code == 0, found.output
    body = json.loads(found.output)
    assert body["inquiry_id"]
    top = body["candidates"][0]
    assert (top["jurisdiction"], top["match_class"]) == ("CA", "match")
    assert top["evidence"].get("ssn") not in (None, "", "missing")

    table = runner.invoke(cli, [*ask, "--no-ssn"], env=ny)
    assert table.exit_code == 0, table.output
    assert top["pointer_id"][:8] in table.output

    status = runner.invoke(cli, ["status", top["pointer_id"], "--json"], env=ny)
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)["jurisdiction"] == "CA"

    both = runner.invoke(cli, [*ask, "--no-ssn", "--ssn-last5", "12345"], env=ny)
    assert both.exit_code == 2
    bad_purpose = runner.invoke(cli, [*ask[:-1], "curiosity"], env=ny)
    assert bad_purpose.exit_code == 2
    assert "--purpose must be one of" in bad_purpose.output


# --- the hub client's retries and error mapping, over httpx's in-memory transport -------------
# (kept here because the loader is what relies on them; they need no hub.)


def scripted(*answers: httpx.Response | Exception) -> tuple[HubClient, list[float], list[str]]:
    """A HubClient whose transport plays ``answers`` in order; returns it, its sleeps, its paths."""
    queue = list(answers)
    paths: list[str] = []
    sleeps: list[float] = []

    def handle(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.decode())
        assert request.headers["Authorization"] == "Bearer lpx_ca_k"
        assert request.headers["X-LPX-User"] == "ops-1"
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    http = httpx.Client(transport=httpx.MockTransport(handle), base_url="http://hub")
    return HubClient(http, "lpx_ca_k", "ops-1", sleep=sleeps.append), sleeps, paths


OK = httpx.Response(200, json={"added": 1, "updated": 0, "unchanged": 0})


def test_client_retries_503_and_429_then_succeeds() -> None:
    client, sleeps, _ = scripted(
        httpx.Response(503), httpx.Response(429, headers={"Retry-After": "2"}), OK
    )
    assert client.upsert_batch([{"record_id": "A"}]) == BatchResult(1, 0, 0)
    assert sleeps == [0.5, 2.0]


def test_client_retries_connection_errors_a_bounded_number_of_times() -> None:
    refused = httpx.ConnectError("refused")
    client, sleeps, paths = scripted(refused, refused, refused, refused, OK)
    with pytest.raises(HubError, match="hub unreachable") as caught:
        client.upsert_batch([{"record_id": "A"}])
    assert caught.value.status == 0
    assert (len(paths), sleeps) == (4, [0.5, 1.0, 2.0])


def test_client_does_not_retry_other_errors_and_reads_the_problem() -> None:
    problem = {
        "type": "/problems/batch-rejected",
        "title": "Batch rejected",
        "status": 422,
        "detail": "1 pointer is invalid",
        "errors": [{"index": 3, "field": "first_name", "message": "is required"}],
    }
    client, sleeps, paths = scripted(httpx.Response(422, json=problem), OK)
    with pytest.raises(HubError) as caught:
        client.upsert_batch([{"record_id": "A"}])
    assert (caught.value.status, caught.value.title) == (422, "Batch rejected")
    assert caught.value.errors == problem["errors"]
    assert "item 3 first_name is required" in str(caught.value)
    assert (len(paths), sleeps) == (1, [])

    client, _, _ = scripted(httpx.Response(500, text="<html>boom</html>"))
    with pytest.raises(HubError, match="500 Internal Server Error: <html>boom</html>"):
        client.status("p-1")


def test_client_quotes_the_pointer_id_and_hides_the_key() -> None:
    answer = {
        "pointer_id": "a/b",
        "jurisdiction": "CA",
        "card_type": "DL",
        "real_id": True,
        "status": "active",
        "issue_date": None,
        "expiry_date": None,
    }
    client, _, paths = scripted(httpx.Response(200, json=answer))
    assert client.status("a/b").jurisdiction == "CA"
    assert paths == ["/v1/pointers/a%2Fb/status"]
    assert "lpx_ca_k" not in repr(client)


@needs_hub
def test_load_command_writes_the_summary_file(
    cli: typer.Typer, tmp_path: Path, credentials: dict[str, str]
) -> None:
    runner = CliRunner()
    env = {"LPX_API_KEY": credentials["CA"], "LPX_USER": "ops-1"}
    rows = people(9)
    rows[4]["dob"] = "1990-02-30"
    path = write(tmp_path / "f.csv", rows)
    args = ["load", str(path), "--jurisdiction", "CA", "--batch-size", "3", "--skip-bad-rows"]
    done = runner.invoke(cli, args, env=env)
    assert done.exit_code == 1, done.output
    assert "rejected for dob" in done.output
    summary = json.loads((tmp_path / "f.csv.summary.json").read_text())
    assert {k: summary[k] for k in ("status", "rows_read", "added", "rejected",
                                    "rejected_reasons", "held_back")} == {
        "status": "complete", "rows_read": 9, "added": 8, "rejected": 1,
        "rejected_reasons": {"dob": 1}, "held_back": 0}  # fmt: skip
    assert summary["upload_id"]

    elsewhere = tmp_path / "out" / "s.json"
    elsewhere.parent.mkdir()
    plain = runner.invoke(cli, [*args, "--no-resume", "--summary", str(elsewhere)], env=env)
    assert plain.exit_code == 1, plain.output
    again = json.loads(elsewhere.read_text())
    assert (again["upload_id"], again["unchanged"], again["rejected"]) == (None, 8, 1)


# --- the carry book (docs/privacy.md, "Carrying the decoy") ---------------------------------


class TokenHub(RecordingHub):
    """Remembers the SSN tokens sent for each record."""

    def __init__(self) -> None:
        super().__init__()
        self.ssn: dict[str, Any] = {}

    def upsert_batch(self, pointers: Sequence[Mapping[str, Any]]) -> BatchResult:
        self.ssn.update({p["record_id"]: p["ssn"] for p in pointers})
        return super().upsert_batch(pointers)


def test_a_reload_keeps_the_carried_value_and_the_real_ssn(tmp_path: Path) -> None:
    """Records issued under the carry protocol keep their tokens on every reload: a carried
    value for a person without an SSN, the real tokens for a holder; others are derived."""
    from lpx.client.carry import read_carry_book, record_outcome
    from lpx.client.ssn import IssuanceOutcome, tokenize, value_of_tokens

    rows = people(4)  # CA-00000 and CA-00003 have no SSN; CA-00001 has one
    path = write(tmp_path / "f.csv", rows)
    carried = tokenize("27182", KEYS)
    book = tmp_path / "carry.jsonl"
    record_outcome(book, "CA-00000", IssuanceOutcome(tokenize("11111", KEYS), 0))
    record_outcome(book, "CA-00000", IssuanceOutcome(carried, 1))  # the last line wins
    record_outcome(book, "CA-00001", IssuanceOutcome(carried, 0))
    assert book.stat().st_mode & 0o777 == 0o600
    plain, with_book = TokenHub(), TokenHub()
    load_file(path, plain, KEYS, jurisdiction="CA")
    load_file(path, with_book, KEYS, jurisdiction="CA", carry=read_carry_book(book))
    adopted = value_of_tokens(SsnTokens(with_book.ssn["CA-00000"]["full"], ()), KEYS)
    assert adopted is not None
    assert sum(a != b for a, b in zip(adopted, "27182", strict=True)) <= 1
    assert with_book.ssn["CA-00000"] != plain.ssn["CA-00000"]
    assert with_book.ssn["CA-00001"] == plain.ssn["CA-00001"]  # a real SSN is kept
    assert with_book.ssn["CA-00001"]["full"] == tokenize(rows[1]["ssn_last5"], KEYS).full
    assert with_book.ssn["CA-00003"] == plain.ssn["CA-00003"]  # not in the book


def test_a_malformed_carry_book_line_is_named(tmp_path: Path) -> None:
    from lpx.client.carry import read_carry_book

    book = tmp_path / "carry.jsonl"
    book.write_text('{"record_id": "A", "namesakes": 0, "confirmed": null}\n{"record_id": 1}\n')
    with pytest.raises(ValueError, match="line 2"):
        read_carry_book(book)
