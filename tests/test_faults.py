"""Faults injected into runs: interrupts, kills, a damaged model cache, divergence, out of memory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import install_plugin, make_text

from benchmarks import contract
from benchmarks.store import RunStore, cache_directory
from generators.errors import TrainingError

pytestmark = pytest.mark.integration

SLOW_PLUGIN = '''
import time
from generators.errors import TrainingError
from generators.markov import MarkovGenerator

class SlowSampler(MarkovGenerator):
    """Markov, but generation takes long enough to be interrupted."""
    def generate(self, prompts, *, max_chars, sampling=None, seed=0):
        time.sleep(0.5)
        return super().generate(prompts, max_chars=max_chars, sampling=sampling, seed=seed)

class Diverging(MarkovGenerator):
    def fit(self, corpus, *, seed=0, budget=None):
        raise TrainingError("diverging: the loss became nan at step 3; lower optim.lr")
'''

CONFIG = """
[run]
name = "faults"
generators = ["markov", "slow-sampler"]
seed = 1
device = "cpu"
[likelihood]
ci_chunk_chars = 500
bootstrap_resamples = 20
[sweep]
temperatures = [0.0, 0.5, 1.0, 1.5]
test_prompts = 3
prompt_chars = 30
samples_per_prompt = 1
max_chars = 40
demo_prompts = ["Today "]
[throughput]
repeats = 1
generate_chars = 4
batch = 2
score_chars = 500
[generators.markov.options]
state_size = 1
[generators.slow-sampler.options]
state_size = 1
"""


@pytest.fixture
def setup(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(make_text(20_000, seed=2), encoding="utf-8")
    config = tmp_path / "faults.toml"
    config.write_text(CONFIG, encoding="utf-8")
    plugins = install_plugin(
        tmp_path / "plugins",
        "fault-plugins",
        "fault_plugins",
        SLOW_PLUGIN,
        {"slow-sampler": "fault_plugins:SlowSampler", "diverging": "fault_plugins:Diverging"},
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(plugins), str(Path(__file__).parents[1])]),
        "TEXTGEN_BENCH_CACHE": str(tmp_path / "cache"),
    }
    monkeypatch.setenv("TEXTGEN_BENCH_CACHE", env["TEXTGEN_BENCH_CACHE"])
    command = [sys.executable, "-m", "benchmarks.cli", "run", "--config", str(config)]
    command += ["--corpus", f"file:{corpus}", "--out", str(tmp_path / "run")]
    return command, env, tmp_path / "run"


def start(command, env):
    """Run ``command`` in its own process group, with Ctrl-C's default action even when this test
    run was started in the background by a shell without job control (which ignores SIGINT)."""
    return subprocess.Popen(
        command,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for(path: Path, process, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_sigint_keeps_finished_pieces_and_the_rerun_resumes(setup):
    command, env, run_dir = setup
    process = start(command, env)
    fit = RunStore(run_dir).piece_path("slow-sampler", "likelihood")
    wait_for(fit, process)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's foreground group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert (
        "interrupted; kept in" in stderr and "markov: fit, likelihood, samples, sweep, throughput" in stderr
    )
    assert "Run the same command again to resume" in stderr
    kept = {p: p.stat().st_mtime_ns for p in (run_dir / "pieces").rglob("*.json")}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "markov: all stages kept from before" in done.stderr
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())  # nothing redone
    results = json.loads((run_dir / "results.json").read_text())
    assert {g["status"] for g in results["generators"].values()} == {"ok"}


def test_kill_9_loses_only_the_piece_in_progress(setup):
    command, env, run_dir = setup
    process = start(command, env)
    wait_for(RunStore(run_dir).piece_path("slow-sampler", "fit"), process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert not list(run_dir.rglob("*.tmp"))  # atomic writes: no half-written pieces
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads((run_dir / "results.json").read_text())["generators"]["slow-sampler"]["status"] == "ok"


def test_a_damaged_cached_model_is_detected_and_rebuilt(setup):
    command, env, run_dir = setup
    assert subprocess.run(command, env=env, capture_output=True, timeout=300).returncode == 0
    model_dir = Path(RunStore(run_dir).load("markov", "fit")["model_dir"])
    victim = next(p for p in sorted(model_dir.iterdir()) if p.name != "MANIFEST.json")
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])  # truncated
    done = subprocess.run([*command, "--fresh"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (
        f"markov: cached model {model_dir.name} is damaged ({victim.name} fails its checksum)" in done.stderr
    )
    assert RunStore(run_dir).load("markov", "fit")["cached"] is False
    assert model_dir.parent == cache_directory()


def test_a_diverging_generator_is_reported_failed_and_the_others_run(setup):
    command, env, run_dir = setup
    command = [*command, "--generators", "diverging,markov"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stderr  # the report is written, and the failure is not hidden
    assert done.stderr.endswith("not finished: diverging (failed); the report says why\n")
    results = json.loads((run_dir / "results.json").read_text())
    failed = results["generators"]["diverging"]
    assert failed["status"] == "failed" and failed["failed_stage"] == "fit"
    assert "loss became nan at step 3; lower optim.lr" in failed["error"]
    assert results["generators"]["markov"]["status"] == "ok"
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
