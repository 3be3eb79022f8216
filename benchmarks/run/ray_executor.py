"""``--engine ray``: the plan's unfinished cells, then each corpus's judge, as Ray tasks.

This process is Ray's driver. It connects with ``ray.init(address)`` to the cluster at
``--address`` (or ``$RAY_ADDRESS``); with neither, it starts a local Ray instance of this machine's
cores and GPUs, which ends with the run. Every task is a pure function of its inputs (:mod:`benchmarks.run.ray_tasks`): it
gets the plan, its corpus (put in Ray's object store once), the pieces this process already has
and, when this machine's model cache holds it, the trained model; it returns the pieces it
computed, which the driver alone writes into the run folder as each task ends.

Resources are declared per task: ``run.cpus_per_cell`` CPUs (the task's torch threads) and, on
CUDA, one GPU, so a node with four GPUs trains four cells at once and a CPU-only node never gets a
GPU cell. A cluster on which no node can hold that request is a one-line error before any work.
A task whose node died or whose worker was killed is retried by Ray ``run.max_retries`` times, then
its cell is marked failed with the reason; the other cells keep their results. Ctrl-C cancels the
running tasks (``ray.cancel``); every cell that had returned is kept, and the same command resumes,
on this cluster or another.

A trained model stays in the model cache of the node that trained it; with ``run.return_models``
its files come back too and are sealed into this machine's cache with their manifest. The judge
runs as a Ray task too, with the same resources: it is sent the judge models' files that this
machine's cache holds, and pinned to the node whose cache holds the others (the node that ran
their fit stage); when that node has left the cluster, or they are on several nodes, the judge
fails and says so (``run.return_models`` keeps a copy of every model here).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import RayError, RayTaskError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from benchmarks.console import Log, log
from benchmarks.run.executors import Done, Executor, Task
from benchmarks.run.judge import judge_cells
from benchmarks.run.layout import EXIT_CRASH, FAILED, JUDGE, SAMPLES, STAGES, TEXT_PIECES, pseudo_cell_id
from benchmarks.run.model_cache import cache_directory, install_model, model_files, verify_model_dir
from benchmarks.run.plan import RunPlan
from benchmarks.run.ray_tasks import Model, run_cell_task, run_judge_task
from benchmarks.run.store import RunStore, apply_changes
from generators.base import Corpus
from generators.errors import ConfigError

# one worker process per task, as the local executor has: a cell's peak memory is its own, and a
# GPU's memory is given back when its cell ends
cell_task = ray.remote(max_calls=1)(run_cell_task)
judge_task = ray.remote(max_calls=1)(run_judge_task)
JUDGE_STAGES = ("fit", "likelihood", SAMPLES)  # what a judge reads of each cell of its corpus
WAIT_S = 1.0  # ray.wait's timeout, so Ctrl-C is seen at once
ADDRESS_ENV = "RAY_ADDRESS"
AUTH_HINT = "RAY_AUTH_MODE=token here and its token in ~/.ray/auth_token"


def alive_nodes() -> list[dict[str, Any]]:
    return [node for node in ray.nodes() if node.get("Alive")]


def missing_resource(nodes: list[dict[str, Any]], cpus: int, gpus: int) -> str | None:
    """None when some node can hold ``cpus`` CPUs and ``gpus`` GPUs at once, else what is missing."""
    held = [node.get("Resources", {}) for node in nodes]
    if any(r.get("CPU", 0) >= cpus and r.get("GPU", 0) >= gpus for r in held):
        return None
    if gpus and not any(r.get("GPU", 0) >= gpus for r in held):
        return "no node of the Ray cluster has a GPU (use --device cpu, or add a node with one)"
    most = max((int(r.get("CPU", 0)) for r in held), default=0)
    if not any(r.get("CPU", 0) >= cpus for r in held):
        return f"no node of the Ray cluster has {cpus} CPUs (the most on one node: {most}; lower run.cpus_per_cell)"
    return f"no node of the Ray cluster has {cpus} CPUs and a GPU together"


def failure_reason(error: RayError, attempts: int) -> str:
    """One line: the exception the task raised, or how its last attempt was lost."""
    if isinstance(error, RayTaskError):
        cause = error.cause
        return f"its Ray task raised {type(cause).__name__}: {' '.join(str(cause).split())}"
    text = " ".join(str(error).split())
    text = text if len(text) <= 300 else text[:299] + "…"
    return f"its Ray task was lost {attempts} time(s) ({type(error).__name__}: {text})"


def driver_model(fit: dict[str, Any] | None) -> Model | None:
    """The files of a fit piece's model, when this machine's cache holds it intact."""
    if fit is None:
        return None
    folder = cache_directory() / Path(fit["model_dir"]).name
    if verify_model_dir(folder) is not None:
        return None
    return {"name": folder.name, "files": model_files(folder)}


class RayExecutor(Executor):
    """Tasks on a Ray cluster, each asking for ``cpus_per_cell`` CPUs and, on CUDA, one GPU."""

    def __init__(
        self,
        address: str | None = None,
        *,
        cpus_per_cell: int = 1,
        max_retries: int = 2,
        return_models: bool = False,
        log: Log = log,
    ) -> None:
        self.address, self.cpus, self.max_retries = address, cpus_per_cell, max_retries
        self.return_models, self.log = return_models, log
        self.plan: RunPlan | None = None
        self.plan_ref: ray.ObjectRef | None = None
        self.corpus_refs: dict[str, ray.ObjectRef] = {}

    def connect(self) -> None:
        """Join the cluster (once); an address that answers no Ray cluster is a ConfigError."""
        if ray.is_initialized():
            return
        started, where = time.perf_counter(), self.address or os.environ.get(ADDRESS_ENV)
        try:
            ray.init(address=where or "local")
        except (ConnectionError, ValueError, RuntimeError) as error:
            raise ConfigError(
                f"--engine ray: no Ray cluster at {where}: {' '.join(str(error).split())} (a cluster "
                f"with token authentication also needs {AUTH_HINT})"
            ) from error
        nodes = alive_nodes()
        self.log(
            f"Ray: {len(nodes)} node(s) ready in {time.perf_counter() - started:.1f} s: {cluster_words(nodes)}"
        )

    def gpus(self, device: str) -> int:
        return 1 if device.startswith("cuda") else 0

    def resolve_device(self, requested: str) -> str:
        """``auto`` is ``cuda`` when a node of the cluster has a GPU, else ``cpu``; another device is
        checked against the cluster's resources in ``prepare``."""
        self.connect()
        if requested != "auto":
            return requested
        return "cuda" if any(n.get("Resources", {}).get("GPU", 0) >= 1 for n in alive_nodes()) else "cpu"

    def describe_device(self, device: str) -> dict[str, Any]:
        nodes = alive_nodes()
        totals = {key: sum(int(n.get("Resources", {}).get(key, 0)) for n in nodes) for key in ("CPU", "GPU")}
        return {
            "type": "ray",
            "name": f"a Ray cluster of {len(nodes)} node{'s' if len(nodes) != 1 else ''}",
            "device": device,
            "cpus": totals["CPU"],
            "gpus": totals["GPU"],
            "nodes": [n.get("NodeManagerHostname") for n in nodes],
        }

    def prepare(self, plan: RunPlan, corpora: dict[str, Corpus]) -> None:
        """Check that a node can hold a cell's request, then put the plan and corpora in the object store."""
        self.connect()
        problem = missing_resource(alive_nodes(), self.cpus, self.gpus(plan.device))
        if problem is not None:
            every = ", as every cell of this run does," if len(plan.cells) > 1 else ","
            request = self.request_words(plan.device)
            raise ConfigError(f"cell {plan.cells[0].id} asks Ray for {request}{every} but {problem}")
        self.plan, self.plan_ref = plan, ray.put(plan.to_dict())
        self.corpus_refs = {c.name: ray.put(corpora[c.name]) for c in plan.corpora}

    def request_words(self, device: str) -> str:
        gpu = " and 1 GPU" if self.gpus(device) else ""
        return f"{self.cpus} CPU{'s' if self.cpus != 1 else ''}{gpu} on one node"

    def options(self, task: Task) -> dict[str, Any]:
        """The resources one task declares, its retries and its name (as Ray's tools show it)."""
        assert self.plan is not None, "prepare() first"
        return {
            "num_cpus": self.cpus,
            "num_gpus": self.gpus(self.plan.device),
            "max_retries": self.max_retries,
            "name": task.id,
        }

    def run(self, run_dir: Path, tasks: Sequence[Task], done: Done) -> None:
        store, pending = RunStore(run_dir), {}
        try:
            self.submit_all(store, tasks, done, pending)
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=WAIT_S)
                for ref in ready:
                    task = pending.pop(ref)
                    done(task, self.collect(store, task, ref))
        except KeyboardInterrupt:
            self.cancel(pending)
            raise

    def submit_all(
        self, store: RunStore, tasks: Sequence[Task], done: Done, pending: dict[ray.ObjectRef, Task]
    ) -> None:
        """Submit every task into ``pending``; on a cluster that can no longer run them (its nodes
        have left), fail each at once instead of leaving it to wait for ever."""
        assert self.plan is not None, "prepare() first"
        problem = missing_resource(alive_nodes(), self.cpus, self.gpus(self.plan.device))
        for task in tasks:
            if problem is not None:
                self.fail(store, task, f"no node can run it now: {problem}")
            ref = None if problem is not None else self.submit(store, task)
            if ref is None:
                done(task, EXIT_CRASH)
            else:
                pending[ref] = task

    def submit(self, store: RunStore, task: Task) -> ray.ObjectRef | None:
        """Start one task; None when it cannot run (a failed piece says why)."""
        assert self.plan is not None, "prepare() first"
        if task.id.startswith(f"{JUDGE}/"):
            return self.submit_judge(store, task)
        kept = {s: store.load(task.id, s) for s in (*STAGES, *TEXT_PIECES) if store.has(task.id, s)}
        corpus = self.corpus_refs[self.plan.cell(task.id).corpus]
        model = driver_model(kept.get("fit"))
        return cell_task.options(**self.options(task)).remote(
            self.plan_ref, task.id, kept, task.retrain, corpus, model, self.cpus, self.return_models
        )

    def submit_judge(self, store: RunStore, task: Task) -> ray.ObjectRef | None:
        """The judge, sent the judge models this machine holds, pinned to the node holding the rest."""
        assert self.plan is not None
        corpus = next(c for c in self.plan.corpora if pseudo_cell_id(JUDGE, c.name) == task.id)
        cells = self.plan.cells_of(corpus.name)
        pieces = {c.id: {s: store.load(c.id, s) for s in JUDGE_STAGES if store.has(c.id, s)} for c in cells}
        models, options, elsewhere = [], self.options(task), {}
        for judge_cell in judge_cells(self.plan, store, corpus.name):
            fit = pieces[judge_cell.id]["fit"]
            model = driver_model(fit)
            if model is not None:
                models.append(model)
            else:
                elsewhere[judge_cell.id] = fit.get("node") or {}
        nodes = {node.get("ray_node_id") for node in elsewhere.values()}
        if elsewhere:
            cell, node = next(iter(elsewhere.items()))
            if len(nodes) > 1 or node.get("ray_node_id") not in {n["NodeID"] for n in alive_nodes()}:
                self.fail(store, task, judge_model_gone(cell, node))
                return None
            options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node["ray_node_id"], soft=False)
        return judge_task.options(**options).remote(self.plan_ref, task.id, pieces, models, self.cpus)

    def collect(self, store: RunStore, task: Task, ref: ray.ObjectRef) -> int:
        """Write what a finished task computed into the run folder; its exit status."""
        try:
            outcome = ray.get(ref)
        except RayError as error:
            self.fail(store, task, failure_reason(error, 1 + self.max_retries))
            return EXIT_CRASH
        apply_changes(store, task.id, outcome)
        self.log(f"{task.id}: ran on {node_words(outcome['node'])}")
        if outcome["model"] is not None:
            self.keep_model(task, outcome["model"])
        return outcome["code"]

    def keep_model(self, task: Task, model: Model) -> None:
        problem = install_model(cache_directory() / model["name"], model["files"], self.log)
        if problem is not None:
            self.log(f"{task.id}: the model it returned is not cached here: {problem}")

    def fail(self, store: RunStore, task: Task, error: str) -> None:
        """A failed piece for a task that returned none, in the first stage the run folder lacks
        (a lost task returned nothing, so its cell starts again from there)."""
        stage = (
            "judge"
            if task.id.startswith(f"{JUDGE}/")
            else (store.missing_stages(task.id) or ["throughput"])[0]
        )
        store.save(task.id, FAILED, {"stage": stage, "error": error})
        self.log(f"{task.id}: FAILED: {error}")

    def cancel(self, pending: dict[ray.ObjectRef, Task]) -> None:
        """Ctrl-C: stop every task still running or queued; what they computed is not kept."""
        for ref in pending:
            ray.cancel(ref, force=True)
        if pending:
            self.log(f"cancelled the Ray tasks of {', '.join(t.id for t in pending.values())}")


def judge_model_gone(cell: str, node: dict[str, Any]) -> str:
    where = node_words(node) if node else "a machine that did not record itself"
    return (
        f"the judge model (of {cell}) is in the model cache of {where}, which is not in the Ray cluster "
        "(or judge models are on several machines), and not in this machine's; set "
        "run.return_models = true to keep a copy of every model here"
    )


def node_words(node: dict[str, Any]) -> str:
    ray_id = node.get("ray_node_id")
    return (
        f"{node.get('hostname', '?')} (Ray node {ray_id[:8]})" if ray_id else str(node.get("hostname", "?"))
    )


def cluster_words(nodes: list[dict[str, Any]]) -> str:
    """'vm (2 CPUs), gpu-1 (16 CPUs, 4 GPUs)'."""
    parts = []
    for node in nodes:
        held = node.get("Resources", {})
        gpus = int(held.get("GPU", 0))
        parts.append(
            f"{node.get('NodeManagerHostname')} ({int(held.get('CPU', 0))} CPUs{f', {gpus} GPUs' if gpus else ''})"
        )
    return ", ".join(parts)
