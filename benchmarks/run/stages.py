"""The stages one cell goes through: fit, likelihood, sweep, cycles (throughput is in its own module).

Each stage is a function of a :class:`CellContext` returning a JSON-ready dict, the piece. Stages
know generators only through the interface, and every call into one goes through
:mod:`benchmarks.run.contract`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.console import Log, log
from benchmarks.files import read_json
from benchmarks.metrics import (
    LikelihoodTotals,
    bootstrap_ci,
    chunk_scores,
    cycle_statistics,
    totals_from_scores,
)
from benchmarks.run import contract
from benchmarks.run.environment import node_identity
from benchmarks.run.layout import CYCLE_SAMPLES, SAMPLES
from benchmarks.run.model_cache import (
    cache_directory,
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
from generators.base import Corpus, Generator
from generators.config import config_to_dict
from generators.registry import create_generator, get_generator_class


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
    budget = ctx.cell.budget
    key = model_cache_key(
        ctx.cell.generator,
        config_to_dict(generator.config),
        ctx.corpus.sha256,
        ctx.cell.seed,
        {"seconds": budget.seconds, "steps": budget.steps, "device": ctx.device},
    )
    return cache_directory() / key


def stage_fit(ctx: CellContext) -> dict[str, Any]:
    """Train (or load the cached model trained with the same settings) and describe it."""
    generator = create_generator(ctx.cell.generator, ctx.cell.options, device=ctx.device)
    folder = model_dir_for(ctx, generator)
    if not ctx.retrain and (cached := cached_fit(ctx, folder)) is not None:
        return cached
    with training_lock(folder, ctx.say):
        if not ctx.retrain and (cached := cached_fit(ctx, folder, quiet=True)) is not None:
            return cached  # another run trained it while this one waited
        remove_stale_partials(folder)
        report = contract.fit(generator, ctx.corpus, seed=ctx.cell.seed, budget=ctx.cell.budget)
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
    ctx.say(f"using the cached model {folder} (--retrain to train again)")
    ctx.generator = load_model(ctx, folder)
    return fit_piece(ctx, read_json(folder / "MANIFEST.json")["fit"], folder, cached=True)


def load_model(ctx: CellContext, folder: Path) -> Generator:
    return contract.load(get_generator_class(ctx.cell.generator), folder, device=ctx.device)


def fit_piece(ctx: CellContext, report: dict[str, Any], folder: Path, *, cached: bool) -> dict[str, Any]:
    """What the fit stage records; ``node`` is the machine whose model cache holds ``model_dir``."""
    return {
        "fit": report,
        "describe": contract.describe(ctx.generator),
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
    """Score the test split once; every likelihood metric comes from these numbers."""
    generator = trained_generator(ctx)
    section = ctx.plan.config.likelihood
    text = ctx.corpus.test[: section.max_test_chars or None]
    start = time.perf_counter()
    logprobs = contract.score(generator, text)
    seconds = time.perf_counter() - start
    totals = totals_from_scores(text, logprobs, native_tokens=contract.native_token_count(generator, text))
    chunks = chunk_scores(logprobs, section.ci_chunk_chars)
    low, high = bootstrap_ci(
        chunks.nll_nats, chunks.chars, n_resamples=section.bootstrap_resamples, seed=ctx.cell.seed
    )
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


def sampling_seed(training_seed: int, temperature: float) -> int:
    """The seed of one temperature's continuations: from the training seed and the temperature's
    value (in millionths), so adding a temperature leaves every other temperature's text as it was."""
    micro = round(temperature * 1_000_000)
    return int(np.random.SeedSequence([training_seed, micro]).generate_state(1)[0])


def stage_sweep(ctx: CellContext) -> dict[str, Any]:
    """Generate every prompt × sample × temperature in batches; compute the metrics of each temperature.

    The metrics use the test prompts' continuations only (the demo prompts' are shown in the
    report); a temperature's ``samples`` and ``pooled_samples`` count the texts they used.
    """
    generator = trained_generator(ctx)
    sweep = ctx.plan.config.sweep
    tests, demos = ctx.corpus_plan.test_prompts, ctx.corpus_plan.demo_prompts
    batch = [p.text for p in tests for _ in range(sweep.samples_per_prompt)] + [p.text for p in demos]
    cells, samples = [], []
    for sampling in sweep.samplings:
        start = time.perf_counter()
        seed = sampling_seed(ctx.cell.seed, sampling.temperature)
        texts = contract.generate(generator, batch, max_chars=sweep.max_chars, sampling=sampling, seed=seed)
        seconds = time.perf_counter() - start
        model_texts, demo_texts = texts[: len(batch) - len(demos)], texts[len(batch) - len(demos) :]
        metrics = cell_metrics(model_texts, ctx.train_indexes, sweep.samples_per_prompt, sweep.max_chars)
        cells.append({"temperature": sampling.temperature, "seed": seed, "seconds": seconds, **metrics})
        samples.append(
            {
                "temperature": sampling.temperature,
                "test": model_texts,
                "demo": demo_texts,
                "annotations": annotate(model_texts, ctx.train_indexes, sweep.max_chars),
                "demo_annotations": annotate(demo_texts, ctx.train_indexes, sweep.max_chars),
            }
        )
    ctx.pieces.save(SAMPLES, {"prompts": batch, "samples": samples})
    demo_samples = [{"temperature": s["temperature"], "texts": s["demo"]} for s in samples]
    return {"cells": cells, "demo_samples": demo_samples}


# ---------------------------------------------------------------- cycles


def stage_cycles(ctx: CellContext) -> dict[str, Any]:
    """The cycling probe: one ``sweep.cycle_chars``-character continuation of each test prompt at
    each of ``sweep.cycle_temperatures``, one batched generate call per temperature (seeded as the
    sweep seeds that temperature), and the metrics of :mod:`benchmarks.metrics.cycles`. Greedy texts
    are also held against the cycles a generator finds from its own state
    (``Generator.greedy_cycles``), when it can. The texts go to their own piece, beside the stages."""
    generator = trained_generator(ctx)
    sweep = ctx.plan.config.sweep
    prompts = [p.text for p in ctx.corpus_plan.test_prompts]
    cells, samples = [], []
    for temperature in sweep.cycle_temperatures:
        sampling = sweep.sampling(temperature)
        seed = sampling_seed(ctx.cell.seed, temperature)
        start = time.perf_counter()
        texts = contract.generate(
            generator, prompts, max_chars=sweep.cycle_chars, sampling=sampling, seed=seed
        )
        seconds = time.perf_counter() - start
        exact = (
            contract.greedy_cycles(generator, prompts, max_chars=sweep.cycle_chars)
            if sampling.greedy
            else None
        )
        metrics = cycle_statistics(texts, sweep.cycle_chars, exact)
        cells.append(
            {
                "temperature": temperature,
                "seed": seed,
                "seconds": seconds,
                "chars": sweep.cycle_chars,
                **metrics,
            }
        )
        samples.append({"temperature": temperature, "test": texts})
    ctx.pieces.save(CYCLE_SAMPLES, {"prompts": prompts, "samples": samples})
    return {"cells": cells}
