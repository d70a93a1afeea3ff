"""HTTP client for the hub's API, as a state's loader and inquiry tools use it.

The ``httpx.Client`` is injected so tests can hand in FastAPI's ``TestClient`` and talk to the
real app in-process. Errors come back from the hub as RFC 9457 problem documents and are raised
as :class:`HubError` carrying the title, detail and field errors a clerk can act on.

Retries are bounded and limited to what is safe to repeat: connection failures (the request
never reached the hub) and 429/503 (the hub asked us to come back later).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from lpx.domain.records import SsnTokens

PURPOSES: tuple[str, ...] = (
    "license_issuance",
    "license_renewal",
    "license_replacement",
    "duplicate_investigation",
    "change_of_state_of_record",
    "id_card_issuance",
)
_RETRY_STATUSES = frozenset({429, 503})
_MAX_RETRY_AFTER = 30.0


class HubError(Exception):
    """The hub refused a request (or could not be reached: ``status`` 0)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []
        super().__init__(self._message())

    def _message(self) -> str:
        head = f"hub answered {self.status} {self.title}" if self.status else self.title
        if self.detail and self.detail != self.title:
            head += f": {self.detail}"
        for err in self.errors[:5]:
            where = f"item {err['index']} " if "index" in err else ""
            head += f"\n  - {where}{err.get('field', '')} {err.get('message', '')}".rstrip()
        if len(self.errors) > 5:
            head += f"\n  - ... and {len(self.errors) - 5} more"
        return head


@dataclass(frozen=True, slots=True)
class BatchResult:
    added: int
    updated: int
    unchanged: int
    cases_opened: dict[str, int] = field(default_factory=dict)  # per counterpart state
    replayed: bool = False  # an upload batch the hub had committed before


@dataclass(frozen=True, slots=True)
class Upload:
    """An upload session on the hub; ``body`` is its progress as GET /v1/uploads/{id} has it."""

    upload_id: str
    status: str
    last_seq: int  # file rows covered by the batches the hub committed
    body: dict[str, Any]

    @classmethod
    def of(cls, body: dict[str, Any]) -> Upload:
        return cls(str(body["upload_id"]), str(body["status"]), int(body["last_seq"]), body)


@dataclass(frozen=True, slots=True)
class Candidate:
    pointer_id: str
    jurisdiction: str
    match_class: str
    weight: float
    probability: float
    evidence: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SearchResult:
    inquiry_id: str
    candidates: list[Candidate]


@dataclass(frozen=True, slots=True)
class PointerStatus:
    pointer_id: str
    jurisdiction: str
    card_type: str
    real_id: bool
    status: str
    issue_date: str | None
    expiry_date: str | None


@dataclass(frozen=True, slots=True)
class CaseItem:
    """One duplicate case in the state's queue (no identity fields: the hub sends none)."""

    case_id: str
    jurisdiction_a: str
    record_id_a: str
    jurisdiction_b: str
    record_id_b: str
    weight: float
    match_class: str
    status: str
    real_id_conflict: bool
    overdue: bool
    opened_at: str

    @classmethod
    def from_json(cls, c: Mapping[str, Any]) -> CaseItem:
        return cls(
            case_id=str(c["case_id"]), jurisdiction_a=str(c["jurisdiction_a"]),
            record_id_a=str(c["record_id_a"]), jurisdiction_b=str(c["jurisdiction_b"]),
            record_id_b=str(c["record_id_b"]), weight=float(c["weight"]),
            match_class=str(c["match_class"]), status=str(c["status"]),
            real_id_conflict=bool(c["real_id_conflict"]), overdue=bool(c["overdue"]),
            opened_at=str(c["opened_at"]),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class CasePage:
    items: list[CaseItem]
    next_cursor: str | None


class HubClient:
    """The hub's API for one jurisdiction's API key, acting for one named end user."""

    def __init__(
        self,
        http: httpx.Client,
        api_key: str,
        user: str,
        *,
        max_attempts: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = http
        self._headers = {"Authorization": f"Bearer {api_key}", "X-LPX-User": user}
        self._max_attempts = max(1, max_attempts)
        self._backoff = backoff
        self._sleep = sleep

    def __repr__(self) -> str:  # never show the key
        return f"HubClient(base_url={str(self._http.base_url)!r})"

    @classmethod
    def connect(cls, base_url: str, api_key: str, user: str, timeout: float = 60.0) -> HubClient:
        """A client over a fresh ``httpx.Client``; close it with :meth:`close`."""
        return cls(httpx.Client(base_url=base_url, timeout=timeout), api_key, user)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def upsert_batch(self, pointers: Iterable[Mapping[str, Any]]) -> BatchResult:
        """Upsert up to 1000 of our own pointers; the hub writes all of them or none."""
        body = self._request("POST", "/v1/pointers/batch", {"pointers": list(pointers)})
        return BatchResult(
            added=int(body["added"]), updated=int(body["updated"]),
            unchanged=int(body["unchanged"]),
        )  # fmt: skip

    def start_upload(self, fingerprint: str, file_name: str = "") -> Upload:
        """Start the upload of a file, or get the earlier upload of the same file to resume."""
        return Upload.of(self._request("POST", "/v1/uploads",
                                       {"fingerprint": fingerprint, "file_name": file_name}))

    def upload_batch(self, upload_id: str, pointers: Iterable[Mapping[str, Any]],
                     stats: Mapping[str, Any]) -> BatchResult:  # fmt: skip
        """Write one numbered batch of an upload. Safe to repeat: the hub acknowledges a batch
        it committed before without writing it again, so transport errors are retried too."""
        body = self._request("POST", f"/v1/uploads/{quote(upload_id, safe='')}/batches",
                             {**stats, "pointers": list(pointers)}, idempotent=True)
        return BatchResult(
            added=int(body["added"]), updated=int(body["updated"]),
            unchanged=int(body["unchanged"]),
            cases_opened={str(k): int(v) for k, v in (body.get("cases_opened") or {}).items()},
            replayed=bool(body.get("replayed", False)),
        )  # fmt: skip

    def complete_upload(self, upload_id: str, stats: Mapping[str, Any]) -> Upload:
        path = f"/v1/uploads/{quote(upload_id, safe='')}/complete"
        return Upload.of(self._request("POST", path, dict(stats), idempotent=True))

    def abort_upload(self, upload_id: str) -> Upload:
        return Upload.of(self._request("POST", f"/v1/uploads/{quote(upload_id, safe='')}/abort",
                                       None))  # fmt: skip

    def inquire(
        self,
        *,
        first_name: str,
        last_name: str,
        dob: date,
        purpose: str,
        middle_name: str = "",
        suffix: str = "",
        sex: str | None = None,
        ssn: SsnTokens | None = None,
    ) -> SearchResult:
        """Run a search inquiry; the result keeps the hub's inquiry id for follow-up."""
        payload = _inquiry_payload(first_name, last_name, dob, purpose, middle_name, suffix,
                                   sex, ssn)  # fmt: skip
        body = self._request("POST", "/v1/inquiries/search", payload)
        candidates = [
            Candidate(
                pointer_id=str(c["pointer_id"]),
                jurisdiction=str(c["jurisdiction"]),
                match_class=str(c["match_class"]),
                weight=float(c["weight"]),
                probability=float(c["probability"]),
                evidence={str(k): str(v) for k, v in (c.get("evidence") or {}).items()},
            )
            for c in body.get("candidates", [])
        ]
        return SearchResult(inquiry_id=str(body.get("inquiry_id", "")), candidates=candidates)

    def search(
        self,
        *,
        first_name: str,
        last_name: str,
        dob: date,
        purpose: str,
        middle_name: str = "",
        suffix: str = "",
        sex: str | None = None,
        ssn: SsnTokens | None = None,
    ) -> list[Candidate]:
        """The ranked candidates (at most 10) of a search inquiry."""
        return self.inquire(
            first_name=first_name, last_name=last_name, dob=dob, purpose=purpose,
            middle_name=middle_name, suffix=suffix, sex=sex, ssn=ssn,
        ).candidates  # fmt: skip

    def carry(self, *, inquiry_id: str, pointer_id: str) -> SsnTokens | None:
        """At issuance: the SSN tokens of the candidate the clerk confirmed as the applicant.

        ``inquiry_id`` is our own issuance search (made within the hub's carry window) that
        listed ``pointer_id``; the hub does not rerun it. Safe to retry: the hub gives the
        same answer for the same pointer. None when that pointer carries no tokens.
        See :func:`lpx.client.carry.resolve_issuance`, which calls this for every applicant.
        """
        body = self._request("POST", "/v1/inquiries/carry",
                             {"inquiry_id": inquiry_id, "pointer_id": pointer_id},
                             idempotent=True)  # fmt: skip
        got = body.get("ssn")
        if not isinstance(got, dict):
            return None
        return SsnTokens(str(got["full"]), tuple(str(m) for m in got["masked"]))

    def status(self, pointer_id: str) -> PointerStatus:
        """Card status and dates behind one pointer."""
        body = self._request("GET", f"/v1/pointers/{quote(pointer_id, safe='')}/status", None)
        return PointerStatus(
            pointer_id=str(body["pointer_id"]),
            jurisdiction=str(body["jurisdiction"]),
            card_type=str(body["card_type"]),
            real_id=bool(body["real_id"]),
            status=str(body["status"]),
            issue_date=body.get("issue_date"),
            expiry_date=body.get("expiry_date"),
        )

    def upload_policy(self) -> dict[str, Any]:
        """The upload policy the state declared at the hub (GET /v1/policy), as JSON."""
        return self._request("GET", "/v1/policy", None)

    def cases(self, *, statuses: Sequence[str] = (), overdue: bool = False, limit: int = 100,
              cursor: str | None = None) -> CasePage:  # fmt: skip
        """One page of the state's duplicate-case queue (REAL ID conflicts first)."""
        query: list[tuple[str, str]] = [("status", s) for s in statuses]
        query += [("limit", str(limit))] + ([("overdue", "true")] if overdue else [])
        query += [("cursor", cursor)] if cursor is not None else []
        body = self._request("GET", f"/v1/cases?{urlencode(query)}", None)
        return CasePage([CaseItem.from_json(c) for c in body.get("items", [])],
                        body.get("next_cursor"))  # fmt: skip

    def all_cases(self, *, statuses: Sequence[str] = (), overdue: bool = False,
                  page_size: int = 500) -> Iterator[CaseItem]:  # fmt: skip
        """Every case of the queue, page by page along the hub's cursors."""
        cursor: str | None = None
        while True:
            page = self.cases(statuses=statuses, overdue=overdue, limit=page_size,
                              cursor=cursor)  # fmt: skip
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def resolve_case(self, case_id: str, status: str) -> CaseItem:
        """Move a case on (under_investigation, same_person, different_people, closed)."""
        body = self._request("POST", f"/v1/cases/{quote(case_id, safe='')}/transitions",
                             {"status": status})  # fmt: skip
        return CaseItem.from_json(body)

    def _request(self, method: str, path: str, payload: Any,
                 idempotent: bool = False) -> dict[str, Any]:  # fmt: skip
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self._max_attempts
            try:
                response = self._http.request(method, path, json=payload, headers=self._headers)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if last:
                    raise HubError(0, "hub unreachable", f"{type(exc).__name__}: {exc}") from exc
                self._sleep(self._delay(attempt, None))
                continue
            except httpx.TransportError as exc:
                # The request may have reached the hub; repeat it only if that is harmless.
                if idempotent and not last:
                    self._sleep(self._delay(attempt, None))
                    continue
                raise HubError(0, "hub connection failed", f"{type(exc).__name__}: {exc}") from exc
            if response.status_code in _RETRY_STATUSES and not last:
                self._sleep(self._delay(attempt, response.headers.get("Retry-After")))
                continue
            if response.is_success:
                body = response.json()
                if not isinstance(body, dict):
                    raise HubError(response.status_code, "unexpected response", "not an object")
                return body
            raise _problem(response)

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after is not None:
            try:
                return min(max(float(retry_after), 0.0), _MAX_RETRY_AFTER)
            except ValueError:
                pass
        return float(min(self._backoff * 2 ** (attempt - 1), _MAX_RETRY_AFTER))


def _inquiry_payload(first_name: str, last_name: str, dob: date, purpose: str,
                     middle_name: str, suffix: str, sex: str | None,
                     ssn: SsnTokens | None) -> dict[str, Any]:  # fmt: skip
    """The body of a search inquiry (and of a carry, which repeats it)."""
    payload: dict[str, Any] = {
        "first_name": first_name,
        "last_name": last_name,
        "dob": dob.isoformat(),
        "purpose": purpose,
    }
    if middle_name:
        payload["middle_name"] = middle_name
    if suffix:
        payload["suffix"] = suffix
    if sex:
        payload["sex"] = sex
    if ssn is not None:
        payload["ssn"] = {"full": ssn.full, "masked": list(ssn.masked)}
    return payload


def _problem(response: httpx.Response) -> HubError:
    """Read an RFC 9457 problem document, or make a readable error from whatever came back."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = body.get("detail", "")
        errors = body.get("errors")
        if not isinstance(detail, str):  # e.g. a framework's default validation error list
            errors = errors if isinstance(errors, list) else detail
            detail = ""
        items = errors if isinstance(errors, list) else []
        return HubError(
            status=response.status_code,
            title=str(body.get("title") or response.reason_phrase),
            detail=detail,
            errors=[e for e in items if isinstance(e, dict)],
        )
    return HubError(response.status_code, response.reason_phrase, response.text[:200].strip())
