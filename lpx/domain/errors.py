"""Domain errors: carry field-level reasons a clerk can act on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field} {self.message}"


class DomainError(Exception):
    """Base of errors that mean the caller asked for something the rules forbid."""


class ValidationFailed(DomainError):
    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))
