"""--engine ray on one machine: a local Ray instance of two CPUs, shared by this module's tests.

Its workers get their own model cache (set before the instance starts), so the driver's cache
(each test's own) and the nodes' are apart as on a cluster without a shared filesystem. The
simulated cluster of several nodes is in test_ray_cluster.py.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import (
    SMALL_RUN,
    TINY_RECURRENT,
    plan_of,
    run_config,
    small_config,
    start_interruptible,
    toml_text,
    write_corpus,
    write_plugin,
)
from support import strip_timing as strip_timing_keys

ray = pytest.importorskip("ray", reason="ray is not installed: pip install 'textgen-bench[ray]'")

from benchmarks.run.executors import LocalExecutor  # noqa: E402
from benchmarks.run.harness import run_benchmark  # noqa: E402
from benchmarks.run.model_cache import verify_model_dir  # noqa: E402
from benchmarks.run.plan import load_plan  # noqa: E402
from benchmarks.run.ray_executor import RayExecutor  # noqa: E402
from benchmarks.run.store import RunStore  # noqa: E402
from generators.errors import ConfigError  # noqa: E402
from generators.options import merged  # noqa: E402

pytestmark = pytest.mark.integration

WHERE = re.compile(r"^node$")  # the machine (and Ray node) a piece was computed on


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """A local Ray instance (2 CPUs) whose workers see the slow plugin and their own model cache."""
    root = tmp_path_factory.mktemp("ray")
    plugins = write_plugin(
        root / "plugins", "markov-variants", {"slow-sampler": "markov_variants:SlowSampler"}
    )
    worker_env = {
        "PYTHONPATH": os.pathsep.join([str(plugins), str(Path(__file__).parents[1])]),
        "TEXTGEN_BENCH_CACHE": str(root / "node-cache"),
        "SLOW_SAMPLER_SECONDS": "1",
        "SLOW_MARKER": str(root / "slow-marker"),  # each worker's pid, once
    }
    saved = {name: os.environ.get(name) for name in worker_env}
    os.environ.update(worker_env)  # the instance's processes, and so its workers, inherit them
    try:
        ray.init(address="local", num_cpus=2, include_dashboard=False)  # a new instance, whatever runs
    finally:
        for name, value in saved.items():
            os.environ.pop(name) if value is None else os.environ.__setitem__(name, value)
    sys.path.insert(0, str(plugins))  # this process (the driver) sees the plugin too
    yield {"root": root, "env": worker_env, "address": ray.get_runtime_context().gcs_address}
    sys.path.remove(str(plugins))
    ray.shutdown()


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """This test's driver-side model cache (the nodes' is the instance's)."""
    monkeypatch.setenv("TEXTGEN_BENCH_CACHE", str(tmp_path / "driver-cache"))
    return tmp_path / "driver-cache"


def results_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "results.json").read_text())


def strip_timing(results: dict) -> dict:
    """Results without timings and without the nodes the pieces were computed on."""
    return strip_timing_keys(strip_timing_keys(results), WHERE)


def grid(corpus: Path, **run):
    """markov and a tiny char-lstm (fixed work), two seeds: four cells."""
    data = merged(SMALL_RUN, {"generators": {"char-lstm": {"budget_steps": 20, "options": TINY_RECURRENT}}})
    return small_config(corpus, data=data, generators=["markov", "char-lstm"], seeds=[0, 1], **run)


def test_ray_gives_the_results_of_one_local_job_and_keeps_models_on_the_nodes(instance, cache, tmp_path):
    corpus = write_corpus(tmp_path / "corpus.txt", seed=11)  # its own models, trained afresh
    on_ray = results_of(run_config(grid(corpus), tmp_path / "ray", executor=RayExecutor(log=lambda m: None)))
    # trained on the node, and not returned (run.return_models is off); the driver keeps only the
    # corpus's compressor reference rows, which it measured itself
    assert [p.name for p in cache.iterdir()] == ["_references"]
    local = results_of(run_config(grid(corpus), tmp_path / "local", executor=LocalExecutor(1)))
    assert [c["status"] for c in on_ray["cells"]] == ["ok"] * 4
    assert [c["cached"] for c in on_ray["cells"]] == [False] * 4 == [c["cached"] for c in local["cells"]]
    threads = [cell["describe"].pop("device", None) for cell in on_ray["cells"] + local["cells"]]
    cores = LocalExecutor(1).threads
    assert threads == [
        None,
        None,
        "cpu (1 threads)",
        "cpu (1 threads)",
        None,
        None,
        *[f"cpu ({cores} threads)"] * 2,
    ]
    assert strip_timing(on_ray) == strip_timing(local)  # torch threads (run.cpus_per_cell = 1) aside
    node = on_ray["cells"][0]["throughput"]["node"]
    assert node["ray_node_id"] == ray.get_runtime_context().get_node_id()
    assert "ray_node_id" not in local["cells"][0]["throughput"]["node"]
    report = (tmp_path / "ray" / "report.md").read_text()
    assert f"{node['hostname']} (Ray node {node['ray_node_id'][:8]}): cpu (" in report


def test_returned_models_are_sealed_into_the_drivers_cache(instance, cache, tmp_path):
    corpus = write_corpus(tmp_path / "corpus.txt", seed=12)
    config = small_config(corpus, return_models=True)
    executor = RayExecutor(return_models=True, log=lambda m: None)
    run_dir = run_config(config, tmp_path / "run", executor=executor)
    (cell,) = load_plan(run_dir).cells
    folder = cache / Path(RunStore(run_dir).load(cell.id, "fit")["model_dir"]).name
    assert Path(RunStore(run_dir).load(cell.id, "fit")["model_dir"]).parent == Path(
        instance["env"]["TEXTGEN_BENCH_CACHE"]
    )
    assert verify_model_dir(folder) is None and (folder / "MANIFEST.json").exists()
    assert results_of(run_dir)["cells"][0]["status"] == "ok"


@pytest.mark.parametrize(
    ("device", "cpus", "missing"),
    [
        ("cuda", 1, "no node of the Ray cluster has a GPU (use --device cpu, or add a node with one)"),
        (
            "cpu",
            4,
            "no node of the Ray cluster has 4 CPUs (the most on one node: 2; lower run.cpus_per_cell)",
        ),
    ],
)
def test_a_cluster_without_the_resources_a_cell_asks_for_is_an_error_before_any_work(
    instance, cache, tmp_path, device, cpus, missing
):
    from benchmarks.run.plan import build_plan

    config = small_config(write_corpus(tmp_path / "corpus.txt"), seeds=[0, 1])
    _, corpora = plan_of(config)
    plan = build_plan(config, corpora, device=device)
    with pytest.raises(ConfigError) as error:
        run_benchmark(plan, corpora, run_dir=tmp_path / "run", executor=RayExecutor(cpus_per_cell=cpus))
    gpu = " and 1 GPU" if device == "cuda" else ""
    assert str(error.value) == (
        f"cell {plan.cells[0].id} asks Ray for {cpus} CPU{'s' if cpus > 1 else ''}{gpu} on one node, "
        f"as every cell of this run does, but {missing}"
    )
    assert [p.name for p in (tmp_path / "run").iterdir()] == [".lock"]  # only the lock was taken


# ---------------------------------------------------------------- the driver interrupted or killed


@pytest.fixture
def command(instance, cache, tmp_path):
    """textgen-bench run --engine ray on the shared instance: markov, then the slow sampler."""
    corpus = write_corpus(tmp_path / "corpus.txt", 20_000, seed=13)
    config = tmp_path / "run.toml"
    run = {
        "run": {"generators": ["markov", "slow-sampler"], "seeds": [0]},
        "generators": {"slow-sampler": {"options": {"state_size": 1}}},
    }
    config.write_text(toml_text(merged(SMALL_RUN, run)), encoding="utf-8")
    args = [
        sys.executable,
        "-m",
        "benchmarks.cli",
        "run",
        "--config",
        str(config),
        "--corpus",
        f"file:{corpus}",
    ]
    args += ["--out", str(tmp_path / "run"), "--engine", "ray", "--address", instance["address"]]
    env = {**os.environ, "PYTHONPATH": instance["env"]["PYTHONPATH"]}
    Path(instance["env"]["SLOW_MARKER"]).unlink(missing_ok=True)
    return args, env, tmp_path / "run", Path(instance["env"]["SLOW_MARKER"])


def wait_until(condition, process, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def cell_of(run_dir: Path, row: str) -> str:
    return next(c.id for c in load_plan(run_dir).cells if c.row == row)


def wait_for_markov_and_the_slow_sampler(run_dir: Path, marker: Path, process) -> tuple[str, int]:
    """Once markov's pieces are in the run folder and the slow sampler is sweeping: markov's cell
    and the pid of the slow sampler's worker."""
    wait_until(lambda: (run_dir / "plan.json").exists(), process)
    markov = cell_of(run_dir, "markov")
    wait_until(lambda: RunStore(run_dir).has(markov, "throughput") and marker.exists(), process)
    return markov, int(marker.read_text().split()[-1])


def alive(pid: int) -> bool:
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def stamps(run_dir: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in (run_dir / "pieces").rglob("*.json")}


def test_ctrl_c_cancels_the_running_tasks_keeps_finished_cells_and_the_command_resumes(command):
    args, env, run_dir, marker = command
    process = start_interruptible(args, env)
    markov, slow_pid = wait_for_markov_and_the_slow_sampler(run_dir, marker, process)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    slow = cell_of(run_dir, "slow-sampler")
    assert f"cancelled the Ray tasks of {slow}" in stderr
    assert (
        f"{markov}: fit, likelihood, cycles, sweep, throughput, samples, cycle_samples" in stderr
        and "Run the same command" in stderr
    )
    deadline = time.monotonic() + 30
    while alive(slow_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(slow_pid), "the cancelled task's worker still runs"
    kept = stamps(run_dir)
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{markov}: all stages kept from before" in done.stderr
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())
    assert {c["status"] for c in results_of(run_dir)["cells"]} == {"ok"}


def test_a_killed_driver_loses_only_its_unfinished_cells_and_the_command_resumes(command):
    args, env, run_dir, marker = command
    process = start_interruptible(args, env)
    markov, _ = wait_for_markov_and_the_slow_sampler(run_dir, marker, process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    slow = cell_of(run_dir, "slow-sampler")
    assert RunStore(run_dir).missing_stages(slow) and not RunStore(run_dir).missing_stages(markov)
    kept = stamps(run_dir)
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "taking over the lock" in done.stderr and f"{markov}: all stages kept from before" in done.stderr
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())
    assert {c["status"] for c in results_of(run_dir)["cells"]} == {"ok"}


def test_a_gpu_cell_on_a_cpu_only_cluster_is_a_one_line_error(command):
    args, env, run_dir, _ = command
    done = subprocess.run([*args, "--device", "cuda"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert (
        last.startswith("textgen-bench: error: cell markov/")
        and "no node of the Ray cluster has a GPU" in last
    )
    assert not (run_dir / "plan.json").exists()
