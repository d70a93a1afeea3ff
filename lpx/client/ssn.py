"""SSN-5 tokens and decoys: the hub sees neither the digits nor whether a person has any.

A real SSN-5 becomes keyed tokens under the network ``token_key``: the token of all five
digits and the tokens of the variants with one of the first four digits masked, so a single
mistyped digit there still leaves one agreeing masked token. The last digit has no mask:
consecutive numbers (twins enumerated together) differ only there, and a decoy, which knows
no twin, could not agree with a sibling's the way a real number does. A person without an
SSN (empty or the legacy ``99999``) gets *decoy* tokens: the tokens of a valid-looking SSN-5
value picked by a keyed hash of robust identity keys (nickname root and surname phonetics,
birth date). The decoy is drawn from the same value space as real SSN-5s and tokenized the
same way, so without the keys a decoy token set is indistinguishable from a real one, and the
same person gets the same decoy in every state, which keeps duplicate detection working.

This module is state-side only; the hub must never import it (see
``tests/unit/client/test_hub_has_no_network_key.py``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from lpx.client.keys import NetworkKeys
from lpx.domain.names import canonical_first, phonetic, surname_parts
from lpx.domain.records import MASKED_TOKEN_COUNT, SsnTokens

NO_SSN_SENTINEL = "99999"
SSN5_LENGTH = 5
MASK_CHAR = "*"
TOKEN_BYTES = 16
# Real SSN-5s are the last group digit (0-9) and a serial 0001-9999 (0000 is never issued).
# 99999 is excluded because states send it to mean "no SSN", so it is never tokenized.
SERIALS = 9999
DECOY_SPACE = 10 * SERIALS - 1

# Domain separation: a full token, a masked token and a decoy derivation can never collide.
_FULL = b"lpx:ssn5:full:v1\x00"
_MASKED = b"lpx:ssn5:masked:v1\x00"
_DECOY = b"lpx:ssn5:decoy:v1\x00"
_TYPO = b"lpx:ssn5:decoy-typo:v1\x00"
_SEP = "\x1f"


def _hmac_token(key: bytes, label: bytes, text: str) -> str:
    digest = hmac.new(key, label + text.encode("ascii"), hashlib.sha256).digest()
    return digest[:TOKEN_BYTES].hex()


def _tokens_of(value: str, keys: NetworkKeys) -> SsnTokens:
    """Tokens of five digits, without the sentinel check (decoys and tests use this)."""
    masked = tuple(
        _hmac_token(keys.token_key, _MASKED, value[:i] + MASK_CHAR + value[i + 1 :])
        for i in range(MASKED_TOKEN_COUNT)
    )
    return SsnTokens(full=_hmac_token(keys.token_key, _FULL, value), masked=masked)


def validate_ssn5(ssn5: str) -> str:
    """The SSN-5 as five ASCII digits, or ValueError naming what is wrong."""
    value = ssn5.strip()
    if len(value) != SSN5_LENGTH or not (value.isascii() and value.isdigit()):
        raise ValueError(
            f"SSN-5 must be exactly {SSN5_LENGTH} digits (the last five of the SSN), "
            f"got {len(value)} character(s)"
        )
    return value


def tokenize(ssn5: str, keys: NetworkKeys) -> SsnTokens:
    """Tokens of a real SSN-5. Refuses ``99999``: tokenizing the sentinel would mark the person.

    The error message never echoes the digits, so it is safe to log.
    """
    value = validate_ssn5(ssn5)
    if value == NO_SSN_SENTINEL:
        raise ValueError(
            "99999 means 'no SSN' and must not be tokenized; use ssn_tokens_for(), "
            "which sends a decoy instead"
        )
    return _tokens_of(value, keys)


# Share of stored records whose decoy carries one mistyped digit, as real SSN-5s do: in
# ``lpx synth`` (default rates) 2.8% of a real-SSN person's record pairs are one digit off;
# a flat per-record rate r gives ~2r of pairs, hence 0.014. Inquiries are never perturbed.
TYPO_RATE = 0.014


def _maiden_surname(first: str, aka_names: Sequence[str]) -> str | None:
    """The surname of an AKA that is the same person's other full name (a maiden name).

    Only an AKA of two or more words whose given name has the record's first-name root
    counts: "Maria Lopez" on Maria Smith's card is her other surname; a bare "Ann" is not.
    Among several, the alphabetically first folded surname, so the choice is deterministic.
    """
    root = canonical_first(first)
    found: list[str] = []
    for aka in aka_names:
        words = aka.split()
        if len(words) < 2 or canonical_first(words[0]) != root:
            continue
        parts = surname_parts(" ".join(words[1:]))
        if parts:
            found.append(" ".join(parts))
    return min(found) if found else None


def decoy_key_parts(
    first: str, last: str, dob: date, aka_names: Sequence[str] = ()
) -> tuple[str, ...]:
    """The identity keys a decoy is derived from, chosen to survive how names get re-spelled.

    - first name: metaphone of its nickname root, so Bill/William and Micheal/Michael agree;
    - surname: metaphone of its first significant part, so case, accents, hyphens, particles,
      one-letter typos and a dropped second surname (Garcia Lopez -> Garcia) agree;
    - the two name keys are sorted, so a first/last swap agrees;
    - birth date: year with month and day sorted, so a day/month swap agrees;
    - an AKA that is the same given name with another surname (a maiden name carried on the
      married-name card) replaces the surname, so that card keeps the maiden-name decoy.
    Every added invariance makes namesakes (different people, same keys) share a decoy a
    little more often; docs/privacy.md gives the measured trade-off.
    """
    if (maiden := _maiden_surname(first, aka_names)) is not None:
        last = maiden
    low, high = sorted((dob.month, dob.day))
    return (*sorted((_first_key(first), _last_key(last))), f"{dob.year:04d}", f"{low:02d}",
            f"{high:02d}")  # fmt: skip


# Names repeat across a state's file: each spelling's key is derived once (a batch run
# computes a decoy for every record without an SSN).
@lru_cache(maxsize=65536)
def _first_key(first: str) -> str:
    return phonetic(canonical_first(first))


@lru_cache(maxsize=65536)
def _last_key(last: str) -> str:
    parts = surname_parts(last)
    return phonetic(parts[0]) if parts else ""


def _index_to_value(index: int) -> str:
    group_digit, serial = divmod(index, SERIALS)
    return f"{group_digit}{serial + 1:04d}"


def _valid_value(value: str) -> bool:
    return value[1:] != "0000" and value != NO_SSN_SENTINEL


def decoy_value(
    first: str,
    last: str,
    dob: date,
    keys: NetworkKeys,
    aka_names: Sequence[str] = (),
    record: str | None = None,
    counter: int = 0,
) -> str:
    """A valid-looking SSN-5 for a person without an SSN, the same in every state.

    The 256-bit HMAC is reduced modulo the size of the SSN-5 value space; the bias of that
    reduction is below 2**-200, so decoys are uniform over real-looking values. With
    ``record`` (a stored record's "STATE/record id"), a keyed draw gives the value one
    mistyped digit in ``TYPO_RATE`` of records, stable across reloads, so decoy holders
    show one-digit-off pairs as often as real SSN holders; an inquiry passes no record.
    ``counter`` (the carry protocol's namesake count, see :func:`issuance_tokens`) picks
    another value for the same keys; 0 is the plain decoy.
    """
    message = _SEP.join(decoy_key_parts(first, last, dob, aka_names))
    if counter:
        message += f"{_SEP}#{counter}"
    value = _decoy_from_message(message, keys)
    if record is not None and TYPO_RATE > 0:
        value = _mimic_typo(value, record, keys)
    return value


def decoy_values(
    people: Iterable[tuple[str, str, date, Sequence[str], str]], keys: NetworkKeys
) -> list[str]:
    """``decoy_value(first, last, dob, keys, aka_names, record)`` of each
    ``(first, last, dob, aka_names, record)``: the decoys of a batch run's records without
    an SSN."""
    return [decoy_value(first, last, dob, keys, aka_names, record)
            for first, last, dob, aka_names, record in people]  # fmt: skip


def _decoy_from_message(message: str, keys: NetworkKeys) -> str:
    """The valid SSN-5 value a keyed hash of the identity keys picks."""
    digest = hmac.new(keys.decoy_key, _DECOY + message.encode("ascii"), hashlib.sha256).digest()
    return _index_to_value(int.from_bytes(digest, "big") % DECOY_SPACE)


def _mimic_typo(value: str, record: str, keys: NetworkKeys, rate: float = TYPO_RATE) -> str:
    """The value, or with one digit changed (same rule as a clerk's slip) for a keyed few."""
    text = _SEP.join((value, record)).encode("utf-8")
    digest = hmac.new(keys.decoy_key, _TYPO + text, hashlib.sha256).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    if draw >= rate:
        return value
    pos = digest[8] % SSN5_LENGTH
    delta = 1 + digest[9] % 9
    typed = value[:pos] + str((int(value[pos]) + delta) % 10) + value[pos + 1 :]
    return typed if _valid_value(typed) else value


def has_ssn(ssn_last5: str | None) -> bool:
    """False for the ways states write "no SSN": missing, blank or the ``99999`` sentinel."""
    return bool(ssn_last5 and ssn_last5.strip() and ssn_last5.strip() != NO_SSN_SENTINEL)


def ssn_tokens_for(
    ssn_last5: str | None,
    first: str,
    last: str,
    dob: date,
    keys: NetworkKeys,
    *,
    aka_names: Sequence[str] = (),
    record: str | None = None,
    counter: int = 0,
) -> SsnTokens:
    """Tokens to send for a record or an inquiry: real ones, or a decoy's when there is no SSN.

    ``record`` names the stored record ("CA/D1234567"): pass it when loading a pointer and
    leave it out for an inquiry. An inquiry that simply omits SSN-5 should send no tokens at
    all; this function is for the applicant who has none, whose decoy must match their pointer.
    ``counter`` sets a decoy apart from namesakes' (the carry protocol, below).
    """
    if has_ssn(ssn_last5):
        assert ssn_last5 is not None
        return tokenize(ssn_last5, keys)
    return _tokens_of(decoy_value(first, last, dob, keys, aka_names, record, counter=counter),
                      keys)  # fmt: skip


# --- the carry protocol: one decoy per person, across states --------------------------------
#
# A decoy computed from a record's own name splits a person whose name changed (two decoys
# where a real SSN stays the same) and joins namesakes (one decoy where real SSNs differ).
# Both are fixed with what the issuing state learns at the counter anyway: its issuance
# inquiry (docs/privacy.md, "Carrying the decoy").

# A carried value is copied from one stored record, so its pair with that record is one digit
# off at this rate, and two records carried from the same one at about twice it; real SSN-5
# pairs are off at ~2 x TYPO_RATE whatever their number. 1.5 x TYPO_RATE puts the average
# over the pairs of 2- and 3-record people near the real rate (measured in docs/privacy.md).
CARRY_TYPO_RATE = 1.5 * TYPO_RATE


@dataclass(frozen=True, slots=True)
class IssuanceOutcome:
    """What the clerk decided about the issuance inquiry's candidates.

    ``confirmed``: the SSN tokens of the pointer the clerk confirmed as this applicant, as
    the hub's carry inquiry returned them (``HubClient.carry``), or None. ``namesakes``: how
    many ``match`` candidates the clerk judged to be different people. Gathered the same way
    for every applicant, with or without an SSN.
    """

    confirmed: SsnTokens | None = None
    namesakes: int = 0


@lru_cache(maxsize=4)
def _value_table(token_key: bytes) -> dict[str, str]:
    """Full token -> SSN-5 value for every valid value (99,989 HMACs, ~0.2 s, kept)."""
    out: dict[str, str] = {}
    for index in range(DECOY_SPACE):
        value = _index_to_value(index)
        out[_hmac_token(token_key, _FULL, value)] = value
    return out


def value_of_tokens(tokens: SsnTokens, keys: NetworkKeys) -> str | None:
    """The SSN-5 value behind full token ``tokens``, or None if it is no valid value's.

    Any holder of ``token_key`` can do this (docs/privacy.md says so); the carry protocol
    needs it to give an adopted value the same typo mimicry as a derived one.
    """
    return _value_table(keys.token_key).get(tokens.full)


def issuance_tokens(
    ssn_last5: str | None,
    first: str,
    last: str,
    dob: date,
    keys: NetworkKeys,
    *,
    aka_names: Sequence[str] = (),
    record: str,
    outcome: IssuanceOutcome,
) -> SsnTokens:
    """The tokens to store for a newly issued record, after the issuance inquiry.

    - A real SSN-5 is always sent as itself (the carry inquiry was made all the same, so the
      hub saw the same exchange as for an applicant without one).
    - No SSN, and the clerk confirmed an existing pointer: adopt that pointer's value (so
      a renamed person keeps one decoy), one digit changed for ``CARRY_TYPO_RATE`` of
      records, as a real SSN copied by another clerk would be.
    - No SSN, nothing confirmed: the derived decoy, with ``counter`` = the namesakes the clerk
      set apart, so two different people with the same keys do not share a value.
    """
    if outcome.confirmed is not None and not has_ssn(ssn_last5):
        adopted = value_of_tokens(outcome.confirmed, keys)
        if adopted is not None:
            return _tokens_of(_mimic_typo(adopted, record, keys, CARRY_TYPO_RATE), keys)
    return ssn_tokens_for(ssn_last5, first, last, dob, keys, aka_names=aka_names,
                          record=record, counter=outcome.namesakes)  # fmt: skip
