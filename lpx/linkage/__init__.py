"""Batch record linkage: deduplicate whole license files offline with the hub's own engine.

Hub-independent (no storage, no HTTP): reads files in the state file layout into profile
columns, builds the same blocking keys the hub builds, joins them in DuckDB and scores the
candidate pairs from integer name codes held equal to :mod:`lpx.domain.vectorized`, so an
offline run and the online search agree.
"""

from lpx.linkage.batch import Linkage, PairRow, dedupe
from lpx.linkage.columns import RecordColumns, read_columns
from lpx.linkage.records import RecordTable, read_records

__all__ = [
    "Linkage",
    "PairRow",
    "RecordColumns",
    "RecordTable",
    "dedupe",
    "read_columns",
    "read_records",
]
