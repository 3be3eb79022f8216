"""The throughput section's sentence on how busy the machine was while each row's speeds were measured."""

from __future__ import annotations

from benchmarks.report.data import CorpusRun
from benchmarks.run.load import BUSY_PER_CORE


def load_note(run: CorpusRun) -> str:
    """How busy the machine was while each row's speeds were measured, as the throughput stage
    stored it (:mod:`benchmarks.run.load`), naming the rows measured on a busy machine."""
    readings = [
        (name, cell["throughput"]["load"])
        for name in run.names
        for cell in run.seed_cells(name)
        if isinstance((cell.get("throughput") or {}).get("load"), dict)
    ]
    if not readings:
        return "The load on the machine while measuring was not recorded."
    loads = [r.get(k) for _, r in readings for k in ("load_1min_before", "load_1min_after")]
    loads = [v for v in loads if isinstance(v, int | float)]
    others = [
        r["others_busy_cores"] for _, r in readings if isinstance(r.get("others_busy_cores"), int | float)
    ]
    cores = readings[0][1].get("cores")
    parts = [f"1-minute load average {span(loads)} before and after the timings"] if loads else []
    if others:
        parts.append(f"other processes kept {span(others)} of the {cores} cores busy meanwhile")
    busy = list(dict.fromkeys(name for name, r in readings if r.get("busy")))
    rule = (
        f"(busy: other processes above {BUSY_PER_CORE} of each core while measuring, or without that "
        f"reading the load average above {BUSY_PER_CORE} per core)"
    )
    verdict = (
        f"**Not an idle machine's figures** for {', '.join(busy)} {rule}: compare them with care."
        if busy
        else f"An idle machine's figures for every row {rule}."
    )
    return f"Load: {'; '.join(parts)}. {verdict}" if parts else verdict


def span(values: list[float]) -> str:
    """'0.42' or '0.42 to 1.87'."""
    low, high = f"{min(values):.2f}", f"{max(values):.2f}"
    return low if low == high else f"{low} to {high}"
