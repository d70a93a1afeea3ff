"""What each console page shows and does, through the same services as the API."""

from __future__ import annotations

import base64
import re

from console_support import Seeded, csrf, sign_in, visible
from fastapi.testclient import TestClient
from helpers import auth, pointer
from sqlalchemy import select, update

from lpx.api.app import create_app
from lpx.bootstrap import Hub
from lpx.storage.tables import audit_entries

SEARCH = {"last_name": "Garcia Lopez", "first_name": "William", "dob": "1980-03-05",
          "purpose": "license_issuance"}  # fmt: skip
POINTER = re.compile(r"/console/status/([0-9a-f-]{36})")


def _search(client: TestClient, token: str, **changes: str) -> str:
    resp = client.post("/console/search", data={**SEARCH, **changes, "csrf_token": token})
    assert resp.status_code == 200, resp.text
    return resp.text


def test_a_clerk_sees_candidates_with_per_field_agreement(console: TestClient,
                                                          seeded: Seeded) -> None:  # fmt: skip
    token = sign_in(console, seeded.keys["NY:clerk"])
    page = _search(console, token, first_name="Bill")
    assert "2 candidates" in page
    assert len(set(POINTER.findall(page))) == 2
    assert re.search(r'class="badge close"[^>]*>First name: <strong>close', page)
    assert re.search(r'class="badge agreed"[^>]*>Date of birth: <strong>agreed', page)
    assert re.search(r'class="badge not-compared"[^>]*>SSN-5: <strong>not compared', page)
    assert 'value="Bill"' in page  # the form keeps what the clerk typed
    assert "Start transfer" not in page  # a clerk alone may not take pointers over


def test_no_candidate_and_bad_input_get_clear_answers(console: TestClient, seeded: Seeded) -> None:
    token = sign_in(console, seeded.keys["CA:clerk"])
    none = _search(console, token, last_name="Oyelaran", first_name="Zed", dob="1999-09-09")
    assert "No card anywhere matches" in none, none[none.find("<main"):]
    for changes, words in (({"dob": "2999-01-01"}, "dob is in the future"),
                           ({"first_name": "W"}, "needs at least 2 letters"),
                           ({"dob": "05/03/1980"}, "dob"),
                           ({"purpose": "immigration"}, "purpose"),
                           ({"ssn_full": "12345"}, "ssn.full")):  # fmt: skip
        resp = console.post("/console/search", data={**SEARCH, **changes, "csrf_token": token})
        assert resp.status_code == 422, (changes, resp.status_code)
        assert "Please check the form" in resp.text, changes
        assert words in resp.text, changes


def test_ssn5_is_disabled_without_a_state_tokenizer(console: TestClient, seeded: Seeded) -> None:
    sign_in(console, seeded.keys["CA:clerk"])
    page = console.get("/console/search").text
    assert re.search(r'<input id="ssn5" type="text" disabled', page)
    assert "the hub never receives the digits" in page
    assert "ssn.js" not in page


def test_ssn5_goes_through_the_configured_tokenizer(hub: Hub, seeded: Seeded) -> None:
    hub.settings.console_tokenizer_urls = {"CA": "http://127.0.0.1:8100/tokenize"}
    with TestClient(create_app(hub)) as client:
        sign_in(client, seeded.keys["CA:clerk"])
        resp = client.get("/console/search")
    assert 'data-tokenizer="http://127.0.0.1:8100/tokenize"' in resp.text
    assert re.search(r'<input id="ssn5"[^>]*>', resp.text)
    assert 'name="ssn5"' not in resp.text  # the digits field is never part of the form
    assert "connect-src 'self' http://127.0.0.1:8100;" in resp.headers["content-security-policy"]


def test_status_and_start_transfer(console: TestClient, seeded: Seeded) -> None:
    token = sign_in(console, seeded.keys["CA:system"])
    status = console.get(f"/console/status/{seeded.ny_pointer_id}")
    assert status.status_code == 200
    assert "<dd>NY</dd>" in status.text
    assert "<strong>active</strong>" in status.text
    assert "Start transfer" in status.text
    form = {"pointer_id": seeded.ny_pointer_id, "record_id": "Z1CA", "card_type": "DL",
            "real_id": "true", "csrf_token": token}  # fmt: skip
    first = console.post("/console/transfers", data=form)
    assert first.status_code == 200
    assert "<h1>Transfer started</h1>" in first.text
    assert "belongs to CA (record Z1CA)" in first.text
    again = console.post("/console/transfers", data=form)
    assert "<h1>Transfer already made</h1>" in again.text
    own = console.post("/console/transfers", data={**form, "pointer_id": seeded.ca_pointer_id,
                                                   "record_id": "M1B"})  # fmt: skip
    assert own.status_code == 409
    assert "update it instead" in own.text
    missing = console.get("/console/status/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12)
    assert missing.status_code == 404
    assert "No pointer has the id" in missing.text


def test_records_staff_resolve_a_case_side_by_side(console: TestClient, seeded: Seeded) -> None:
    token = sign_in(console, seeded.keys["CA:records"])
    queue = console.get("/console/cases").text
    assert "two REAL ID cards" in queue
    assert "CA M1" in queue
    assert "NY M9" in queue
    case = console.get(f"/console/cases/{seeded.case_id}").text
    assert "Your record: CA M1" in case
    assert "William James Garcia Lopez" in case
    assert "Other state&#39;s record: NY M9" in case
    assert "NY's identity fields stay with NY" in case
    assert 'action="/console/cases/' in case
    assert "Same person" in case
    done = console.post(f"/console/cases/{seeded.case_id}/transitions",
                        data={"status": "same_person", "csrf_token": token})  # fmt: skip
    assert done.status_code == 200  # followed the redirect back to the case
    assert re.search(r"<h1>Case [0-9a-f]{8}: Same person</h1>", done.text)
    assert "Close (follow-up done)" in done.text
    assert "Different people" not in done.text
    assert re.search(r"<td>CA</td><td>tester-1</td><td>open</td><td>same person</td>", done.text)
    refused = console.post(f"/console/cases/{seeded.case_id}/transitions",
                           data={"status": "different_people", "csrf_token": token})  # fmt: skip
    assert refused.status_code == 409
    assert "cannot become different_people" in refused.text
    ny = auth(seeded.keys["NY:records"])  # the API sees the same case, moved by the console
    assert console.get(f"/v1/cases/{seeded.case_id}", headers=ny).json()["status"] == "same_person"


def test_the_former_state_confirms_a_transfer(console: TestClient, seeded: Seeded) -> None:
    token = sign_in(console, seeded.keys["CA:records"])
    page = console.get("/console/transfers").text
    assert "Awaiting CA's confirmation" in page
    assert "CA Y1" in page
    assert "NY Y1NY" in page
    assert "Dispute" in page
    disputed = console.post(f"/console/transfers/{seeded.transfer_id}/answer",
                            data={"answer": "disputed", "csrf_token": token})  # fmt: skip
    assert "Disputed" in disputed.text
    assert "Dispute</button>" not in disputed.text
    confirmed = console.post(f"/console/transfers/{seeded.transfer_id}/answer",
                             data={"answer": "confirmed", "csrf_token": token})  # fmt: skip
    assert "Nothing waits for your answer" in confirmed.text
    sign_in(console, seeded.keys["NY:records"])
    assert "None of your transfer requests is open" in console.get("/console/transfers").text


def test_the_state_administrator_dashboard(console: TestClient, seeded: Seeded) -> None:
    ny_clerk = auth(seeded.keys["NY:clerk"], "ny-clerk-4")
    body = {"first_name": "William", "last_name": "Garcia Lopez", "dob": "1980-03-05",
            "purpose": "license_renewal"}  # fmt: skip
    assert console.post("/v1/inquiries/search", json=body, headers=ny_clerk).status_code == 200
    outside = {"requester": "Superior Court, Example County", "kind": "subpoena",
               "legal_basis": "Subpoena 2026-77", "individuals": [
                   {"first_name": "William", "last_name": "Garcia Lopez", "dob": "1980-03-05"}]}
    assert console.post("/v1/outside-requests", json=outside,
                        headers=auth(seeded.keys["CA:legal"])).status_code == 201  # fmt: skip
    sign_in(console, seeded.keys["CA:state_admin"])
    page = console.get("/console/admin")
    assert page.status_code == 200
    text = page.text
    assert "Audit log verification: verified" in text
    assert "First check" in text
    assert re.search(r"<td>NY</td><td>ny-clerk-4</td><td>search</td><td>License renewal</td>",
                     text)  # fmt: skip
    assert "Superior Court, Example County" in text
    assert "Subpoena 2026-77" in text
    charts = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"', text)
    assert len(charts) == 2
    svg = base64.b64decode(charts[1][0]).decode()
    assert "<title>Searches touching your records by requesting state</title>" in svg
    assert "<desc>" in svg
    assert "<script" not in svg
    assert "<th scope=\"col\">NY</th>" in text  # the chart's data table fallback
    watch = console.get("/console/admin/watch", headers={"HX-Request": "true"})
    assert 'id="watch"' in watch.text
    assert "Superior Court" in watch.text
    again = console.get("/console/admin").text  # the verifier remembers what it accepted
    assert "Audit log verification: verified" in again
    assert "extends the head accepted" in again


def test_the_dashboard_reports_a_tampered_log(console: TestClient, seeded: Seeded,
                                              hub: Hub) -> None:  # fmt: skip
    with hub.engine.begin() as conn:  # someone rewrites CA's first entry in the database
        first = audit_entries.c.seq == 0
        leaf = conn.execute(select(audit_entries.c.leaf_data).where(first)).scalar_one()
        conn.execute(update(audit_entries).where(first).values(
            leaf_data=bytes(leaf).replace(b'"user":"', b'"user":"x')))
    sign_in(console, seeded.keys["CA:state_admin"])
    page = console.get("/console/admin")
    assert "Audit log verification: FAILED" in page.text
    assert "entry 0: its data does not hash to its leaf hash" in page.text


def test_the_public_transparency_page(console: TestClient, seeded: Seeded) -> None:
    ny_clerk = auth(seeded.keys["NY:clerk"])
    body = {"first_name": "William", "last_name": "Garcia Lopez", "dob": "1980-03-05",
            "purpose": "license_issuance"}  # fmt: skip
    assert console.post("/v1/inquiries/search", json=body, headers=ny_clerk).status_code == 200
    console.cookies.clear()
    page = console.get("/console/transparency")
    assert page.status_code == 200
    assert "<strong>1</strong> inquiries" in page.text
    assert "<td>NY</td><td>License issuance</td><td>1</td>" in page.text
    assert 'alt="Inquiries in' in page.text
    assert "<summary>The numbers behind" in page.text
    assert "Sign in</a>" in page.text
    assert not [p for p in ("Garcia", "William") if p in visible(page.text)]
    bad = console.get("/console/transparency?period=1900Q1")
    assert bad.status_code == 422
    assert "Please check the form" in bad.text


def test_the_landing_page_fits_each_role(console: TestClient, seeded: Seeded) -> None:
    for who, landing in (("CA:clerk", "/console/search"), ("CA:records", "/console/cases"),
                         ("CA:state_admin", "/console/admin"),
                         ("CA:hub_operator", "/console/transparency")):  # fmt: skip
        sign_in(console, seeded.keys[who])
        assert console.get("/console", follow_redirects=False).headers["location"] == landing
    token = csrf(console)
    assert token


def test_onboarding_shows_an_uploads_progress_live(console: TestClient, seeded: Seeded) -> None:
    ca = auth(seeded.keys["CA:records"], "loader")
    start = {"fingerprint": "sha256:" + "ab" * 32 + ":1234", "file_name": "CA-2026.csv"}
    upload_id = console.post("/v1/uploads", json=start, headers=ca).json()["upload_id"]
    batch = {"seq": 2, "rows_read": 2, "rejected": 1, "rejected_reasons": {"dob": 1},
             "pointers": [pointer("M5", middle_name="J")]}  # fmt: skip
    assert console.post(f"/v1/uploads/{upload_id}/batches", json=batch,
                        headers=ca).status_code == 200  # fmt: skip
    sign_in(console, seeded.keys["CA:state_admin"])
    page = console.get("/console/uploads").text
    assert '<th scope="row">CA-2026.csv</th>' in page
    assert "1 added, 0 updated, 0 unchanged" in page
    assert "dob: 1" in page
    assert "NY: 1" in page  # the new record matches NY's M9: a case was opened
    assert 'hx-trigger="every 5s"' in page
    done = console.post(f"/v1/uploads/{upload_id}/complete", json={"seq": 2, "rows_read": 0},
                        headers=ca)  # fmt: skip
    assert done.status_code == 200, done.text
    page = console.get("/console/uploads").text
    assert "complete" in page
    assert "hx-trigger" not in page
