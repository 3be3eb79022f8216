"""The machine's load around the throughput timings, and the rule that calls it busy."""

from __future__ import annotations

import os

import pytest

from benchmarks.run.load import LoadWatch, busy_cpu_seconds, is_busy


def test_busy_cpu_seconds_sum_the_busy_fields_of_proc_stat(tmp_path):
    stat = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal guest guest_nice
    stat.write_text("cpu  100 20 30 5000 70 1 2 3 0 0\ncpu0 50 10 15 2500 35 0 1 1 0 0\n")
    assert busy_cpu_seconds(stat) == pytest.approx((100 + 20 + 30 + 1 + 2 + 3) / os.sysconf("SC_CLK_TCK"))
    assert busy_cpu_seconds(tmp_path / "missing") is None


def test_others_above_half_of_each_core_make_the_machine_busy():
    assert not is_busy(1.0, [3.0, 3.0], cores=2)  # the others' share rules, not the load average
    assert is_busy(1.01, [0.0, 0.0], cores=2)
    assert not is_busy(0.3, [None, None], cores=1)
    assert is_busy(None, [0.2, 1.1], cores=2)  # no /proc/stat: the larger load average
    assert not is_busy(None, [0.9, None], cores=2)
    assert not is_busy(None, [None, None], cores=2)


def test_a_watch_records_both_load_averages_and_the_others_share():
    readings = LoadWatch().start().stop()
    assert set(readings) == {"load_1min_before", "load_1min_after", "cores", "others_busy_cores", "busy"}
    assert readings["cores"] == os.cpu_count() and isinstance(readings["busy"], bool)


def run_with_loads(*readings: dict) -> object:
    from benchmarks.report.data import Run

    cells = [
        {"row": f"g{i}", "corpus": "c", "seed": 0, "throughput": {"load": r}} for i, r in enumerate(readings)
    ]
    rows = [c["row"] for c in cells]
    return Run({"schema": 2, "rows": rows, "corpora": [{"name": "c", "rows": {}}], "cells": cells}).views[0]


def reading(before: float, after: float, others: float | None, busy: bool) -> dict:
    return {
        "load_1min_before": before,
        "load_1min_after": after,
        "cores": 2,
        "others_busy_cores": others,
        "busy": busy,
    }


def test_the_report_names_the_rows_measured_on_a_busy_machine():
    from benchmarks.report.load import load_note

    note = load_note(run_with_loads(reading(1.0, 1.2, 0.1, False), reading(2.5, 3.0, 1.6, True)))
    assert note.startswith(
        "Load: 1-minute load average 1.00 to 3.00 before and after the timings; other processes kept "
        "0.10 to 1.60 of the 2 cores busy meanwhile. **Not an idle machine's figures** for g1 (busy: "
    )
    idle = load_note(run_with_loads(reading(0.5, 0.5, 0.0, False)))
    assert "average 0.50 before" in idle and "An idle machine's figures for every row" in idle
    assert load_note(run_with_loads()) == "The load on the machine while measuring was not recorded."
