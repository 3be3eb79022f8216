"""The stages one cell goes through: fit, likelihood, sweep, cycles (throughput is in its own module).

Each stage is a function of a :class:`CellContext` returning a JSON-ready dict, the piece. Stages
know generators only through the interface, and every call into one goes through
:mod:`benchmarks.run.contract`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.console import Log, log
from benchmarks.files import read_json
from benchmarks.metrics import LikelihoodTotals, bootstrap_ci, chunk_scores, totals_from_scores
from benchmarks.metrics.cycles import HEADLINE_CYCLING
from benchmarks.run import contract
from benchmarks.run.comparisons import RESAMPLING_SEED
from benchmarks.run.environment import node_identity
from benchmarks.run.layout import SAMPLES
from benchmarks.run.model_cache import (
    MANIFEST,
    cache_directory,
    cut_short_dir,
    model_cache_key,
    remove_stale_partials,
    remove_tree,
    seal_model_dir,
    staging_dir,
    training_lock,
    verify_model_dir,
)
from benchmarks.run.plan import CellPlan, CorpusPlan, RunPlan
from benchmarks.run.store import Pieces
from benchmarks.samples import annotate, cell_metrics
from generators.base import Corpus, Generator, Sampling
from generators.options import config_to_dict, init_options
from generators.registry import create_generator, generator_distribution, get_generator_class


class ModelGone(contract.StageError):
    """The model a finished fit stage trained is missing or damaged: the cell must start over."""


@dataclass
class CellContext:
    plan: RunPlan
    cell: CellPlan
    corpus: Corpus
    pieces: Pieces  # this cell's pieces
    retrain: bool = False
    log: Log = log
    generator: Generator | None = None  # trained (or loaded) by the first stage that needs it
    train_indexes: dict[str, Any] | None = None  # what the sweep metrics need of the train split
    stages_run: list[str] = field(default_factory=list)  # the stages this process ran, in order
    node: dict[str, Any] = field(default_factory=node_identity)  # the machine this process runs on

    @property
    def device(self) -> str:
        return self.plan.device

    @property
    def corpus_plan(self) -> CorpusPlan:
        return self.plan.corpus(self.cell.corpus)

    def say(self, message: str) -> None:
        self.log(f"{self.cell.id}: {message}")


# ---------------------------------------------------------------- fit


def model_dir_for(ctx: CellContext, generator: Generator) -> Path:
    """The cache folder of the cell's complete model. A step budget's seconds cap is not part of
    its key: it only stops a training, so every cap gives the same complete model."""
    budget = ctx.cell.budget
    seconds = budget.seconds if budget.steps is None else None
    key = model_cache_key(
        ctx.cell.generator,
        config_to_dict(generator.config),
        ctx.corpus.sha256,
        ctx.cell.seed,
        {"seconds": seconds, "steps": budget.steps, "device": ctx.device},
        generator_distribution(ctx.cell.generator),
    )
    return cache_directory() / key


def stage_fit(ctx: CellContext) -> dict[str, Any]:
    """Train (or load the cached model trained with the same settings) and describe it.

    A training the seconds cap cut short of its fixed work is kept in a folder of its own (this
    run's later stages, and its resumption, read it) where no later run looks for a model: the
    next run trains the complete one.
    """
    generator = create_generator(ctx.cell.generator, ctx.cell.options, device=ctx.device)
    folder = model_dir_for(ctx, generator)
    if not ctx.retrain and (cached := cached_fit(ctx, folder)) is not None:
        return cached
    with training_lock(folder, ctx.say):
        if not ctx.retrain and (cached := cached_fit(ctx, folder, quiet=True)) is not None:
            return cached  # another run trained it while this one waited
        remove_stale_partials(folder)
        report = contract.fit(generator, ctx.corpus, seed=ctx.cell.seed, budget=ctx.cell.budget)
        if ctx.cell.budget.cut_short(report["stopped_by"]):
            folder = cut_short_dir(folder, report["steps"])
            ctx.say(
                f"the time cap stopped training at step {report['steps']} of {ctx.cell.budget.steps}: "
                "cut short (marked so in the report; a later run trains the complete model)"
            )
        staging = staging_dir(folder)
        contract.save(generator, staging)
        seal_model_dir(staging, {"fit": report, "generator": ctx.cell.generator})
        remove_tree(folder)
        staging.rename(folder)
    ctx.generator = generator
    return fit_piece(ctx, report, folder, cached=False)


def cached_fit(ctx: CellContext, folder: Path, *, quiet: bool = False) -> dict[str, Any] | None:
    """The fit piece of an intact cached model (loaded into ``ctx``), or None to train one."""
    if not folder.exists():
        return None
    problem = verify_model_dir(folder)
    if problem is not None:
        if not quiet:
            ctx.say(f"cached model {folder.name} is damaged ({problem}); training it again")
        return None
    report = read_json(folder / MANIFEST)["fit"]
    if ctx.cell.budget.cut_short(report.get("stopped_by")):  # never reused in place of the complete model
        if not quiet:
            ctx.say(f"cached model {folder.name} was cut short by the time cap; training it again")
        return None
    ctx.say(f"using the cached model {folder} (--retrain to train again)")
    ctx.generator = load_model(ctx, folder)
    return fit_piece(ctx, report, folder, cached=True)


def load_model(ctx: CellContext, folder: Path) -> Generator:
    return contract.load(get_generator_class(ctx.cell.generator), folder, device=ctx.device)


def fit_piece(ctx: CellContext, report: dict[str, Any], folder: Path, *, cached: bool) -> dict[str, Any]:
    """What the fit stage records; ``node`` is the machine whose model cache holds ``model_dir``.
    ``fit.training_flops`` is the generator's estimate (None: it gives none)."""
    return {
        "fit": {**report, "training_flops": contract.training_flops(ctx.generator, report)},
        "describe": contract.describe(ctx.generator),
        "card": contract.card(ctx.generator),
        "family": ctx.generator.family,
        "model_dir": str(folder),
        "cached": cached,
        "node": ctx.node,
    }


def trained_generator(ctx: CellContext) -> Generator:
    """The generator the fit stage trained, loaded from its cache folder on a resumed run."""
    if ctx.generator is None:
        folder = Path(ctx.pieces.load("fit")["model_dir"])
        problem = verify_model_dir(folder)
        if problem is not None:
            raise ModelGone(f"the model its fit stage trained ({folder.name}) is damaged: {problem}")
        ctx.generator = load_model(ctx, folder)
    return ctx.generator


# ---------------------------------------------------------------- likelihood


def stage_likelihood(ctx: CellContext) -> dict[str, Any]:
    """Check the model is honest (normalised, top-k/top-p obeyed), then score the test split once;
    every likelihood metric comes from these numbers."""
    generator = trained_generator(ctx)
    contract.honest(generator, ctx.corpus.train)
    section = ctx.plan.config.likelihood
    text = ctx.corpus.test[: section.max_test_chars or None]
    start = time.perf_counter()
    logprobs = contract.score(generator, text)
    seconds = time.perf_counter() - start
    totals = totals_from_scores(text, logprobs, native_tokens=contract.native_token_count(generator, text))
    chunks = chunk_scores(logprobs, section.ci_chunk_chars)
    low, high = bootstrap_ci(
        chunks.nll_nats, chunks.chars, n_resamples=section.bootstrap_resamples, seed=RESAMPLING_SEED
    )  # not the training seed: the same scores give the same interval in every cell
    return {
        **likelihood_fields(totals),
        "bpc_ci95": [low / math.log(2), high / math.log(2)],
        "ci": {
            "chunk_chars": section.ci_chunk_chars,
            "chunks": len(chunks.chars),
            "resamples": section.bootstrap_resamples,
        },
        "chunks": {"nll_nats": chunks.nll_nats, "chars": chunks.chars},
        "oov_rate": contract.oov_rate(generator, text),
        "scored_chars": len(text),
        "score_seconds": seconds,
        "score_chars_per_s": len(text) / seconds if seconds > 0 else None,
    }


def likelihood_fields(totals: LikelihoodTotals) -> dict[str, Any]:
    return {
        "nll_nats": totals.nll_nats,
        "chars": totals.chars,
        "bytes": totals.bytes,
        "words": totals.words,
        "native_tokens": totals.native_tokens,
        "bpc": totals.bpc,
        "bpb": totals.bpb,
        "word_perplexity": totals.word_perplexity,
        "native_token_perplexity": totals.native_token_perplexity,
    }


# ---------------------------------------------------------------- sweep


def sampling_seed(training_seed: int, sampling: Sampling) -> int:
    """The seed of one setting's continuations: from the training seed, the temperature's value (in
    millionths) and each other setting that is on (its place among Sampling's fields and its value),
    so adding a temperature or a strategy leaves every other one's text as it was, and a strategy
    with the settings of a ladder rung samples that rung's text."""
    entropy = [training_seed, round(sampling.temperature * 1_000_000)]
    places = {f.name: i for i, f in enumerate(fields(Sampling))}
    for name in sampling.changed_fields():
        entropy += [places[name], round(getattr(sampling, name) * 1_000_000)]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def long_horizon_measures(ctx: CellContext, sampling: Sampling) -> dict[str, Any]:
    """The cycling probe's headline numbers for ``sampling`` (:mod:`benchmarks.run.probe`, which
    runs before the sweep): its looped and degenerate shares, tail repetition and attractors at
    ``sweep.cycle_chars``; empty where the probe did not continue with ``sampling``. Stored as the
    ``cycling`` of that temperature's or strategy's cell, where the strategy table and the
    operating points read it."""
    if not ctx.pieces.has("cycles"):
        return {}
    piece = ctx.pieces.load("cycles")
    for entry in [*piece["cells"], *piece.get("strategies", [])]:
        if entry.get("supported", True) and Sampling(**entry["settings"]) == sampling:
            return {key: entry[key] for key in HEADLINE_CYCLING}
    return {}


@dataclass
class SweepBatch:
    """The texts one sampling setting continues: every test prompt's samples, then the demo prompts."""

    prompts: list[str]
    demos: int  # how many of ``prompts`` (the last ones) are demo prompts

    @property
    def tests(self) -> int:
        return len(self.prompts) - self.demos


def sample_setting(ctx: CellContext, batch: SweepBatch, sampling: Sampling) -> tuple[dict, dict]:
    """Generate ``batch`` with ``sampling`` and measure it: (the cell's metrics, its samples)."""
    generator, sweep = trained_generator(ctx), ctx.plan.config.sweep
    seed = sampling_seed(ctx.cell.seed, sampling)
    start = time.perf_counter()
    texts = contract.generate(generator, batch.prompts, max_chars=sweep.max_chars, sampling=sampling, seed=seed)
    seconds = time.perf_counter() - start
    model_texts, demo_texts = texts[: batch.tests], texts[batch.tests :]
    metrics = cell_metrics(model_texts, ctx.train_indexes, sweep.samples_per_prompt, sweep.max_chars)
    cell = {"seed": seed, "seconds": seconds, **metrics, "cycling": long_horizon_measures(ctx, sampling)}
    samples = {
        "test": model_texts,
        "demo": demo_texts,
        "annotations": annotate(model_texts, ctx.train_indexes, sweep.max_chars),
        "demo_annotations": annotate(demo_texts, ctx.train_indexes, sweep.max_chars),
    }
    return cell, samples


def stage_sweep(ctx: CellContext) -> dict[str, Any]:
    """Generate every prompt × sample × temperature, then × strategy, in batches; compute the metrics
    of each.

    The metrics use the test prompts' continuations only (the demo prompts' are shown in the
    report); a cell's ``samples`` and ``pooled_samples`` count the texts they used. A strategy the
    generator does not support (``Generator.supports``) is recorded as such, never sampled with
    other settings; one with a ladder rung's settings reuses that rung's texts (the same seed
    would give the same texts).
    """
    generator = trained_generator(ctx)
    sweep = ctx.plan.config.sweep
    tests, demos = ctx.corpus_plan.test_prompts, ctx.corpus_plan.demo_prompts
    batch = SweepBatch(
        [p.text for p in tests for _ in range(sweep.samples_per_prompt)] + [p.text for p in demos], len(demos)
    )
    cells, samples, done = [], [], {}
    for sampling in sweep.samplings:
        cell, texts = sample_setting(ctx, batch, sampling)
        done[sampling] = (cell, texts)
        cells.append({"temperature": sampling.temperature, **cell})
        samples.append({"temperature": sampling.temperature, **texts})
    strategies, strategy_samples = [], []
    for name, sampling in sweep.named_strategies.items():
        entry = {"strategy": name, "settings": init_options(sampling)}
        if not contract.supports(generator, sampling):
            strategies.append({**entry, "supported": False})
            continue
        cell, texts = done[sampling] if sampling in done else sample_setting(ctx, batch, sampling)
        done[sampling] = (cell, texts)
        strategies.append({**entry, "supported": True, **cell})
        strategy_samples.append({"strategy": name, **texts})
    ctx.pieces.save(SAMPLES, {"prompts": batch.prompts, "samples": samples, "strategies": strategy_samples})
    demo_samples = [{"temperature": s["temperature"], "texts": s["demo"]} for s in samples]
    return {"cells": cells, "demo_samples": demo_samples, "strategies": strategies}
