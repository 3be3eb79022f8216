"""Assembling ``results.json`` from a run folder's plan and pieces.

Schema (version 2)::

    {
      "schema": 2,
      "created": ISO time, "config_file": str, "config": {run, likelihood, sweep, throughput, generators,
      variants}, "config_digest": str, "device": "cpu" | "cuda" | "cuda:N",
      "environment": {commit, libraries: {…}, lock: {file, sha256} | null, cpu: {model, capability},
                      platform, device: {type, name, …}},
      "rows": [row names in table order], "seeds": [training seeds],
      "corpora": [{
          "name": str, "key": str, "summary": {name, sha256, split_rule, chars: {train, valid, test}},
          "prompts": {"test": [{text, human, offset}], "demo": [text, …]},
          "human": {"cells": [{temperature: null, samples, pooled_samples, seq_rep_1..4, …}],
                    "quality_bpc": float, "quality_judges": {judge row: bpc},
                    "intervals": {distinct_2: [lo, hi], self_bleu_4: [lo, hi], …},
                    "cycles": [{temperature: null, chars, the cycling probe's numbers of the same passages read on}]},
          "judge": {"rule": str, "judges": {row: its judging cell id}, "judge_seconds": {row: float},
                    "error": str | null, "seconds": float | null},
          "references": {"compressors": [{name, bpc, bits, chars, train_chars, method, library, seconds}],
                         "published": [{name, nats, bpc, setup, source, note}]},
          "rows": {ROW: {"seeds": [..], "status": str, "likelihood" | "fit" | "throughput" | "describe":
                         {KEY: {mean, sd, n, values}}, "card": {the first seed's card, its TRAINING_NUMBERS as
                         {mean, sd, n, values}, end_verdict over the seeds} | null, "sweep" | "cycles":
                         [{temperature, KEY: {mean, sd, n, values}}] (and, for cycles, "curve": the seeds'
                         mean cycling curve),
                         "strategies": [{strategy, supported, settings, KEY: {mean, sd, n, values}}]}},
          "comparisons": {"alpha": float, "bpc": TABLE + {intervals, resamples} | null,
                          "sweep": [{temperature, loop_rate | seq_rep_4 | self_bleu_4: TABLE | null}],
                          "cycles": [{temperature, looped_share | degenerate_share: TABLE | null}]},
          "operating_points": {ROW: {temperature, bracket, gap, matched, KEY: interpolated value, …}},
          "strategy_verdicts": {ROW: {strategy, loop_measure, loop_rate, quality_gap, …} | null},
          "scaling": null | {"alpha", "budgets": [multiples], "series": {SERIES: [rows]}, "rankings": [{multiplier,
                     "rows": {NAME: row}, "bpc": comparisons table | null}], "crossings": [{passes, passed, after, by}]}
      }],
      "cells": [{
          "id": "char-lstm/shakespeare/seed-0", "row": str, "generator": str, "corpus": str, "seed": int,
          "budget": {seconds, steps}, "series": str ("" off the budget axis), "multiplier": float | null,
          "status": "ok" | "failed" | "incomplete", "error": str | null, "failed_stage": str | null,
          "family": str, "describe": {name, parameters, tokenizer, config, …}, "cached": bool,
          "card": {architecture, parameters, tokenizer, vocabulary, pretrained, valid_chars, notes,
                   train_chars, epochs, steps, stopped_by, end_change_bpc, end_verdict, end_points} | null,
          "fit": {seconds, train_seconds, steps, train_chars, stopped_by, curve: [{seconds, step, valid_bpc}],
                  training_flops: float | null},
          "likelihood": {bpc, bpb, word_perplexity, native_token_perplexity, bpc_ci95: [lo, hi], oov_rate,
                         chunks: {nll_nats: [...], chars: [...]}, …},
          "sweep": [{temperature, seed, seconds, samples, pooled_samples, seq_rep_1..4, distinct_1..4,
                     loop_rate, loop_onset_median, loop_period_median, self_bleu_4, zipf, copy_rate_8,
                     valid_word_rate, mean_chars, cycling: {…}, quality_bpc, quality_judges: {row: bpc},
                     quality_human_bpc, quality_gap}],
          "strategies": [{strategy, settings: {Sampling fields}, supported, and when supported the
                          keys of a sweep entry (no temperature)}],
          "demo_samples": [{"temperature": float, "texts": [one continuation per demo prompt]}],
          "cycles": [{temperature, seed, seconds, chars, samples, looped_share, degenerate_share, looped_count, degenerate_threshold,
                      tail_rep_4, onset_p25/median/p75, period_p25/median/p75, attractors,
                      largest_attractor_share, attractor_sizes, [exact_cycles, exact_agree,]
                      curve: {chars, share}, per_prompt: {looped, degenerate, onset, period, attractor,
                      tail_rep_4[, exact]}}]   (benchmarks.metrics.cycles; one entry per cycle temperature),
          "throughput": {train_chars_per_s, score_chars_per_s, generate_chars_per_s_batch1,
                         generate_chars_per_s_batch<B>, ms_per_char_batch1, peak_memory_bytes,
                         peak_gpu_memory_bytes (when the worker used CUDA), peak_memory_kind, …,
                         load: {load_1min_before, load_1min_after, cores, others_busy_cores, busy}},
          "stage_seconds": {fit, likelihood, sweep, cycles, throughput: wall-clock seconds of each stage}
      }]
    }

``rows`` summarises each row's cells over its seeds (:mod:`benchmarks.run.aggregate`); the report
shows those summaries. A comparisons TABLE is :func:`benchmarks.metrics.ranking.comparisons`'s
(generators, pairs, units, smallest_p, smallest_p_holm, can_separate, units_needed, …) plus the
rows ``left_out`` (:mod:`benchmarks.run.comparisons`). Cells are listed corpus-major, then in row order, then by seed; temperatures are joined by value.
A sweep cell's ``samples`` counts the continuations its per-continuation metrics used (every
sample of every test prompt; demo prompts excluded), ``pooled_samples`` the texts distinct-n,
Self-BLEU-4 and Zipf used (the first sample of each prompt).

Timing fields (everything named *seconds*, *_per_s*, *ms_per_*, *memory*, ``created``,
``environment``, and throughput's ``load``) vary between identical runs; everything else is determined by the plan on one
kind of CPU (another kind, with other vector instructions, rounds float sums otherwise).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.files import read_json
from benchmarks.run.aggregate import aggregate_rows
from benchmarks.run.cards import cell_card
from benchmarks.run.comparisons import corpus_comparisons
from benchmarks.run.judge import QUALITY, cell_quality, human_quality, quality_fields
from benchmarks.run.layout import (
    CYCLE_SAMPLES,
    FAILED,
    HUMAN,
    JUDGE,
    RUN_FILE,
    SAMPLES,
    SCHEMA_VERSION,
    STAGES,
    pseudo_cell_id,
)
from benchmarks.run.operating import operating_points, strategy_verdicts
from benchmarks.run.plan import CellPlan, CorpusPlan, RunPlan, load_plan
from benchmarks.run.references import corpus_references
from benchmarks.run.scaling import corpus_scaling
from benchmarks.run.store import RunStore


def cell_status(store: RunStore, cell: str) -> dict[str, Any]:
    if store.has(cell, FAILED):
        failure = store.load(cell, FAILED)
        return {"status": "failed", "error": failure["error"], "failed_stage": failure["stage"]}
    if store.missing_stages(cell):
        return {"status": "incomplete", "error": "not run to the end", "failed_stage": None}
    return {"status": "ok", "error": None, "failed_stage": None}


NO_QUALITY = quality_fields({}, {})  # what a cell no judge scored holds
NOT_JUDGED_YET = "the judges have not run: the run stopped before them (run it again to judge)"


def with_quality(cells: list[dict[str, Any]], judged: dict[float, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each sweep cell with the quality fields of the same temperature (joined by value)."""
    return [{**cell, **judged.get(float(cell["temperature"]), NO_QUALITY)} for cell in cells]


def strategies_with_quality(
    strategies: list[dict[str, Any]], judged: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each strategy cell with the quality fields of the same strategy (joined by name); a strategy
    the generator does not support has none."""
    return [
        {**s, **judged.get(s["strategy"], NO_QUALITY)} if s.get("supported") else s for s in strategies
    ]


def load_piece(store: RunStore, cell: str, stage: str) -> dict[str, Any]:
    """A piece without its ``stage_seconds`` (gathered into the cell's own ``stage_seconds``)."""
    return {k: v for k, v in store.load(cell, stage).items() if k != "stage_seconds"}


def cell_results(
    store: RunStore, cell: CellPlan, quality: dict[str, Any], split_chars: dict[str, int]
) -> dict[str, Any]:
    """One cell's entry of results.json; ``quality`` is its corpus's judge piece, ``split_chars``
    its corpus's split sizes (for the model card's epochs)."""
    entry: dict[str, Any] = {
        "id": cell.id,
        "row": cell.row,
        "generator": cell.generator,
        "corpus": cell.corpus,
        "seed": cell.seed,
        "budget": {"seconds": cell.budget_seconds, "steps": cell.budget_steps},
        "series": cell.series,
        "multiplier": cell.multiplier,
        **cell_status(store, cell.id),
    }
    if store.has(cell.id, "fit"):
        fit = load_piece(store, cell.id, "fit")
        entry.update(family=fit.get("family"), describe=fit["describe"], fit=fit["fit"], cached=fit["cached"])
        entry["card"] = cell_card(fit["card"], fit["fit"], split_chars) if "card" in fit else None
    if store.has(cell.id, "likelihood"):
        entry["likelihood"] = load_piece(store, cell.id, "likelihood")
    if store.has(cell.id, "sweep"):
        sweep = load_piece(store, cell.id, "sweep")
        judged = cell_quality(quality, cell.id)
        entry["sweep"] = with_quality(sweep["cells"], judged["temperatures"])
        entry["strategies"] = strategies_with_quality(sweep.get("strategies", []), judged["strategies"])
        entry["demo_samples"] = sweep["demo_samples"]
    if store.has(cell.id, "cycles"):
        probe = load_piece(store, cell.id, "cycles")
        entry["cycles"], entry["cycle_strategies"] = probe["cells"], probe.get("strategies", [])
    if store.has(cell.id, "throughput"):
        entry["throughput"] = load_piece(store, cell.id, "throughput")
    entry["stage_seconds"] = {
        stage: store.load(cell.id, stage).get("stage_seconds")
        for stage in STAGES
        if store.has(cell.id, stage)
    }
    return entry


def corpus_results(store: RunStore, corpus: CorpusPlan, quality: dict[str, Any]) -> dict[str, Any]:
    judge_id = pseudo_cell_id(JUDGE, corpus.name)
    error = store.load(judge_id, FAILED)["error"] if store.has(judge_id, FAILED) else None
    if error is None and not quality:
        error = NOT_JUDGED_YET
    human = store.load(pseudo_cell_id(HUMAN, corpus.name), "sweep")
    return {
        "name": corpus.name,
        "key": corpus.key,
        "summary": corpus.summary,
        "prompts": {
            "test": [{"text": p.text, "human": p.human, "offset": p.offset} for p in corpus.test_prompts],
            "demo": [p.text for p in corpus.demo_prompts],
        },
        "human": {**human, **human_quality(quality)},
        "judge": {
            "rule": quality.get("rule"),
            "judges": {row: j["cell"] for row, j in (quality.get("judges") or {}).items()},
            "judge_seconds": {row: j.get("seconds") for row, j in (quality.get("judges") or {}).items()},
            "error": error,
            "seconds": quality.get("stage_seconds"),
        },
        "references": corpus_references(store, corpus.name),
    }


def judge_quality(store: RunStore, corpus: CorpusPlan) -> dict[str, Any]:
    judge_id = pseudo_cell_id(JUDGE, corpus.name)
    return store.load(judge_id, QUALITY) if store.has(judge_id, QUALITY) else {}


def assemble_results(run_dir: Path, plan: RunPlan | None = None) -> dict[str, Any]:
    plan = plan or load_plan(run_dir)
    store = RunStore(run_dir)
    run = read_json(Path(run_dir) / RUN_FILE)
    quality = {corpus.name: judge_quality(store, corpus) for corpus in plan.corpora}
    cells = [
        cell_results(store, c, quality[c.corpus], plan.corpus(c.corpus).summary["chars"]) for c in plan.cells
    ]
    corpora = []
    for corpus in plan.corpora:
        of_corpus = [c for c in cells if c["corpus"] == corpus.name]
        comparisons = corpus_comparisons(
            of_corpus,
            plan.rows,
            list(plan.config.sweep.temperatures),
            plan.config.likelihood.bootstrap_resamples,
            list(plan.config.sweep.cycle_temperatures),
        )
        rows = aggregate_rows(of_corpus, plan.rows, (comparisons["bpc"] or {}).get("intervals", {}))
        entry = corpus_results(store, corpus, quality[corpus.name])
        readings = {
            "operating_points": operating_points(rows, entry["human"]),
            "strategy_verdicts": strategy_verdicts(rows, entry["human"]),
            "scaling": corpus_scaling(of_corpus, plan.rows),
        }
        corpora.append({**entry, "rows": rows, "comparisons": comparisons, **readings})
    return {
        "schema": SCHEMA_VERSION,
        "created": run["created"],
        "config_file": plan.config_file,
        "config": plan.config.to_dict(),
        "config_digest": plan.digest,
        "device": plan.device,
        "environment": run["environment"],
        "rows": plan.rows,
        "seeds": list(plan.config.run.seeds),
        "corpora": corpora,
        "cells": cells,
    }


def unfinished(results: dict[str, Any]) -> list[str]:
    """The cells (and judges) of assembled results that did not finish, with their status."""
    parts = [f"{c['id']} ({c['status']})" for c in results["cells"] if c["status"] != "ok"]
    judges = [f"the judge of {c['name']} (failed)" for c in results["corpora"] if c["judge"]["error"]]
    return parts + judges


def human_annotations(store: RunStore, corpus: str) -> list[dict[str, Any]] | None:
    """The sample browser's spans of a corpus's human continuations (None in a run from before)."""
    human_id = pseudo_cell_id(HUMAN, corpus)
    return store.load(human_id, "sweep").get("annotations") if store.has(human_id, "sweep") else None


def collect_samples(run_dir: Path, plan: RunPlan | None = None) -> dict[str, Any]:
    """Every continuation of every cell, for ``samples.json.gz``: the prompts of each corpus, and
    each cell's texts at each temperature (test prompts prompt-major, ``samples_per_prompt`` each;
    then one per demo prompt), each text with its annotation for the sample browser (the keys are
    in :mod:`benchmarks.report.browser`), and the cycling probe's long continuations of the test
    prompts at each cycle temperature (``cycles``: [{temperature, test}]). The repetition,
    diversity and cycling metrics can be recomputed from it."""
    plan = plan or load_plan(run_dir)
    store = RunStore(run_dir)
    corpora = [
        {
            "name": corpus.name,
            "prompts": {
                "test": [{"text": p.text, "human": p.human, "offset": p.offset} for p in corpus.test_prompts],
                "demo": [p.text for p in corpus.demo_prompts],
            },
            "human_annotations": human_annotations(store, corpus.name),
        }
        for corpus in plan.corpora
    ]
    cells = []
    for cell in plan.cells:
        if store.has(cell.id, SAMPLES):
            stored = store.load(cell.id, SAMPLES)
            long = store.load(cell.id, CYCLE_SAMPLES) if store.has(cell.id, CYCLE_SAMPLES) else {}
            cells.append(
                {
                    "id": cell.id,
                    "row": cell.row,
                    "corpus": cell.corpus,
                    "seed": cell.seed,
                    "temperatures": stored["samples"],
                    "strategies": stored.get("strategies", []),
                    "cycles": long.get("samples", []),
                    "cycle_strategies": long.get("strategies", []),
                }
            )
    return {"samples_per_prompt": plan.config.sweep.samples_per_prompt, "corpora": corpora, "cells": cells}
