"""What runs on a Ray node: one cell, or one corpus's judge, as a pure function of its inputs.

A task is given everything it needs: the plan (as its dict), its corpus (the driver's copy,
checked against the plan's sha256 as a loaded one is), the pieces the driver already holds, and a
trained model's files when the driver's cache holds that model. It returns what it computed: the
pieces it saved and discarded (:meth:`MemoryPieces.changes`), its exit status, the node it ran on
and, with ``run.return_models``, the files of its cell's model. It writes nothing but its node's
model cache (``$TEXTGEN_BENCH_CACHE`` there); the driver alone writes the run folder, so the nodes
share no filesystem with it. :mod:`benchmarks.run.ray_executor` submits these functions as Ray
tasks; they import nothing of Ray but its runtime context.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks.console import log
from benchmarks.run.environment import node_identity
from benchmarks.run.judge import run_judge
from benchmarks.run.model_cache import cache_directory, install_model, model_files, verify_model_dir
from benchmarks.run.plan import RunPlan
from benchmarks.run.store import MemoryPieces, MemoryStore
from benchmarks.run.worker import run_cell, thread_environment
from generators.base import Corpus

PieceMap = dict[str, dict[str, Any]]  # one cell's pieces by stage
Model = dict[str, Any]  # {"name": the model's cache folder name, "files": {relative path: bytes}}


def use_threads(threads: int) -> None:
    """Torch's (and BLAS's) threads: the CPUs the task asked Ray for (OpenMP's wait policy too,
    where torch has not started its pool yet in this Ray worker)."""
    os.environ.update(thread_environment(threads))
    if "torch" in sys.modules:  # else torch reads the variables when it is imported
        sys.modules["torch"].set_num_threads(threads)


def ray_node() -> dict[str, Any]:
    """This node: its hostname and its Ray node id."""
    import ray

    return {**node_identity(), "ray_node_id": ray.get_runtime_context().get_node_id()}


def plan_on_this_node(plan_data: dict[str, Any]) -> RunPlan:
    """The plan, with the device as this task sees it: on CUDA, ``cuda`` is the GPU Ray gave the
    task (through CUDA_VISIBLE_DEVICES), whichever ``cuda:N`` the driver named."""
    plan = RunPlan.from_dict(plan_data)
    return dataclasses.replace(plan, device="cuda") if plan.device.startswith("cuda") else plan


def local_fit(stages: PieceMap) -> PieceMap:
    """``stages`` with the fit piece's model_dir naming the same model in this node's cache."""
    if "fit" not in stages:
        return stages
    fit = stages["fit"]
    return {**stages, "fit": {**fit, "model_dir": str(cache_directory() / Path(fit["model_dir"]).name)}}


def receive_model(model: Model | None) -> None:
    """Put the model the driver sent into this node's cache (kept as it is when already intact)."""
    if model is None:
        return
    problem = install_model(cache_directory() / model["name"], model["files"], log)
    if problem is not None:
        log(f"the model {model['name']} sent by the driver was refused: {problem}")


def model_to_return(pieces: MemoryPieces) -> Model | None:
    """The files of the cell's model, when its folder on this node is intact."""
    if not pieces.has("fit"):
        return None
    folder = Path(pieces.load("fit")["model_dir"])
    if verify_model_dir(folder) is not None:
        return None
    return {"name": folder.name, "files": model_files(folder)}


def run_cell_task(
    plan_data: dict[str, Any],
    cell_id: str,
    kept: PieceMap,
    retrain: bool,
    corpus: Corpus,
    model: Model | None,
    threads: int,
    return_model: bool,
) -> dict[str, Any]:
    """Run the stages of ``cell_id`` missing from ``kept``; what changed, and where it ran."""
    use_threads(threads)
    receive_model(model)
    plan, node = plan_on_this_node(plan_data), ray_node()
    pieces = MemoryPieces(local_fit(kept))
    code = run_cell(plan, pieces, cell_id, retrain, corpus=corpus, node=node)
    returned = model_to_return(pieces) if return_model and model is None else None
    return {"code": code, "node": node, "model": returned, **pieces.changes()}


def run_judge_task(
    plan_data: dict[str, Any],
    judge_id: str,
    pieces: dict[str, PieceMap],
    models: list[Model],
    threads: int,
) -> dict[str, Any]:
    """Judge one corpus (``judge_id``) from the fit, likelihood and samples pieces of its cells, with
    the judge ``models`` the driver sent (the others are in this node's cache)."""
    use_threads(threads)
    for model in models:
        receive_model(model)
    plan, node = plan_on_this_node(plan_data), ray_node()
    store = MemoryStore({cell: local_fit(stages) for cell, stages in pieces.items()})
    code = run_judge(plan, store, judge_id, log)
    return {"code": code, "node": node, "model": None, **store.cell(judge_id).changes()}
