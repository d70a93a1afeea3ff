"""Batch record linkage: deduplicate whole license files offline with the hub's own engine.

Hub-independent (no storage, no HTTP): reads files in the state file layout, builds the
same match profiles and blocking keys the hub builds, joins keys in DuckDB and scores the
candidate pairs with :mod:`lpx.domain.linkage`, so an offline run and the online search agree.
"""

from lpx.linkage.batch import Linkage, PairRow, dedupe
from lpx.linkage.records import RecordTable, read_records

__all__ = ["Linkage", "PairRow", "RecordTable", "dedupe", "read_records"]
