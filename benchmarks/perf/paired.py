"""Paired rounds: the way the speed benchmarks compare two implementations on a shared, noisy CPU."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


class PairedRounds:
    """Each round times ``ours`` and ``theirs`` back to back (in turn first), so a slow spell of a
    shared CPU hits both; the ratio is the median of the per-round speed ratios."""

    def __init__(self, ours: Callable[[], object], theirs: Callable[[], object]) -> None:
        self.ours, self.theirs = ours, theirs
        self.our_seconds: list[float] = []
        self.their_seconds: list[float] = []

    def __call__(self) -> None:
        if len(self.our_seconds) % 2:
            self.their_seconds.append(seconds(self.theirs))
            self.our_seconds.append(seconds(self.ours))
        else:
            self.our_seconds.append(seconds(self.ours))
            self.their_seconds.append(seconds(self.theirs))

    @property
    def ratios(self) -> list[float]:
        """Per round: our speed / their speed (their seconds / ours, for the same work)."""
        return [t / o for o, t in zip(self.our_seconds, self.their_seconds, strict=True)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)
