"""The pure domain core: records, normalization, matching and inquiry rules. No I/O."""

from lpx.domain.blocking import inquiry_keys, pointer_keys
from lpx.domain.errors import DomainError, FieldError, ValidationFailed
from lpx.domain.estimation import estimate_u, expectation_maximisation
from lpx.domain.frequency import frequency_table
from lpx.domain.inquiry import Purpose, SearchInquiry
from lpx.domain.linkage import ScoredPair, rank
from lpx.domain.model import MatchModel
from lpx.domain.names import NormalizedName
from lpx.domain.profile import MatchProfile
from lpx.domain.records import Card, CardType, Identity, PointerRecord, Sex, SsnTokens, Status
from lpx.domain.vectorized import ProfileArrays, levels

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
    "ProfileArrays",
    "Purpose",
    "ScoredPair",
    "SearchInquiry",
    "Sex",
    "SsnTokens",
    "Status",
    "ValidationFailed",
    "estimate_u",
    "expectation_maximisation",
    "frequency_table",
    "inquiry_keys",
    "levels",
    "pointer_keys",
    "rank",
]
