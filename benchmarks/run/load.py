"""How busy the machine was while a cell's speeds were measured.

Speeds measured beside other work are lower than an idle machine's, so the throughput stage
records, around its timings, the 1-minute load average (``os.getloadavg``) before and after, and
the cores other processes kept busy meanwhile: the machine's busy CPU time (``/proc/stat``) less
this process's own (``getrusage``), per second of measuring. The load average counts this
worker's own threads too (it has just run the sweep), so the rule reads the others' share:

**busy** when other processes kept more than half of each core busy (``BUSY_PER_CORE``) while
the speeds were measured; where ``/proc/stat`` is missing (not Linux), when the larger of the two
load averages exceeds half a task per core (this run's own work included).
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path
from typing import Any

BUSY_PER_CORE = 0.5  # others' load per core above which speeds are not an idle machine's
PROC_STAT = Path("/proc/stat")
BUSY_FIELDS = (0, 1, 2, 5, 6, 7)  # user, nice, system, irq, softirq, steal (idle, iowait excluded)


def busy_cpu_seconds(stat: Path = PROC_STAT) -> float | None:
    """CPU seconds all cores spent busy since boot, from /proc/stat's first line; None without it."""
    try:
        first = stat.read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    if first[0] != "cpu":
        return None
    ticks = [int(v) for v in first[1:]]
    return sum(ticks[i] for i in BUSY_FIELDS if i < len(ticks)) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_1min() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def is_busy(others_busy_cores: float | None, loads: list[float | None], cores: int) -> bool:
    """The rule of this module's docstring."""
    if others_busy_cores is not None:
        return others_busy_cores > BUSY_PER_CORE * cores
    known = [load for load in loads if load is not None]
    return bool(known) and max(known) > BUSY_PER_CORE * cores


class LoadWatch:
    """Readings around a measurement: ``start()`` before it, ``stop()`` after, which returns them."""

    def start(self) -> LoadWatch:
        self.load_before = load_1min()
        self.busy, self.own, self.wall = busy_cpu_seconds(), own_cpu_seconds(), time.monotonic()
        return self

    def stop(self) -> dict[str, Any]:
        busy, own, wall = busy_cpu_seconds(), own_cpu_seconds(), time.monotonic()
        others = None
        if busy is not None and self.busy is not None and wall > self.wall:
            others = max(0.0, (busy - self.busy) - (own - self.own)) / (wall - self.wall)
        load_after, cores = load_1min(), os.cpu_count() or 1
        return {
            "load_1min_before": self.load_before,
            "load_1min_after": load_after,
            "cores": cores,
            "others_busy_cores": others,
            "busy": is_busy(others, [self.load_before, load_after], cores),
        }
