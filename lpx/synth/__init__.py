"""Synthetic state license files with ground truth, for measuring record-linkage accuracy."""

from lpx.synth.names import name_pools
from lpx.synth.people import (
    COLUMNS,
    DEFAULT_STATES,
    ERROR_TYPES,
    ErrorRates,
    SynthRecord,
    generate,
)
from lpx.synth.writer import TRUTH_COLUMNS, SynthSummary, write_files

__all__ = [
    "COLUMNS",
    "DEFAULT_STATES",
    "ERROR_TYPES",
    "TRUTH_COLUMNS",
    "ErrorRates",
    "SynthRecord",
    "SynthSummary",
    "generate",
    "name_pools",
    "write_files",
]
