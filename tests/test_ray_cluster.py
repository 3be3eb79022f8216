"""A simulated Ray cluster (ray.cluster_utils.Cluster) on one machine: a head with no CPUs, where
the driver connects, and worker nodes of one CPU, each with a model cache of its own. Removing the
node a cell runs on ends with that cell failed (no retries left) or retried on another node, and
nothing else lost."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest
from support import SMALL_RUN, plan_of, small_config, write_corpus, write_plugin

ray = pytest.importorskip("ray", reason="ray is not installed: pip install 'textgen-bench[ray]'")

from ray.cluster_utils import Cluster  # noqa: E402

from benchmarks.run.harness import run_benchmark  # noqa: E402
from benchmarks.run.model_cache import verify_model_dir  # noqa: E402
from benchmarks.run.ray_executor import RayExecutor  # noqa: E402
from benchmarks.run.store import RunStore  # noqa: E402
from generators.options import merged  # noqa: E402

pytestmark = pytest.mark.integration


class Nodes:
    """The cluster, and worker nodes added to it with their own model caches."""

    def __init__(self, root: Path) -> None:
        self.root, self.count = root, 0
        plugins = write_plugin(
            root / "plugins", "markov-variants", {"slow-sampler": "markov_variants:SlowSampler"}
        )
        self.plugins, self.marker = plugins, root / "slow-marker"
        self.pythonpath = os.pathsep.join([str(plugins), str(Path(__file__).parents[1])])
        self.cluster = Cluster(
            initialize_head=True, connect=True, head_node_args={"num_cpus": 0, "include_dashboard": False}
        )

    def add(self) -> None:
        self.count += 1
        env = {
            "TEXTGEN_BENCH_CACHE": str(self.root / f"cache-of-node-{self.count}"),
            "PYTHONPATH": self.pythonpath,
            "SLOW_SAMPLER_SECONDS": "1",
            "SLOW_MARKER": str(self.marker),  # each worker's node, once
            "SLOW_MARK": "node",
        }
        self.cluster.add_node(num_cpus=1, env_vars=env)

    def remove_the_slow_cells_node(self, attempt: int, seconds: float = 180) -> None:
        """Once the slow sampler's ``attempt``-th try is sweeping, remove the node it runs on."""
        deadline = time.monotonic() + seconds
        while not self.marker.exists() or len(self.marker.read_text().split()) < attempt:
            assert time.monotonic() < deadline, "the slow sampler never started sweeping"
            time.sleep(0.05)
        node_id = self.marker.read_text().split()[attempt - 1]
        self.cluster.remove_node(next(n for n in self.cluster.worker_nodes if n.node_id == node_id))


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    nodes = Nodes(tmp_path_factory.mktemp("cluster"))
    nodes.add()
    nodes.add()
    yield nodes
    ray.shutdown()
    nodes.cluster.shutdown()


def run_in_thread(plan, corpora, run_dir: Path, executor: RayExecutor) -> threading.Thread:
    """The driver, in a thread of this process, while the test removes nodes."""
    errors: list[BaseException] = []

    def drive() -> None:
        try:
            run_benchmark(plan, corpora, run_dir=run_dir, executor=executor, log=lambda m: None)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=drive)
    thread.errors = errors
    thread.start()
    return thread


def finish(thread: threading.Thread) -> None:
    thread.join(timeout=300)
    assert not thread.is_alive() and not thread.errors, thread.errors


def test_a_cell_whose_node_dies_is_failed_or_retried_and_nothing_else_is_lost(nodes, tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTGEN_BENCH_CACHE", str(tmp_path / "driver-cache"))
    monkeypatch.syspath_prepend(str(nodes.plugins))  # the driver sees the plugin too
    corpus = write_corpus(tmp_path / "corpus.txt", 20_000, seed=21)
    data = merged(SMALL_RUN, {"generators": {"slow-sampler": SMALL_RUN["generators"]["markov"]}})
    plan, corpora = plan_of(small_config(corpus, data=data, generators=["markov", "slow-sampler"], seeds=[0]))
    markov, slow = (c.id for c in plan.cells)
    run_dir, store = tmp_path / "run", RunStore(tmp_path / "run")

    # no retries: the cell is failed with the reason, markov's results and model are kept
    thread = run_in_thread(plan, corpora, run_dir, RayExecutor(max_retries=0, return_models=True, log=print))
    nodes.remove_the_slow_cells_node(attempt=1)
    finish(thread)
    results = json.loads((run_dir / "results.json").read_text())
    failed, kept = results["cells"][1], results["cells"][0]
    assert failed["id"] == slow and failed["status"] == "failed" and failed["failed_stage"] == "fit"
    assert (
        "its Ray task was lost 1 time(s) (NodeDiedError: Task failed because the node it was running on is dead"
        in failed["error"]
    )
    assert (
        kept["status"] == "ok" and results["corpora"][0]["judge"]["error"] is None
    )  # judged with markov's model
    model = tmp_path / "driver-cache" / Path(store.load(markov, "fit")["model_dir"]).name
    assert verify_model_dir(model) is None  # returned to the driver, whichever node trained it
    stamps = {p: p.stat().st_mtime_ns for p in (run_dir / "pieces" / markov).glob("*.json")}

    # the same run again, with a retry: its node dies again, and Ray runs it on another
    nodes.add()
    thread = run_in_thread(plan, corpora, run_dir, RayExecutor(max_retries=1, return_models=True, log=print))
    nodes.remove_the_slow_cells_node(attempt=2)
    finish(thread)
    results = json.loads((run_dir / "results.json").read_text())
    assert [c["status"] for c in results["cells"]] == ["ok", "ok"]
    first, second, retried = nodes.marker.read_text().split()
    assert retried not in (first, second)  # the retry ran on a node that was still there
    assert results["cells"][1]["throughput"]["node"]["ray_node_id"] == retried
    assert {p: p.stat().st_mtime_ns for p in (run_dir / "pieces" / markov).glob("*.json")} == stamps
