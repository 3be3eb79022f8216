"""Assembling ``results.json`` from a run folder's pieces.

Schema (version 1)::

    {
      "schema": 1,
      "created": ISO time, "config_file": str, "config": {run, likelihood, sweep, throughput, generators},
      "corpus": {name, sha256, split_rule, chars: {train, valid, test}},
      "device": "cpu" | "cuda", "environment": {commit, libraries: {…}, platform, device: {type, name, …}},
      "prompts": {"test": [{text, human, offset}], "demo": [text, …]},
      "judge": generator name | null, "judge_error": str | null,
      "human": {"cells": [{temperature: null, samples, pooled_samples, seq_rep_1..4, distinct_1..4,
                           loop_rate, …}], "quality_bpc": float},
      "generators": {
        NAME: {
          "status": "ok" | "failed" | "incomplete", "error": str | null, "failed_stage": str | null,
          "family": str, "describe": {name, parameters, tokenizer, config, …},
          "fit": {seconds, train_seconds, steps, train_chars, stopped_by, curve: [{seconds, step, valid_bpc}]},
          "likelihood": {bpc, bpb, word_perplexity, native_token_perplexity, bpc_ci95: [lo, hi], oov_rate, …},
          "sweep": [{temperature, seconds, samples, pooled_samples, seq_rep_1..4, distinct_1..4,
                     loop_rate, loop_onset_median, loop_period_median, self_bleu_4, zipf, copy_rate_8,
                     valid_word_rate, mean_chars, quality_bpc}],
          "demo_samples": {"<temperature>": [one continuation per demo prompt]},
          "throughput": {train_chars_per_s, score_chars_per_s, generate_chars_per_s_batch1,
                         generate_chars_per_s_batch64, ms_per_char_batch1, peak_memory_bytes,
                         peak_gpu_memory_bytes (when the worker used CUDA), peak_memory_kind, …}
        }
      }
    }

A sweep cell's ``samples`` counts the continuations its per-continuation metrics used (every sample
of every test prompt; demo prompts excluded), ``pooled_samples`` the texts distinct-n, Self-BLEU-4
and Zipf used (the first sample of each prompt). ``fit.train_seconds`` is training-step time only
(null from a generator that does not record it: ``seconds`` stands in); ``peak_memory_kind`` names
the measures and the stages the worker process ran; ``peak_memory_bytes`` is always host RSS. These
fields were added without a version bump: a reader of version 1 finds them missing in older results
and falls back (older cells' ``samples`` also counted the demo continuations, and their pooled
metrics pooled every sample; older CUDA runs put the GPU peak in ``peak_memory_bytes``).

Timing fields (everything named *seconds*, *_per_s*, *ms_per_*, *memory*, ``created``, ``environment``)
vary between identical runs; everything else is determined by the config and the seed on CPU.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.judge import JUDGE
from benchmarks.store import RunStore, read_json

SCHEMA_VERSION = 1
HUMAN = "_human"


def generator_results(store: RunStore, name: str, quality: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"status": "ok", "error": None, "failed_stage": None}
    if store.has(name, "failed"):
        failure = store.load(name, "failed")
        entry.update(status="failed", error=failure["error"], failed_stage=failure["stage"])
    elif not store.has(name, "throughput"):
        entry.update(status="incomplete", error="not run to the end", failed_stage=None)
    if store.has(name, "fit"):
        fit = store.load(name, "fit")
        entry.update(family=fit.get("family"), describe=fit["describe"], fit=fit["fit"], cached=fit["cached"])
    if store.has(name, "likelihood"):
        entry["likelihood"] = store.load(name, "likelihood")
    if store.has(name, "sweep"):
        sweep = store.load(name, "sweep")
        judged = quality.get(name, {})
        entry["sweep"] = [
            {**cell, "quality_bpc": judged.get(str(cell["temperature"]))} for cell in sweep["cells"]
        ]
        entry["demo_samples"] = sweep["demo_samples"]
    if store.has(name, "throughput"):
        entry["throughput"] = store.load(name, "throughput")
    return entry


def assemble_results(run_dir: Path) -> dict[str, Any]:
    store = RunStore(run_dir)
    run = read_json(run_dir / "run.json")
    prompts = read_json(run_dir / "prompts.json")["prompts"]
    quality = store.load(JUDGE, "quality") if store.has(JUDGE, "quality") else {}
    judge_error = store.load(JUDGE, "failed")["error"] if store.has(JUDGE, "failed") else None
    human = store.load(HUMAN, "sweep")
    human["quality_bpc"] = quality.get("human")
    names = run["config"]["run"]["generators"]
    return {
        "schema": SCHEMA_VERSION,
        **{key: run[key] for key in ("created", "config_file", "config", "corpus", "device", "environment")},
        "prompts": {
            "test": [
                {k: p[k] for k in ("text", "human", "offset")} for p in prompts if p["source"] == "test"
            ],
            "demo": [p["text"] for p in prompts if p["source"] == "demo"],
        },
        "judge": quality.get("judge"),
        "judge_error": judge_error,
        "human": human,
        "generators": {name: generator_results(store, name, quality.get("generators", {})) for name in names},
    }
