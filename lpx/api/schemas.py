"""Request and response bodies of the HTTP API (Pydantic), and their mapping to the domain."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from lpx.domain.inquiry import Purpose, SearchInquiry
from lpx.domain.records import (
    MASKED_TOKEN_COUNT,
    Card,
    CardType,
    Identity,
    PointerRecord,
    Sex,
    SsnTokens,
    Status,
)

Token = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
Name = Annotated[str, StringConstraints(max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SsnTokensIn(Strict):
    """Keyed tokens of SSN-5 made on the state's side; the hub never sees digits."""

    full: Token
    masked: Annotated[list[Token], Field(min_length=MASKED_TOKEN_COUNT,
                                          max_length=MASKED_TOKEN_COUNT)]

    def to_domain(self) -> SsnTokens:
        return SsnTokens(self.full, tuple(self.masked))


class PointerIn(Strict):
    record_id: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    card_type: CardType
    real_id: bool
    first_name: Name
    middle_name: Name = ""
    last_name: Name
    suffix: Annotated[str, StringConstraints(max_length=16)] = ""
    aka_names: Annotated[list[Annotated[str, StringConstraints(max_length=128)]],
                         Field(max_length=8)] = []  # fmt: skip
    dob: date
    sex: Sex | None = None
    ssn: SsnTokensIn | None = None
    issue_date: date | None = None
    expiry_date: date | None = None
    status: Status = Status.ACTIVE

    def to_domain(self, jurisdiction: str) -> PointerRecord:
        return PointerRecord(
            jurisdiction=jurisdiction,
            record_id=self.record_id,
            identity=Identity(
                first_name=self.first_name, middle_name=self.middle_name,
                last_name=self.last_name, suffix=self.suffix,
                aka_names=tuple(self.aka_names), dob=self.dob, sex=self.sex,
                ssn=self.ssn.to_domain() if self.ssn else None,
            ),
            card=Card(self.card_type, self.real_id, self.status, self.issue_date,
                      self.expiry_date),
        )  # fmt: skip


class PointerBatchIn(Strict):
    pointers: Annotated[list[PointerIn], Field(min_length=1, max_length=1000)]


class BatchOut(BaseModel):
    added: int
    updated: int
    unchanged: int
    cases_opened: dict[str, int] = Field(
        default_factory=dict,
        description="Duplicate cases the batch opened, per counterpart state (omitted if none)",
    )


class PointerOut(BaseModel):
    pointer_id: str
    jurisdiction: str
    record_id: str
    card_type: CardType
    real_id: bool
    status: Status
    first_name: str
    middle_name: str
    last_name: str
    suffix: str
    aka_names: list[str]
    dob: date
    sex: Sex | None
    issue_date: date | None
    expiry_date: date | None
    version: int


class PointerPage(BaseModel):
    items: list[PointerOut]
    next_cursor: str | None = Field(description="Pass as ?after= for the next page")


class SearchIn(Strict):
    """One specific person: names and full date of birth are required; no wildcards."""

    first_name: Name
    last_name: Name
    dob: date
    middle_name: Name = ""
    suffix: Annotated[str, StringConstraints(max_length=16)] = ""
    sex: Sex | None = None
    ssn: SsnTokensIn | None = None
    purpose: Purpose

    def to_domain(self) -> SearchInquiry:
        return SearchInquiry(
            Identity(first_name=self.first_name, last_name=self.last_name, dob=self.dob,
                     middle_name=self.middle_name, suffix=self.suffix, sex=self.sex,
                     ssn=self.ssn.to_domain() if self.ssn else None),
            self.purpose,
        )  # fmt: skip


_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


class CarryIn(Strict):
    """The issuance inquiry that listed the pointer, and the candidate the clerk confirmed."""

    inquiry_id: Annotated[str, StringConstraints(pattern=_UUID)] = Field(
        description="The inquiry_id of your own recent issuance search")
    pointer_id: Annotated[str, StringConstraints(pattern=_UUID)] = Field(
        description="A candidate that search returned")


class SsnTokensOut(BaseModel):
    full: str
    masked: list[str]


class CarryOut(BaseModel):
    inquiry_id: str
    pointer_id: str
    ssn: SsnTokensOut | None = Field(
        description="The confirmed pointer's SSN tokens, for the issuing state to adopt")


class CandidateOut(BaseModel):
    pointer_id: str
    jurisdiction: str
    match_class: Literal["match", "possible"]
    weight: float
    probability: float
    evidence: dict[str, str] = Field(description="Comparison level each field reached")


class SearchOut(BaseModel):
    inquiry_id: str
    candidates: list[CandidateOut]


class StatusOut(BaseModel):
    pointer_id: str
    jurisdiction: str
    card_type: CardType
    real_id: bool
    status: Status
    issue_date: date | None
    expiry_date: date | None


class JurisdictionOut(BaseModel):
    code: str
    name: str


class ProblemItem(BaseModel):
    """One reason a request was refused: which item of a batch (if any) and which field."""

    index: int | None = Field(default=None, description="Position of the item in a batch")
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, sent as application/problem+json."""

    type: str
    title: str
    status: int
    detail: str = Field(description="What went wrong and what the caller can do about it")
    instance: str | None = None
    errors: list[ProblemItem] | None = Field(default=None, description="Field-level reasons")
