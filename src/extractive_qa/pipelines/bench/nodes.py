"""The benchmark's nodes are the library's three steps as they are: each takes
its inputs and parameter groups and returns what the next one or the catalog
needs."""

from extractive_qa.bench.comparison import (
    benchmark_features,
    benchmark_inference,
    benchmark_training,
)

__all__ = ["benchmark_features", "benchmark_inference", "benchmark_training"]
