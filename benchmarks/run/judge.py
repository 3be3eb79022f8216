"""Sample quality: bits per character of generated text under a judge model (Caccia et al. 2018).

One judge per corpus: the row named by ``sweep.judge`` (the best of its budgets, when it has a
budget axis), or (``auto``) the neural row with the lowest mean test bpc over its seeds; its model of the lowest finished seed scores every
continuation of every cell of that corpus, each given its prompt, and the human continuations the
same way. A temperature's quality is the corpus-weighted bpc of all its continuations.
"""

from __future__ import annotations

import math
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.console import Log
from benchmarks.run import contract
from benchmarks.run.layout import FAILED, JUDGE, SAMPLES
from benchmarks.run.model_cache import verify_model_dir
from benchmarks.run.plan import CellPlan, RunPlan
from benchmarks.run.store import Store
from generators.base import Generator
from generators.registry import get_generator_class

QUALITY = "quality"


def choose_judge(plan: RunPlan, store: Store, corpus: str) -> CellPlan | None:
    """The judge's cell on ``corpus``, or None when no eligible cell finished its likelihood stage."""
    scored = [c for c in plan.cells_of(corpus) if store.has(c.id, "likelihood") and store.has(c.id, "fit")]
    requested = plan.config.sweep.judge
    if requested != "auto":
        pool = [c for c in scored if requested in (c.row, c.series)]  # a series: its best budget
    else:
        neural = [c for c in scored if store.load(c.id, "fit").get("family") == "neural"]
        pool = neural or scored
    if not pool:
        return None
    by_row: dict[str, list[float]] = {}
    for cell in pool:
        by_row.setdefault(cell.row, []).append(store.load(cell.id, "likelihood")["bpc"])
    best = min(by_row, key=lambda row: (float(np.mean(by_row[row])), list(by_row).index(row)))
    return min((c for c in pool if c.row == best), key=lambda c: c.seed)


def judged_bpc(judge: Generator, prompts: list[str], texts: list[str]) -> float | None:
    nll = chars = 0.0
    for prompt, text in zip(prompts, texts, strict=True):
        if text:
            nll -= float(contract.score(judge, text, prompt).sum())
            chars += len(text)
    return nll / (chars * math.log(2)) if chars else None


def run_judge(plan: RunPlan, store: Store, judge_id: str, log: Log) -> int:
    """Judge every sample of one corpus (``judge_id`` is its judge pseudo-cell); 0, or 1 on failure."""
    corpus = next(c for c in plan.corpora if f"{JUDGE}/{c.key}" == judge_id)
    judge_cell = choose_judge(plan, store, corpus.name)
    if judge_cell is None:
        error = f"no judge available on {corpus.name} (requested {plan.config.sweep.judge!r})"
        store.save(judge_id, FAILED, {"stage": "judge", "error": error})
        return 1
    try:
        folder = Path(store.load(judge_cell.id, "fit")["model_dir"])
        if (problem := verify_model_dir(folder)) is not None:
            raise contract.StageError(f"the judge model {judge_cell.id} is damaged ({problem})")
        judge = contract.load(get_generator_class(judge_cell.generator), folder, device=plan.device)
        log(f"{judge_id}: scoring every sample with {judge_cell.id} …")
        started = time.perf_counter()
        quality = judge_all(plan, store, corpus.name, judge, judge_cell)
        store.save(judge_id, QUALITY, {**quality, "stage_seconds": time.perf_counter() - started})
    except Exception as error:  # recorded: the report says why there is no sample quality
        store.save(
            judge_id, FAILED, {"stage": "judge", "error": str(error), "traceback": traceback.format_exc()}
        )
        log(f"{judge_id}: FAILED: {error}")
        return 1
    return 0


def judge_all(
    plan: RunPlan, store: Store, corpus: str, judge: Generator, judge_cell: CellPlan
) -> dict[str, Any]:
    tests = plan.corpus(corpus).test_prompts
    quality: dict[str, Any] = {"judge": judge_cell.row, "judge_cell": judge_cell.id, "cells": {}}
    quality["human"] = judged_bpc(judge, [p.text for p in tests], [p.human for p in tests])
    for cell in plan.cells_of(corpus):
        if not store.has(cell.id, SAMPLES):
            continue
        stored = store.load(cell.id, SAMPLES)
        quality["cells"][cell.id] = [
            {
                "temperature": temperature["temperature"],
                "quality_bpc": judged_bpc(
                    judge, stored["prompts"][: len(temperature["test"])], temperature["test"]
                ),
            }
            for temperature in stored["samples"]
        ]
    return quality
