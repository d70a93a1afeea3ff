"""Service-level errors; the API maps each to one problem type."""

from __future__ import annotations

from dataclasses import dataclass


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class InvalidRequest(ServiceError):
    """Well-formed input that asks for something impossible (a reversed range, say)."""

    status = 422
    title = "Invalid request"


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Unauthenticated(ServiceError):
    status = 401
    title = "Not signed in"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"


@dataclass(frozen=True, slots=True)
class ItemError:
    index: int
    field: str
    message: str


class BatchRejected(ServiceError):
    """A batch with any invalid item is refused whole: nothing of it is written."""

    status = 422
    title = "Batch rejected"

    def __init__(self, errors: list[ItemError]) -> None:
        self.errors = errors
        n = len({e.index for e in errors})
        super().__init__(f"{n} of the pointers in this batch are invalid; nothing was written.")
