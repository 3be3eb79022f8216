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
