"""Runs one task of a plan in a process of its own: a cell's stages, or one corpus's judge.

A process per task keeps one cell's crash, memory blow-up or hung GPU from taking the others
down, and makes its peak memory its own. The executor starts it (see benchmarks.run.executors)::

    python -m benchmarks.run.worker RUN_DIR CELL_ID [--retrain]     e.g. char-lstm/shakespeare/seed-0
    python -m benchmarks.run.worker RUN_DIR _judge/CORPUS_KEY

It ends when its parent dies (the kernel sends it SIGKILL on Linux; elsewhere a watchdog thread
notices), so a killed ``textgen-bench`` leaves no worker writing into the run folder.

On Ray, :func:`run_cell` runs inside a Ray task instead (:mod:`benchmarks.run.ray_tasks`), on
pieces kept in memory that the task returns to the driver.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks.console import log
from benchmarks.corpora import load_corpus
from benchmarks.run.environment import node_identity
from benchmarks.run.layout import EXIT_CRASH, EXIT_INTERRUPTED, EXIT_OK, FAILED, JUDGE, STAGES, TEXT_PIECES
from benchmarks.run.plan import RunPlan, load_plan
from benchmarks.run.probe import stage_cycles
from benchmarks.run.stages import (
    CellContext,
    ModelGone,
    stage_fit,
    stage_likelihood,
    stage_sweep,
)
from benchmarks.run.store import Pieces, RunStore
from benchmarks.run.throughput import stage_throughput
from benchmarks.samples import train_indexes
from generators.base import Corpus
from generators.devices import torch_threads
from generators.errors import TextgenBenchError

PARENT_ENV = "TEXTGEN_BENCH_PARENT"  # the pid of the process the worker must not outlive
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")  # torch's and BLAS's pools
WAIT_POLICY = "PASSIVE"  # idle OpenMP threads sleep: spinning ones made busy-CPU steps 4-16x slower
ONE_THREAD_STAGES = ("cycles", "sweep")  # decoding: small operations, fastest on one thread
PR_SET_PDEATHSIG = 1  # prctl(2)

STAGE_FUNCTIONS = {
    "fit": stage_fit,
    "likelihood": stage_likelihood,
    "cycles": stage_cycles,
    "sweep": stage_sweep,
    "throughput": stage_throughput,
}
assert tuple(STAGE_FUNCTIONS) == STAGES


def thread_environment(threads: int) -> dict[str, str]:
    """The variables a worker's thread pools are sized by, and OpenMP's wait policy (a policy the
    user set is kept). OpenMP reads them once, when torch starts its pool.

    Passive: on a shared 2-core Xeon (load 6-9, beside 0-2 CPU hogs) a training step on torch's
    two threads took 4-16 times as long as on one with OpenMP's default policy (its idle thread
    spins, stealing the time slice the other needs), and 0.3-1.7 times with the passive one
    (benchmarks/perf/threads_under_load.py). The thread count, and so the numbers, stay the same.

    Waking a sleeping thread costs more than a small operation gains from it, so the stages that
    decode (``ONE_THREAD_STAGES``) and the judges, which score one short text at a time, run on one
    torch thread, which is never far from the fastest there and two passive threads can be several
    times slower (docs/performance.md). Training and the likelihood stage, whose operations are
    large, keep them all.
    """
    return {
        **{name: str(threads) for name in THREAD_VARIABLES},
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", WAIT_POLICY),
    }


def die_with_parent() -> None:
    """Exit when the process named by $TEXTGEN_BENCH_PARENT is gone (or already was)."""
    parent = int(os.environ.get(PARENT_ENV, "0"))
    if not parent:
        return
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the line above took effect
        os._exit(EXIT_CRASH)
    if sys.platform != "linux":
        threading.Thread(target=watch_parent, args=(parent,), daemon=True).start()


def watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(EXIT_CRASH)


def run_stages(ctx: CellContext) -> None:
    for stage, work in STAGE_FUNCTIONS.items():
        if ctx.pieces.has(stage):
            continue
        if stage == "sweep" and ctx.train_indexes is None:
            ctx.train_indexes = train_indexes(ctx.corpus.train)
        ctx.say(f"{stage} …")
        ctx.stages_run.append(stage)
        started = time.perf_counter()
        with torch_threads(1) if stage in ONE_THREAD_STAGES else contextlib.nullcontext():
            piece = work(ctx)
        ctx.pieces.save(stage, {**piece, "stage_seconds": time.perf_counter() - started})


def restart_cell(ctx: CellContext, why: ModelGone) -> None:
    """Forget a cell whose trained model is gone, so it trains again and redoes every stage."""
    ctx.say(f"{why}; training it again and redoing this cell's stages")
    for stage in (*STAGES, *TEXT_PIECES):
        ctx.pieces.discard(stage)
    ctx.generator, ctx.stages_run = None, []


def run_cell(
    plan: RunPlan,
    pieces: Pieces,
    cell_id: str,
    retrain: bool,
    *,
    corpus: Corpus | None = None,
    node: dict[str, Any] | None = None,
) -> int:
    """Run the missing stages of one cell into ``pieces``; its ``corpus`` is loaded by name unless
    given (a Ray task gets it from the driver). The exit status: ok, crash (a failed piece says
    why) or interrupted."""
    cell = plan.cell(cell_id)
    pieces.discard(FAILED)
    ctx: CellContext | None = None
    try:
        loaded = checked_corpus(plan, cell.corpus, corpus)
        ctx = CellContext(plan, cell, loaded, pieces, retrain=retrain, log=log, node=node or node_identity())
        try:
            run_stages(ctx)
        except ModelGone as gone:
            restart_cell(ctx, gone)
            run_stages(ctx)
    except KeyboardInterrupt:
        log(f"{cell_id}: interrupted during {current_stage(ctx)}; finished stages are kept")
        return EXIT_INTERRUPTED
    except Exception as error:  # recorded, so the report shows it and the other cells still run
        message = str(error) if isinstance(error, TextgenBenchError) else f"{type(error).__name__}: {error}"
        stage = current_stage(ctx)
        pieces.save(FAILED, {"stage": stage, "error": message, "traceback": traceback.format_exc()})
        log(f"{cell_id}: FAILED in {stage}: {message}")
        return EXIT_CRASH
    return EXIT_OK


def current_stage(ctx: CellContext | None) -> str:
    """The stage a cell was in when it stopped: the last it started, or setup before any."""
    return ctx.stages_run[-1] if ctx is not None and ctx.stages_run else "setup"


def checked_corpus(plan: RunPlan, name: str, corpus: Corpus | None = None) -> Corpus:
    """The corpus ``name`` (loaded here unless given), when it is the text the plan was made from."""
    corpus = corpus if corpus is not None else load_corpus(name, progress=False)
    expected = plan.corpus(name).sha256
    if corpus.sha256 != expected:
        raise TextgenBenchError(
            f"the corpus {name} changed since this run started ({corpus.sha256[:12]} != {expected[:12]}); "
            "start it over with --fresh"
        )
    return corpus


def main(argv: list[str] | None = None) -> int:
    die_with_parent()
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run.worker")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("task", help="a cell id, or _judge/CORPUS_KEY")
    parser.add_argument("--retrain", action="store_true")
    args = parser.parse_args(argv)
    plan, store = load_plan(args.run_dir), RunStore(args.run_dir)
    if args.task.startswith(f"{JUDGE}/"):
        from benchmarks.run.judge import run_judge

        return run_judge(plan, store, args.task, log)
    return run_cell(plan, store.cell(args.task), args.task, args.retrain)


if __name__ == "__main__":
    sys.exit(main())
