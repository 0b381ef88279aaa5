"""Wall time and peak memory of one call, and the size of a feature table on disk."""

from __future__ import annotations

import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets

SAMPLE_SECONDS = 0.02
_STATM = Path("/proc/self/statm")


@dataclass(frozen=True)
class Measurement:
    """What one call returned, how long it took and how far memory grew."""

    result: Any
    seconds: float
    peak_mib: float


def resident_mib() -> float:
    """Resident memory of this process now (Linux), else its peak so far."""
    if _STATM.exists():
        pages = int(_STATM.read_text().split()[1])
        return pages * resource.getpagesize() / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in bytes on macOS, in KiB elsewhere.
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


class _PeakSampler(threading.Thread):
    """Polls resident memory until stopped; the poll is cheap next to the stages."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = resident_mib()
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(SAMPLE_SECONDS):
            self.peak = max(self.peak, resident_mib())

    def stop(self) -> float:
        self._done.set()
        self.join()
        return max(self.peak, resident_mib())


def measure(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Measurement:
    """Run ``call`` once; peak memory is the resident growth over its start."""
    start_mib = resident_mib()
    sampler = _PeakSampler()
    sampler.start()
    began = time.perf_counter()
    try:
        result = call(*args, **kwargs)
    finally:
        seconds = time.perf_counter() - began
        peak = sampler.stop()
    return Measurement(result=result, seconds=seconds, peak_mib=peak - start_mib)


def measure_best(
    repeats: int, call: Callable[..., Any], *args: Any, **kwargs: Any
) -> Measurement:
    """``measure`` ``repeats`` times: the fastest time, the largest memory
    growth, the last result. Sub-second stages vary with what else the machine
    does; the fastest run is the one least disturbed."""
    runs = [measure(call, *args, **kwargs) for _ in range(max(1, repeats))]
    return Measurement(
        result=runs[-1].result,
        seconds=min(run.seconds for run in runs),
        peak_mib=max(run.peak_mib for run in runs),
    )


def disk_bytes(features: datasets.Dataset) -> int:
    """Bytes the table takes as Arrow files written by ``save_to_disk``."""
    with tempfile.TemporaryDirectory(prefix="bench_features_") as folder:
        features.save_to_disk(folder)
        return sum(f.stat().st_size for f in Path(folder).rglob("*.arrow"))
