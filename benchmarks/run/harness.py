"""Runs a plan: its unfinished cells, then each corpus's judge, then results.json and the report.

The harness knows generators only through the interface (in the workers) and cells only through
the executor. Every finished stage is a piece in the run folder, so an interrupted run resumes
where it stopped and a failing cell leaves the others untouched; the folder's lock keeps a second
run out of it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

from benchmarks.console import Log, log
from benchmarks.files import read_json, write_json_atomic, write_json_gz_atomic
from benchmarks.metrics import cycle_statistics
from benchmarks.run.environment import environment
from benchmarks.run.executors import Executor, LocalExecutor, Task
from benchmarks.run.judge import QUALITY
from benchmarks.run.layout import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    FAILED,
    HUMAN,
    JUDGE,
    PLAN_FILE,
    RESULTS_FILE,
    RUN_ENTRIES,
    RUN_FILE,
    SAMPLES_FILE,
    STAGES,
    TEXT_PIECES,
    corpus_key,
    pseudo_cell_id,
)
from benchmarks.run.lock import run_folder_lock
from benchmarks.run.plan import CorpusPlan, RunPlan, config_digest, load_plan
from benchmarks.run.progress import Progress, progress_lines
from benchmarks.run.references import ensure_references
from benchmarks.run.results import assemble_results, collect_samples
from benchmarks.run.settings import RunConfig
from benchmarks.run.store import RunStore
from benchmarks.samples import annotate, cell_metrics, human_intervals, train_indexes
from generators.base import Corpus
from generators.errors import ConfigError


def default_run_dir(config: RunConfig) -> Path:
    """reports/runs/<profile>-<corpora>-<config digest>: the same settings, the same folder."""
    corpora = config.run.corpus_names
    names = "+".join(corpus_key(c) for c in corpora)
    names = names if len(names) <= 40 else f"{len(corpora)}-corpora"
    return Path(config.run.out) / f"{config.run.name}-{names}-{config_digest(config)}"


def holds_only_run_files(run_dir: Path) -> bool:
    """Whether everything in ``run_dir`` is something a run writes (a start cut short included)."""
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"{run_dir} is a file, not a run folder")
    return not run_dir.exists() or all(c.name in RUN_ENTRIES for c in run_dir.iterdir())


def clear_run_folder(run_dir: Path, refusal: str) -> None:
    """Empty a folder holding only what a run writes (kept itself, and its lock: it may be a link,
    or "."); any other folder is a ConfigError saying ``refusal``."""
    if not holds_only_run_files(run_dir):
        raise ConfigError(refusal)
    for child in run_dir.iterdir() if run_dir.exists() else []:
        if child.name == ".lock":
            continue
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()


FRESH_REFUSAL = "--fresh: {} holds files a run does not write; only run folders are emptied"
NOT_A_RUN = "{} is not empty and holds no plan.json: pick an empty or new --out folder"


def check_run_folder(run_dir: Path, fresh: bool) -> None:
    """Before any work: a folder that is not a run folder is never written into (or emptied)."""
    if fresh and not holds_only_run_files(run_dir):
        raise ConfigError(FRESH_REFUSAL.format(run_dir))
    if not fresh and not (run_dir / PLAN_FILE).exists() and not holds_only_run_files(run_dir):
        raise ConfigError(NOT_A_RUN.format(run_dir))


def check_resumable(plan: RunPlan, run_dir: Path) -> RunPlan:
    """The recorded plan of a started folder, when it was started with this plan's settings and corpora."""
    started = load_plan(run_dir)
    for corpus in plan.corpora:
        before = next((c for c in started.corpora if c.name == corpus.name), None)
        if before is not None and before.sha256 != corpus.sha256:
            raise ConfigError(
                f"{run_dir} was started on a different version of {corpus.name}; use --fresh to start it "
                "over, or another --out"
            )
    if started.digest != plan.digest:
        raise ConfigError(
            f"{run_dir} was started with other settings; use --fresh to start it over, or another --out"
        )
    return started


def plan_to_follow(plan: RunPlan, run_dir: Path, fresh: bool) -> RunPlan:
    """The plan the run follows: the folder's own when it resumes (checked to match), else ``plan``."""
    if fresh or not (run_dir / PLAN_FILE).exists():
        return plan
    return check_resumable(plan, run_dir)


def start_run(plan: RunPlan, corpora: dict[str, Corpus], run_dir: Path, executor: Executor, log: Log) -> None:
    """Write plan.json, run.json and each corpus's human piece, unless the folder was started."""
    if (run_dir / PLAN_FILE).exists():
        log(f"resuming {run_dir}")
        return
    # a start cut short (plan.json is written last) begins again
    clear_run_folder(run_dir, NOT_A_RUN.format(run_dir))
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    run = {"created": created, "environment": environment(executor.describe_device(plan.device))}
    write_json_atomic(run_dir / RUN_FILE, run)
    store = RunStore(run_dir)
    for corpus in plan.corpora:
        store.save(
            pseudo_cell_id(HUMAN, corpus.name), "sweep", human_piece(plan, corpus, corpora[corpus.name])
        )
    write_json_atomic(run_dir / PLAN_FILE, plan.to_dict())


def human_piece(plan: RunPlan, corpus: CorpusPlan, loaded: Corpus) -> dict[str, Any]:
    """The human row: the sweep's metrics of the test split's true continuations (cut at
    ``max_chars``, as the prompts hold them), and the cycling probe's of the same passages read on to
    ``cycle_chars`` (shorter where the test split ends first)."""
    sweep = plan.config.sweep
    humans = [p.human for p in corpus.test_prompts]
    indexes = train_indexes(loaded.train)
    human = {"temperature": None, **cell_metrics(humans, indexes, max_chars=sweep.max_chars)}
    starts = [p.offset + len(p.text) for p in corpus.test_prompts]
    long = [loaded.test[start : start + sweep.cycle_chars] for start in starts]
    cycles = {"temperature": None, "chars": sweep.cycle_chars, **cycle_statistics(long, sweep.cycle_chars)}
    return {
        "cells": [human],
        "annotations": annotate(humans, indexes, sweep.max_chars),
        "intervals": human_intervals(humans),
        "cycles": [cycles],
    }


def forget_cells(plan: RunPlan, store: RunStore) -> None:
    """--retrain: every cell starts over (its model is trained again)."""
    for cell in plan.cells:
        for stage in (*STAGES, *TEXT_PIECES, FAILED):
            store.discard(cell.id, stage)


def clear_stale_failures(plan: RunPlan, store: RunStore) -> None:
    """A failed piece of an earlier attempt of a cell whose every stage is now stored is stale."""
    for cell in plan.cells:
        if not store.missing_stages(cell.id):
            store.discard(cell.id, FAILED)


def run_cells(
    plan: RunPlan, store: RunStore, executor: Executor, retrain: bool, log: Log, every: float
) -> bool:
    """Run every unfinished cell, with a progress line every ``every`` seconds when nobody watches
    stderr; True when any was run."""
    tasks = [Task(cell.id, retrain) for cell in plan.cells if store.missing_stages(cell.id)]
    for cell in plan.cells:
        if not store.missing_stages(cell.id):
            log(f"{cell.id}: all stages kept from before")
    kept = len(plan.cells) - len(tasks)
    run_watched(store, executor, tasks, Progress("cells", len(plan.cells), kept, every=every, log=log))
    return bool(tasks)


def run_watched(store: RunStore, executor: Executor, tasks: list[Task], progress: Progress) -> None:
    """Run ``tasks``, recording each exit and counting it in ``progress`` (whose lines show when
    nobody watches stderr)."""

    def done(task: Task, code: int) -> None:
        record_exit(store, task, code)
        progress.finished()

    with progress_lines(progress):
        executor.run(store.run_dir, tasks, done)


def record_exit(store: RunStore, task: Task, code: int) -> None:
    """A worker that ended without saying why (killed, crashed) gets a failed piece naming its exit."""
    if code == EXIT_INTERRUPTED:
        raise KeyboardInterrupt
    if code != EXIT_OK and not store.has(task.id, FAILED):
        missing = store.missing_stages(task.id) if not task.id.startswith(JUDGE) else ["judge"]
        how = f"killed by signal {-code}" if code < 0 else f"exited with status {code}"
        store.save(task.id, FAILED, {"stage": (missing or ["throughput"])[0], "error": f"the worker {how}"})


def run_judges(
    plan: RunPlan, store: RunStore, executor: Executor, cells_ran: bool, log: Log, every: float
) -> None:
    """Judge each corpus whose samples changed, or that has no judgement yet (with progress lines
    as the cells have them)."""
    tasks = []
    for corpus in plan.corpora:
        judge_id = pseudo_cell_id(JUDGE, corpus.name)
        if cells_ran or not (store.has(judge_id, QUALITY) or store.has(judge_id, FAILED)):
            store.discard(judge_id, FAILED)
            tasks.append(Task(judge_id))
    run_watched(store, executor, tasks, Progress("judges", len(tasks), 0, every=every, log=log))


def run_benchmark(
    plan: RunPlan,
    corpora: dict[str, Corpus],
    *,
    run_dir: Path | None = None,
    executor: Executor | None = None,
    fresh: bool = False,
    retrain: bool = False,
    log: Log = log,
) -> Path:
    """Run (or resume) ``plan`` and write results.json and the report; returns the run folder."""
    run_dir = Path(run_dir) if run_dir is not None else default_run_dir(plan.config)
    executor = executor or LocalExecutor(1, log=log)
    every = plan.config.run.progress_every  # this command's, also when it resumes a folder
    with run_folder_lock(run_dir, log):
        plan = plan_to_follow(plan, run_dir, fresh)
        executor.prepare(plan, corpora)  # can it run these cells? Before anything is written or emptied
        if fresh:
            clear_run_folder(run_dir, FRESH_REFUSAL.format(run_dir))
        start_run(plan, corpora, run_dir, executor, log)
        store = RunStore(run_dir)
        ensure_references(plan, corpora, store, log)
        if retrain:
            forget_cells(plan, store)
        clear_stale_failures(plan, store)
        cells_ran = run_cells(plan, store, executor, retrain, log, every)
        run_judges(plan, store, executor, cells_ran, log, every)
        clear_stale_failures(plan, store)
        write_results(run_dir, plan)
    point_latest(run_dir)
    return run_dir


def write_results(run_dir: Path, plan: RunPlan) -> None:
    from benchmarks.report import render_report

    write_json_atomic(run_dir / RESULTS_FILE, assemble_results(run_dir, plan))
    write_json_gz_atomic(run_dir / SAMPLES_FILE, collect_samples(run_dir, plan))
    render_report(run_dir)


def point_latest(run_dir: Path) -> None:
    """reports/latest -> the newest run (a relative symlink), for runs under ./reports/ only."""
    reports = Path("reports")
    if not reports.is_dir() or not run_dir.resolve().is_relative_to(reports.resolve()):
        return
    latest = reports / "latest"
    target = os.path.relpath(run_dir.resolve(), reports.resolve())
    tmp = latest.with_name(".latest.tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target, target_is_directory=True)
    os.replace(tmp, latest)


def kept_summary(run_dir: Path) -> str:
    """What an interrupted run keeps: the finished stages of each cell, in the order they run, then
    its texts."""
    store = RunStore(run_dir)
    if not (run_dir / PLAN_FILE).exists():
        return "nothing yet"
    parts = []
    for cell in load_plan(run_dir).cells:
        finished = [s for s in (*STAGES, *TEXT_PIECES) if s in store.finished_stages(cell.id)]
        if finished:
            parts.append(f"{cell.id}: {', '.join(finished)}")
    return "; ".join(parts) or "nothing yet"


def unfinished_parts(run_dir: Path) -> list[str]:
    from benchmarks.run.results import unfinished

    return unfinished(read_json(run_dir / RESULTS_FILE))
