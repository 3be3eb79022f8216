"""Faults injected into runs: interrupts, kills of the whole run or of its parent alone, two runs on
one folder or one model, a damaged model cache, divergence, out of memory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import SMALL_RUN, start_interruptible, toml_text, write_corpus, write_plugin

from benchmarks.run import contract
from benchmarks.run.model_cache import cache_directory
from benchmarks.run.plan import load_plan
from benchmarks.run.store import RunStore
from generators.errors import TrainingError
from generators.options import merged

pytestmark = pytest.mark.integration

RUN = merged(
    SMALL_RUN,
    {
        "run": {"generators": ["markov", "slow-sampler"]},
        "sweep": {"temperatures": [0.0, 0.5, 1.0, 1.5]},  # a slow sampler's sweep of seconds
        "generators": {
            "slow-sampler": {"options": {"state_size": 1}},
            "slow-fit": {"options": {"state_size": 1}},
        },
    },
)
PLUGINS = {"slow-sampler": "SlowSampler", "slow-fit": "SlowFit", "diverging": "Diverging"}


@pytest.fixture
def setup(tmp_path, monkeypatch):
    corpus = write_corpus(tmp_path / "corpus.txt", 20_000, seed=2)
    config = tmp_path / "faults.toml"
    config.write_text(toml_text(RUN), encoding="utf-8")
    targets = {name: f"markov_variants:{cls}" for name, cls in PLUGINS.items()}
    plugins = write_plugin(tmp_path / "plugins", "markov-variants", targets)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(plugins), str(Path(__file__).parents[1])]),
        "TEXTGEN_BENCH_CACHE": str(tmp_path / "cache"),
    }
    monkeypatch.setenv("TEXTGEN_BENCH_CACHE", env["TEXTGEN_BENCH_CACHE"])
    command = [sys.executable, "-m", "benchmarks.cli", "run", "--config", str(config)]
    command += ["--corpus", f"file:{corpus}", "--out", str(tmp_path / "run")]
    return command, env, tmp_path / "run"


def wait_for(path: Path, process, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def piece(run_dir: Path, row: str, stage: str) -> Path:
    """The path of a piece of the run's only cell of ``row``, once plan.json exists."""
    while not (run_dir / "plan.json").exists():
        time.sleep(0.05)
    (cell,) = [c for c in load_plan(run_dir).cells if c.row == row]
    return RunStore(run_dir).piece_path(cell.id, stage)


def wait_for_piece(run_dir: Path, process, row: str, stage: str) -> Path:
    wait_for(run_dir / "plan.json", process)
    path = piece(run_dir, row, stage)
    wait_for(path, process)
    return path


def statuses(run_dir: Path) -> set[str]:
    return {c["status"] for c in json.loads((run_dir / "results.json").read_text())["cells"]}


def test_sigint_keeps_finished_pieces_and_the_rerun_resumes(setup):
    command, env, run_dir = setup
    process = start_interruptible(command, env)
    wait_for_piece(run_dir, process, "slow-sampler", "likelihood")
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's foreground group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    markov = next(c for c in load_plan(run_dir).cells if c.row == "markov").id
    assert (
        "interrupted; kept in" in stderr
        and f"{markov}: fit, likelihood, cycles, sweep, throughput, samples, cycle_samples" in stderr
    )
    assert "Run the same command again to resume" in stderr
    kept = {p: p.stat().st_mtime_ns for p in (run_dir / "pieces").rglob("*.json")}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{markov}: all stages kept from before" in done.stderr
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())  # nothing redone
    assert statuses(run_dir) == {"ok"}


def test_a_grid_killed_mid_way_redoes_only_its_unfinished_cells(setup, tmp_path):
    command, env, run_dir = setup
    other = write_corpus(tmp_path / "other.txt", 20_000, seed=5)
    grid = [*command, "--corpus", f"file:{other}", "--seeds", "2"]  # 2 corpora × 2 rows × 2 seeds
    process = start_interruptible(grid, env)
    wait_for(run_dir / "plan.json", process)
    cells = load_plan(run_dir).cells
    assert len(cells) == 8
    slow = next(c for c in cells if c.row == "slow-sampler")  # runs after both markov seeds of corpus 1
    wait_for(RunStore(run_dir).piece_path(slow.id, "likelihood"), process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    store = RunStore(run_dir)
    finished = [c.id for c in cells if not store.missing_stages(c.id)]
    assert len(finished) >= 2 and len(finished) < len(cells)
    kept = {p: p.stat().st_mtime_ns for c in finished for p in (run_dir / "pieces" / c).glob("*.json")}
    done = subprocess.run(grid, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert all(f"{cell}: all stages kept from before" in done.stderr for cell in finished)
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())
    rerun = [c.id for c in cells if c.id not in finished]
    assert all(f"{cell}: throughput …" in done.stderr for cell in rerun)
    assert statuses(run_dir) == {"ok"}


def test_kill_9_loses_only_the_piece_in_progress(setup):
    command, env, run_dir = setup
    process = start_interruptible(command, env)
    wait_for_piece(run_dir, process, "slow-sampler", "fit")
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert not list(run_dir.rglob("*.tmp"))  # atomic writes: no half-written pieces
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert statuses(run_dir) == {"ok"}


def running(pid: str) -> bool:
    """Whether process ``pid`` exists and is not a zombie (an ended process nobody reaped yet)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_a_worker_ends_when_its_parent_is_killed(setup):
    """kill -9 of textgen-bench alone (not its process group) must not leave its worker writing."""
    command, env, run_dir = setup
    process = start_interruptible(command, env)
    wait_for_piece(run_dir, process, "slow-sampler", "likelihood")  # its sweep takes seconds
    workers = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
    assert workers, "no worker found"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if running(pid)], "a worker outlived its parent"
    pieces = {p: p.stat().st_mtime_ns for p in (run_dir / "pieces").rglob("*.json")}
    time.sleep(3)  # longer than the slow sampler's remaining sweep
    assert {p: p.stat().st_mtime_ns for p in (run_dir / "pieces").rglob("*.json")} == pieces
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "taking over the lock" in done.stderr  # the dead run's lock


def test_a_second_run_on_a_folder_in_use_is_a_one_line_error(setup):
    command, env, run_dir = setup
    first = start_interruptible(command, env)
    wait_for(run_dir / "plan.json", first)
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 2 and second.stderr.count("\n") == 1, second.stderr
    assert f"{run_dir} is in use by another run (pid {first.pid} on " in second.stderr
    _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    assert statuses(run_dir) == {"ok"}  # the first run's results are whole


def test_two_runs_training_one_model_share_it(setup, tmp_path):
    command, env, _ = setup
    one_model = [*command, "--generators", "slow-fit"]
    first = start_interruptible([*one_model[:-2], "--out", str(tmp_path / "a")], env)
    wait_for(tmp_path / "a" / "plan.json", first)
    second = start_interruptible([*one_model[:-2], "--out", str(tmp_path / "b")], env)
    outputs = [process.communicate(timeout=300)[1] for process in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outputs
    cached = [json.loads((tmp_path / n / "results.json").read_text())["cells"][0]["cached"] for n in "ab"]
    assert sorted(cached) == [False, True]  # trained once, by whichever got the model's lock first
    assert not list(cache_directory().glob("*.partial*"))


def test_a_damaged_cached_model_is_detected_and_rebuilt(setup):
    command, env, run_dir = setup
    assert subprocess.run(command, env=env, capture_output=True, timeout=300).returncode == 0
    markov = next(c for c in load_plan(run_dir).cells if c.row == "markov").id
    model_dir = Path(RunStore(run_dir).load(markov, "fit")["model_dir"])
    victim = next(p for p in sorted(model_dir.iterdir()) if p.name != "MANIFEST.json")
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])  # truncated
    done = subprocess.run([*command, "--fresh"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (
        f"{markov}: cached model {model_dir.name} is damaged ({victim.name} fails its checksum)"
        in done.stderr
    )
    assert RunStore(run_dir).load(markov, "fit")["cached"] is False
    assert model_dir.parent == cache_directory()
    assert "damaged (None)" not in done.stderr


def test_a_model_damaged_after_its_fit_is_retrained_when_the_run_resumes(setup):
    command, env, run_dir = setup
    assert subprocess.run(command, env=env, capture_output=True, timeout=300).returncode == 0
    store = RunStore(run_dir)
    markov = next(c for c in load_plan(run_dir).cells if c.row == "markov").id
    store.discard(markov, "throughput")  # as if the run had been stopped before this stage
    model_dir = Path(store.load(markov, "fit")["model_dir"])
    (model_dir / "MANIFEST.json").unlink()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "training it again and redoing this cell's stages" in done.stderr
    assert store.load(markov, "fit")["cached"] is False and statuses(run_dir) == {"ok"}
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0 and "training it again" not in rerun.stderr, rerun.stderr


def test_a_diverging_generator_is_reported_failed_and_the_others_run(setup):
    command, env, run_dir = setup
    command = [*command, "--generators", "diverging,markov"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stderr  # the report is written, and the failure is not hidden
    diverging = next(c for c in load_plan(run_dir).cells if c.row == "diverging").id
    assert done.stderr.endswith(f"not finished: {diverging} (failed); the report says why\n")
    results = json.loads((run_dir / "results.json").read_text())
    failed = next(c for c in results["cells"] if c["row"] == "diverging")
    assert failed["status"] == "failed" and failed["failed_stage"] == "fit"
    assert "loss became nan at step 3; lower optim.lr" in failed["error"]
    assert next(c for c in results["cells"] if c["row"] == "markov")["status"] == "ok"
    report = (run_dir / "report.md").read_text()
    assert "diverging" in report and "loss became nan" in report


class OutOfMemoryError(RuntimeError):
    """Stands in for torch.cuda.OutOfMemoryError (matched by name, so no GPU is needed)."""


def test_out_of_memory_names_the_setting_to_lower():
    class Hungry:
        name = "hungry"

        def score(self, text, context=""):
            raise OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    with pytest.raises(
        TrainingError, match=r"hungry: out of device memory in score\(\); lower the batch size"
    ):
        contract.score(Hungry(), "abc")
