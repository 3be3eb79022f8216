"""Runs a benchmark: every configured generator through every stage, then the judge and the report.

The harness knows generators only through the interface. Each generator runs in its own worker
process (:mod:`benchmarks.worker`); each finished stage is a JSON piece in the run folder, so an
interrupted run resumes where it stopped and a failing generator leaves the others untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.corpora import load_corpus
from benchmarks.judge import JUDGE
from benchmarks.prompts import choose_test_prompts, demo_prompts
from benchmarks.results import HUMAN, assemble_results
from benchmarks.samples import cell_metrics, train_indexes
from benchmarks.settings import RunConfig
from benchmarks.stages import STAGES
from benchmarks.store import RunStore, environment, read_json, resolve_device, write_json_atomic
from generators.base import Corpus
from generators.config import config_to_dict
from generators.errors import ConfigError
from generators.registry import get_generator_class

MEASUREMENT_REVISION = 2  # bump when a change alters measured values: older run folders are not resumed
# 2: spelling model, loop rule on whole words, pooled metrics on one sample per prompt, prompt spans
# that do not overlap


def config_digest(config: RunConfig) -> str:
    """Names the run folder: the run config, every generator's resolved settings (defaults
    included) and MEASUREMENT_REVISION, so a changed default or measurement starts a new folder
    instead of resuming results of the old one."""
    resolved = {
        name: config_to_dict(get_generator_class(name).from_options(config.section_for(name).options).config)
        for name in config.run.generators
    }
    data = {"run": config.to_dict(), "generators": resolved, "measurements": MEASUREMENT_REVISION}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:10]


def default_run_dir(config: RunConfig) -> Path:
    corpus = config.run.corpus.replace(":", "_").replace("/", "_")[-40:]
    return Path(config.run.out) / f"{config.run.name}-{corpus}-{config_digest(config)}"


def check_generators(config: RunConfig) -> None:
    """Fail before any work when a generator name or option, or the judge's name, is wrong."""
    names = config.run.generators
    if len(set(names)) < len(names):
        raise ConfigError(f"run.generators names a generator twice: {', '.join(names)}")
    for name in dict.fromkeys([*names, *config.generators]):  # a [generators.NAME] table not run too
        get_generator_class(name).from_options(config.section_for(name).options)
    judge = config.sweep.judge
    if judge != "auto" and judge not in names:
        raise ConfigError(
            f"sweep.judge {judge!r} is not among the run's generators ({', '.join(names)}); or use auto"
        )


RUN_ENTRIES = {"run.json", "prompts.json", "pieces", "results.json", "results.csv", "report.md", "plots"}


def holds_only_run_files(run_dir: Path) -> bool:
    """Whether everything in ``run_dir`` is something a run writes (a start cut short included)."""
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"{run_dir} is a file, not a run folder")
    return not run_dir.exists() or all(child.name in RUN_ENTRIES for child in run_dir.iterdir())


def clear_run_folder(run_dir: Path, refusal: str) -> None:
    """Empty a folder holding only what a run writes (kept itself: it may be a link, or ".");
    any other folder is a ConfigError saying ``refusal``."""
    if not holds_only_run_files(run_dir):
        raise ConfigError(refusal)
    for child in run_dir.iterdir() if run_dir.exists() else []:
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()


def check_resumable(run: dict[str, Any], config: RunConfig, corpus: Corpus, run_dir: Path) -> None:
    """A resumed run must have been started with these settings on this corpus."""
    started = run["corpus"]
    if started["sha256"] != corpus.sha256:
        what = f"a different version of {corpus.name}" if started["name"] == corpus.name else started["name"]
        raise ConfigError(f"{run_dir} was started on {what}; use --fresh to start it over, or another --out")
    recorded = run.get("config_digest")  # absent from folders written before it was recorded
    as_json = json.loads(json.dumps(config.to_dict(), default=str))  # as run.json holds it
    same = recorded == config_digest(config) if recorded else run["config"] == as_json
    if not same:
        raise ConfigError(
            f"{run_dir} was started with other settings; use --fresh to start it over, or another --out"
        )


def start_run(config: RunConfig, corpus: Corpus, run_dir: Path, config_path: str, log) -> dict[str, Any]:
    """Write run.json, prompts.json and the human piece, or check them on a resumed run."""
    device = resolve_device(config.run.device)
    run_json = run_dir / "run.json"
    if run_json.exists():
        run = read_json(run_json)
        check_resumable(run, config, corpus, run_dir)
        resolve_device(run["device"])  # its workers use the device it started on
        log(f"resuming {run_dir}")
        return run
    # a start cut short (run.json is written last) begins again
    clear_run_folder(
        run_dir, f"{run_dir} is not empty and holds no run.json: pick an empty or new --out folder"
    )
    run = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config_file": config_path,
        "config": config.to_dict(),
        "config_digest": config_digest(config),
        "corpus": corpus.summary(),
        "device": device,
        "environment": environment(device),
    }
    sweep = config.sweep
    tests = choose_test_prompts(
        corpus.test, sweep.test_prompts, sweep.prompt_chars, sweep.max_chars, config.run.seed
    )
    prompts = tests + demo_prompts(sweep.demo_prompts)
    human = cell_metrics([p.human for p in tests], train_indexes(corpus.train))
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(run_dir / "prompts.json", {"prompts": [p.to_dict() for p in prompts]})
    RunStore(run_dir).save(HUMAN, "sweep", {"cells": [{"temperature": None, **human}]})
    write_json_atomic(run_json, run)
    return run


def stages_missing(store: RunStore, name: str) -> list[str]:
    return [stage for stage in STAGES if not store.has(name, stage)]


def run_worker(run_dir: Path, args: list[str]) -> int:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.worker", str(run_dir), *args], env=env
    ).returncode


def describe_exit(code: int) -> str:
    return f"killed by signal {-code}" if code < 0 else f"exited with status {code}"


def run_generators(config: RunConfig, store: RunStore, retrain: bool, log) -> bool:
    """Run each unfinished generator in a worker; True when any stage was computed."""
    worked = False
    for name in config.run.generators:
        missing = stages_missing(store, name)
        if not missing:  # --retrain has already discarded every piece
            log(f"{name}: all stages kept from before")
            continue
        worked = True
        code = run_worker(store.run_dir, [name, *(["--retrain"] if retrain else [])])
        if code == 130:
            raise KeyboardInterrupt
        if code != 0 and not store.has(name, "failed"):
            store.save(
                name, "failed", {"stage": stages_missing(store, name)[0], "error": describe_exit(code)}
            )
    return worked


def run_benchmark(
    config: RunConfig,
    *,
    run_dir: Path | None = None,
    config_path: str = "",
    fresh: bool = False,
    retrain: bool = False,
    log=print,
) -> Path:
    """Run (or resume) a benchmark and write results.json and the report; returns the run folder."""
    resolve_device(config.run.device)  # a GPU torch cannot use fails here, before any work
    check_generators(config)
    corpus = load_corpus(config.run.corpus)
    run_dir = run_dir or default_run_dir(config)
    if fresh:
        clear_run_folder(
            run_dir, f"--fresh: {run_dir} holds files a run does not write; only run folders are emptied"
        )
    store = RunStore(run_dir)
    start_run(config, corpus, run_dir, config_path, log)
    if retrain:
        for name in config.run.generators:
            for stage in [*STAGES, "samples", "failed"]:
                store.discard(name, stage)
    worked = run_generators(config, store, retrain, log)
    if worked or not (store.has(JUDGE, "quality") or store.has(JUDGE, "failed")):
        store.discard(JUDGE, "failed")
        run_worker(run_dir, ["--judge"])
    results = assemble_results(run_dir)
    write_json_atomic(run_dir / "results.json", results)
    from benchmarks.report import render_report

    render_report(run_dir)
    point_latest(run_dir)
    return run_dir


def point_latest(run_dir: Path) -> None:
    """reports/latest → the newest run (a relative symlink)."""
    latest = Path("reports") / "latest"
    if not latest.parent.exists():
        return
    target = os.path.relpath(run_dir.resolve(), latest.parent.resolve())
    tmp = latest.with_name(".latest.tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target, target_is_directory=True)
    os.replace(tmp, latest)


def kept_summary(run_dir: Path) -> str:
    finished = RunStore(run_dir).finished()
    parts = [f"{name}: {', '.join(stages)}" for name, stages in finished.items() if not name.startswith("_")]
    return "; ".join(parts) or "nothing yet"
