"""Sample quality: bits per character of generated text under judge models (Caccia et al. 2018),
where no generator judges its own samples.

The judges of a corpus are every neural row (``sweep.judge = "auto"``; every row that scored the
test split when none is neural), or the one row ``sweep.judge`` names; each judges with its model
of the lowest finished seed. Every judge scores the human continuations of the test prompts and
every continuation (each temperature and strategy) of every cell of the *other* rows, each given
its prompt. The quality of a set of continuations is the mean, over the judges that scored it, of
their corpus-weighted bpc of it, so a row's own model is never among them; its distance from human
text is that quality minus the mean of the same judges' bpc of the human continuations, so both
sides are judged by the same models. With a named judge, that row's own samples have no quality.
Each judge's own value is kept (``quality_judges``). With a budget axis (``run.budgets``) the
judges are each series' row at its profile budget (1×), so judging costs what it costs without one.

Cost: each judge scores every other row's texts, so with J neural rows the work is about J − 1
times that of one judge scoring every row.
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
from generators.devices import torch_threads
from generators.registry import get_generator_class

QUALITY = "quality"
JUDGE_RULE = "every judge but the generator itself; the mean over them"


def judge_cells(plan: RunPlan, store: Store, corpus: str) -> list[CellPlan]:
    """The judges of ``corpus`` (one cell per judging row, its lowest finished seed), in row order;
    empty when no eligible cell finished its likelihood stage."""
    scored = [c for c in plan.cells_of(corpus) if store.has(c.id, "likelihood") and store.has(c.id, "fit")]
    requested = plan.config.sweep.judge
    if requested != "auto":
        pool = [c for c in scored if requested in (c.row, c.series)]  # a series: its best budget
    else:
        neural = [c for c in scored if store.load(c.id, "fit").get("family") == "neural"]
        pool = [c for c in neural or scored if c.multiplier in (None, 1)]  # a series judges at 1×
    by_row: dict[str, CellPlan] = {}
    for cell in pool:
        if cell.row not in by_row or cell.seed < by_row[cell.row].seed:
            by_row[cell.row] = cell
    return [by_row[row] for row in plan.rows if row in by_row]


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
    judges = judge_cells(plan, store, corpus.name)
    if not judges:
        error = f"no judge available on {corpus.name} (requested {plan.config.sweep.judge!r})"
        store.save(judge_id, FAILED, {"stage": "judge", "error": error})
        return 1
    started = time.perf_counter()
    try:
        by_judge = {}
        for cell in judges:  # one short text at a time, on one thread (worker.thread_environment)
            folder = Path(store.load(cell.id, "fit")["model_dir"])
            if (problem := verify_model_dir(folder)) is not None:
                raise contract.StageError(f"the judge model {cell.id} is damaged ({problem})")
            judge = contract.load(get_generator_class(cell.generator), folder, device=plan.device)
            log(f"{judge_id}: scoring the other rows' samples with {cell.id} …")
            began = time.perf_counter()
            with torch_threads(1):
                by_judge[cell.row] = {"cell": cell.id, **judge_all(plan, store, corpus.name, judge, cell)}
            by_judge[cell.row]["seconds"] = time.perf_counter() - began
        piece = {"rule": JUDGE_RULE, "judges": by_judge, "stage_seconds": time.perf_counter() - started}
        store.save(judge_id, QUALITY, piece)
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
    """One judge's bpc of the human continuations and of every continuation of the other rows' cells."""
    tests = plan.corpus(corpus).test_prompts
    judged: dict[str, Any] = {"human": judged_bpc(judge, [p.text for p in tests], [p.human for p in tests])}
    cells: dict[str, Any] = {}
    for cell in plan.cells_of(corpus):
        if cell.row == judge_cell.row or not store.has(cell.id, SAMPLES):
            continue  # a generator never judges its own samples
        stored = store.load(cell.id, SAMPLES)
        prompts, judged_sets = stored["prompts"], {}  # a strategy with a rung's settings: its texts

        def bpc(texts: list[str], prompts: list[str] = prompts, known: dict = judged_sets) -> float | None:
            key = tuple(texts)
            if key not in known:
                known[key] = judged_bpc(judge, prompts[: len(texts)], texts)
            return known[key]

        cells[cell.id] = {
            "temperatures": [
                {"temperature": t["temperature"], "quality_bpc": bpc(t["test"])} for t in stored["samples"]
            ],
            "strategies": {s["strategy"]: bpc(s["test"]) for s in stored.get("strategies", [])},
        }
    judged["cells"] = cells
    return judged


def quality_fields(judges: dict[str, Any], scores: dict[str, float | None]) -> dict[str, Any]:
    """The quality of one set of continuations from each judge's bpc of it (``scores``: judge row ->
    bpc, None where it did not score it): the mean over the judges that did, the same judges' mean
    bpc of the human continuations, and the distance between the two."""
    used = {row: value for row, value in scores.items() if value is not None}
    humans = [judges[row]["human"] for row in used if judges[row].get("human") is not None]
    quality = float(np.mean(list(used.values()))) if used else None
    human = float(np.mean(humans)) if used and len(humans) == len(used) else None
    gap = quality - human if quality is not None and human is not None else None
    return {"quality_bpc": quality, "quality_judges": used, "quality_human_bpc": human, "quality_gap": gap}


def cell_quality(quality: dict[str, Any], cell: str) -> dict[str, Any]:
    """A cell's quality fields per temperature (by value) and per strategy (by name), from a judge piece."""
    judges = quality.get("judges") or {}
    temperatures: dict[float, dict[str, float | None]] = {}
    strategies: dict[str, dict[str, float | None]] = {}
    for row, judged in judges.items():
        entry = (judged.get("cells") or {}).get(cell)
        if entry is None:
            continue
        for t in entry["temperatures"]:
            temperatures.setdefault(float(t["temperature"]), {})[row] = t["quality_bpc"]
        for name, value in entry["strategies"].items():
            strategies.setdefault(name, {})[row] = value
    return {
        "temperatures": {t: quality_fields(judges, s) for t, s in temperatures.items()},
        "strategies": {name: quality_fields(judges, s) for name, s in strategies.items()},
    }


def human_quality(quality: dict[str, Any]) -> dict[str, Any]:
    """The human continuations' quality: the mean over every judge (each judge's value kept)."""
    judges = quality.get("judges") or {}
    scores = {row: judged.get("human") for row, judged in judges.items()}
    fields = quality_fields(judges, scores)
    gap = 0.0 if fields["quality_bpc"] is not None else None  # the human text is its own reference
    return {"quality_bpc": fields["quality_bpc"], "quality_judges": fields["quality_judges"], "quality_gap": gap}
