"""Fixed work in a run: a busy machine changes only timings, and a training a time cap cut short is
marked so and never stands in the model cache for the complete one."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import SMALL_RUN, TIMING, TINY_RECURRENT, run_config, small_config, strip_timing

from benchmarks.run.model_cache import CUT_SHORT
from benchmarks.run.plan import load_plan
from benchmarks.run.store import RunStore
from generators.options import merged

STEPS = 20  # TINY_RECURRENT's schedule is 40 steps: the budget, not max_steps, ends the training
SAFETY_NET = 60.0  # seconds: like the profiles' cap, far beyond what the fixed work takes (under 1 s)
NOT_CACHED = re.compile(f"{TIMING.pattern}|cached")  # also whether the model came from the cache


@pytest.fixture
def corpus(corpus_file, model_cache):
    """A small file corpus and a private model cache."""
    return corpus_file


def char_lstm_config(corpus: Path, cap: float | None):
    """A tiny char-lstm run like the quick profile's: fixed work (STEPS), ``cap`` seconds beside it."""
    section = {"budget_steps": STEPS, "options": TINY_RECURRENT}
    section = section if cap is None else {**section, "budget_seconds": cap}
    data = merged(SMALL_RUN, {"generators": {"char-lstm": section}, "sweep": {"samples_per_prompt": 1}})
    return small_config(corpus, data=data, generators=["char-lstm"])


def cell_of(run_dir: Path) -> dict:
    (cell,) = json.loads((run_dir / "results.json").read_text())["cells"]
    return cell


def model_dir(run_dir: Path) -> Path:
    """The model folder the run's only cell used (its fit piece says)."""
    store = RunStore(run_dir)
    (cell,) = load_plan(run_dir).cells
    return Path(store.load(cell.id, "fit")["model_dir"])


def test_a_cut_short_training_is_marked_and_never_reused_as_the_complete_model(tmp_path, corpus):
    capped_dir = run_config(char_lstm_config(corpus, cap=1e-6), tmp_path / "capped")
    capped = cell_of(capped_dir)
    assert capped["fit"]["stopped_by"] == "seconds" and capped["fit"]["steps"] < STEPS
    assert "‡ A time cap stopped the fixed-work training early" in (capped_dir / "report.md").read_text()
    kept = model_dir(capped_dir)  # beside the complete model's folder, which stays empty
    complete_folder = kept.with_name(kept.name.split(CUT_SHORT)[0])
    assert CUT_SHORT in kept.name and kept.is_dir() and not complete_folder.exists()
    shutil.copytree(kept, complete_folder)  # as an older cache would hold it: under the complete key
    complete_dir = run_config(char_lstm_config(corpus, cap=None), tmp_path / "complete")
    complete = cell_of(complete_dir)
    assert model_dir(complete_dir) == complete_folder  # the cap is not part of a fixed-work key
    assert complete["cached"] is False  # the cut-short model was not taken for the complete one
    assert (complete["fit"]["steps"], complete["fit"]["stopped_by"]) == (STEPS, "steps")


def test_a_fixed_work_run_gives_the_same_results_on_a_busy_machine(tmp_path, corpus, monkeypatch):
    """Beside two CPU hogs a capped fixed-work run gives the quiet run's numbers, or is marked cut
    short, and then a later quiet run trains the complete model and gets the quiet run's numbers."""
    config = char_lstm_config(corpus, cap=SAFETY_NET)
    quiet = cell_of(run_config(config, tmp_path / "quiet"))
    monkeypatch.setenv("TEXTGEN_BENCH_CACHE", str(tmp_path / "another-cache"))  # train again
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        busy = cell_of(run_config(config, tmp_path / "busy"))
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert busy["cached"] is False
    if busy["fit"]["stopped_by"] != "seconds":
        assert strip_timing(busy) == strip_timing(quiet)
        return
    assert "‡" in (tmp_path / "busy" / "report.md").read_text()  # it could not, and says so
    later = cell_of(run_config(config, tmp_path / "later"))
    assert (later["fit"]["steps"], later["fit"]["stopped_by"]) == (STEPS, "steps")
    assert strip_timing(later, NOT_CACHED) == strip_timing(quiet, NOT_CACHED)
