"""The pure domain core: records, normalization, matching and inquiry rules. No I/O."""

from lpx.domain.blocking import inquiry_keys, pointer_keys
from lpx.domain.errors import DomainError, FieldError, ValidationFailed
from lpx.domain.inquiry import Purpose, SearchInquiry
from lpx.domain.linkage import ScoredPair, rank
from lpx.domain.model import MatchModel
from lpx.domain.names import NormalizedName
from lpx.domain.profile import MatchProfile
from lpx.domain.records import Card, CardType, Identity, PointerRecord, Sex, SsnTokens, Status

__all__ = [
    "Card",
    "CardType",
    "DomainError",
    "FieldError",
    "Identity",
    "MatchModel",
    "MatchProfile",
    "NormalizedName",
    "PointerRecord",
    "Purpose",
    "ScoredPair",
    "SearchInquiry",
    "Sex",
    "SsnTokens",
    "Status",
    "ValidationFailed",
    "inquiry_keys",
    "pointer_keys",
    "rank",
]
