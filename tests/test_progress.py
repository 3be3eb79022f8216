"""The progress line a run prints when stderr is not a terminal: with a fake clock."""

from __future__ import annotations

import io
import threading

import pytest

from benchmarks.run.progress import Progress, duration, progress_lines
from benchmarks.run.settings import load_config
from generators.errors import ConfigError


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_durations_read_as_hours_minutes_and_seconds():
    assert [duration(s) for s in (0, 42.4, 845, 3720, 36000)] == ["0s", "42s", "14m05s", "1h02m", "10h00m"]


def test_the_line_counts_cells_and_estimates_time_left_from_those_this_session_finished():
    clock, lines = FakeClock(), []
    progress = Progress("cells", 12, 2, every=60, log=lines.append, clock=clock)  # 2 kept from before
    clock.now += 30
    assert (
        progress.line()
        == "progress: 2/12 cells done, 30s elapsed, time left unknown until the first one ends"
    )
    clock.now += 570
    progress.finished()  # one cell in 600 s; 9 left -> 5,400 s
    assert progress.line() == "progress: 3/12 cells done, 10m00s elapsed, about 1h30m left"
    progress.finished()  # two in 600 s: 300 s each, 8 left -> 2,400 s
    assert progress.line() == "progress: 4/12 cells done, 10m00s elapsed, about 40m00s left"


def test_a_line_is_logged_once_per_period_of_the_clock():
    clock, lines = FakeClock(), []
    progress = Progress("cells", 3, 0, every=45, log=lines.append, clock=clock)
    for step in (10, 20, 14, 1, 44, 1):  # ticks at 10, 30, 44, 45, 89, 90 s
        clock.now += step
        progress.tick()
    assert [line.split(", ")[1] for line in lines] == ["45s elapsed", "1m30s elapsed"]


class Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    "tty, every, expected", [(False, 0.01, True), (True, 0.01, False), (False, 0, False)]
)
def test_lines_come_from_a_thread_only_when_stderr_is_no_terminal(tty, every, expected):
    logged = threading.Event()
    progress = Progress("cells", 2, 0, every=every, log=lambda line: logged.set())
    with progress_lines(progress, Stream(tty), poll=0.005):
        logged.wait(timeout=2 if expected else 0.1)
    assert logged.is_set() == expected


def test_progress_every_is_checked_where_it_is_read():
    assert load_config("quick", ["run.progress_every=30"])[0].run.progress_every == 30
    with pytest.raises(ConfigError, match="progress_every"):
        load_config("quick", ["run.progress_every=-1"])


def test_a_run_logged_to_a_file_prints_progress_lines(tmp_path, monkeypatch):
    from support import plan_of, small_config, write_corpus

    from benchmarks.run.harness import run_benchmark

    monkeypatch.setenv("TEXTGEN_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("sys.stderr", Stream(False))
    plan, corpora = plan_of(small_config(write_corpus(tmp_path / "corpus.txt"), progress_every=0.2))
    lines: list[str] = []
    run_benchmark(plan, corpora, run_dir=tmp_path / "run", log=lines.append)
    progress = [line for line in lines if line.startswith("progress: ")]
    assert progress and progress[0].startswith("progress: 0/1 cells done, ")
