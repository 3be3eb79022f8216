"""Runs one generator's stages (or the judge) in a process of its own.

A separate process per generator keeps one generator's crash, memory blow-up or hung GPU from
taking the others down, and makes its peak memory its own. Usage (the harness does this)::

    python -m benchmarks.worker RUN_DIR GENERATOR [--retrain]
    python -m benchmarks.worker RUN_DIR --judge
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from typing import Any

from benchmarks.corpora import load_corpus
from benchmarks.prompts import Prompt
from benchmarks.samples import train_indexes
from benchmarks.settings import RunConfig, parse_config
from benchmarks.stages import STAGES, StageContext
from benchmarks.store import RunStore, read_json
from generators.errors import TextgenBenchError

FAILED = "failed"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_run(run_dir: Path) -> tuple[dict[str, Any], RunConfig, list[Prompt]]:
    run = read_json(run_dir / "run.json")
    prompts = [Prompt(**p) for p in read_json(run_dir / "prompts.json")["prompts"]]
    return run, parse_config(run["config"]), prompts


def run_generator(run_dir: Path, name: str, retrain: bool) -> int:
    store = RunStore(run_dir)
    store.discard(name, FAILED)
    run, config, prompts = load_run(run_dir)
    corpus = load_corpus(config.run.corpus)
    if corpus.sha256 != run["corpus"]["sha256"]:
        raise TextgenBenchError(
            f"the corpus {corpus.name} changed since this run started ({corpus.sha256[:12]} != "
            f"{run['corpus']['sha256'][:12]}); start a fresh run with --fresh"
        )
    ctx = StageContext(name, config, corpus, prompts, store, run["device"], retrain=retrain, log=log)
    stage = "setup"
    try:
        for stage, work in STAGES.items():
            if store.has(name, stage):
                continue
            if stage == "sweep":
                ctx.shared.update(train_indexes(corpus.train))
            log(f"{name}: {stage} …")
            ctx.stages_run.append(stage)
            store.save(name, stage, work(ctx))
    except KeyboardInterrupt:
        log(f"{name}: interrupted during {stage}; finished stages are kept")
        return 130
    except Exception as error:  # recorded, so the report shows it and the other generators still run
        message = str(error) if isinstance(error, TextgenBenchError) else f"{type(error).__name__}: {error}"
        store.save(name, FAILED, {"stage": stage, "error": message, "traceback": traceback.format_exc()})
        log(f"{name}: FAILED in {stage}: {message}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("generator", nargs="?")
    parser.add_argument("--judge", action="store_true")
    parser.add_argument("--retrain", action="store_true")
    args = parser.parse_args(argv)
    if args.judge:
        from benchmarks.judge import run_judge

        return run_judge(args.run_dir, log=log)
    return run_generator(args.run_dir, args.generator, args.retrain)


if __name__ == "__main__":
    sys.exit(main())
