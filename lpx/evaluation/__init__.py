"""Measuring linkage accuracy against ground truth: FEBRL benchmarks and ``lpx synth`` files."""

from lpx.evaluation.datasets import Dataset, febrl, synth
from lpx.evaluation.metrics import PairMetrics, best_f1, confusion
from lpx.evaluation.report import Evaluation, evaluate

__all__ = ["Dataset", "Evaluation", "PairMetrics", "best_f1", "confusion", "evaluate",
           "febrl", "synth"]  # fmt: skip
