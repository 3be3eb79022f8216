"""The stages one generator goes through in a run: fit, likelihood, sweep, throughput.

Each stage is a function of a :class:`StageContext` returning a JSON-ready dict (the piece). The
harness depends on the generator interface only; every call into a generator goes through
:mod:`benchmarks.contract`, which turns broken return values into errors naming the method.
"""

from __future__ import annotations

import math
import resource
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import contract
from benchmarks.metrics import (
    LikelihoodTotals,
    bootstrap_ci,
    chunk_scores,
    totals_from_scores,
)
from benchmarks.prompts import Prompt
from benchmarks.samples import cell_metrics
from benchmarks.settings import RunConfig
from benchmarks.store import (
    RunStore,
    cache_directory,
    model_cache_key,
    read_json,
    remove_tree,
    seal_model_dir,
    verify_model_dir,
)
from generators.base import Budget, Corpus, Generator, Sampling
from generators.config import config_to_dict
from generators.registry import create_generator, get_generator_class


@dataclass
class StageContext:
    name: str  # the generator's registry name
    config: RunConfig
    corpus: Corpus
    prompts: list[Prompt]
    store: RunStore
    device: str
    retrain: bool = False
    log: Any = print
    generator: Generator | None = None
    shared: dict[str, Any] = field(default_factory=dict)  # train-split indexes built once
    stages_run: list[str] = field(default_factory=list)  # the stages this process ran, in order


def budget_for(ctx: StageContext) -> Budget:
    section = ctx.config.section_for(ctx.name)
    return Budget(seconds=section.budget_seconds, steps=section.budget_steps)


def model_dir_for(ctx: StageContext, generator: Generator) -> Path:
    budget = budget_for(ctx)
    key = model_cache_key(
        ctx.name,
        config_to_dict(generator.config),
        ctx.corpus.sha256,
        ctx.config.run.seed,
        {"seconds": budget.seconds, "steps": budget.steps, "device": ctx.device},
    )
    return cache_directory() / key


def stage_fit(ctx: StageContext) -> dict[str, Any]:
    """Train (or load the cached model trained with the same settings) and describe it."""
    options = ctx.config.section_for(ctx.name).options
    generator = create_generator(ctx.name, options, device=ctx.device)
    folder = model_dir_for(ctx, generator)
    problem = verify_model_dir(folder) if folder.exists() else "absent"
    if folder.exists() and problem is None and not ctx.retrain:
        ctx.log(f"{ctx.name}: using the cached model in {folder} (--retrain to train again)")
        ctx.generator = get_generator_class(ctx.name).load(folder, device=ctx.device)
        fit = read_json(folder / "MANIFEST.json")["fit"]
        return fit_piece(fit, ctx.generator, folder, cached=True)
    if folder.exists() and problem != "absent":
        ctx.log(f"{ctx.name}: cached model {folder.name} is damaged ({problem}); training it again")
    remove_tree(folder)
    report = contract.fit(generator, ctx.corpus, seed=ctx.config.run.seed, budget=budget_for(ctx))
    staging = folder.with_name(folder.name + ".partial")
    remove_tree(staging)
    staging.mkdir(parents=True)
    generator.save(staging)
    seal_model_dir(staging, {"fit": report, "generator": ctx.name})
    staging.rename(folder)
    ctx.generator = generator
    return fit_piece(report, generator, folder, cached=False)


def fit_piece(report: dict[str, Any], generator: Generator, folder: Path, *, cached: bool) -> dict[str, Any]:
    return {
        "fit": report,
        "describe": contract.describe(generator),
        "family": generator.family,
        "model_dir": str(folder),
        "cached": cached,
    }


def trained_generator(ctx: StageContext) -> Generator:
    """The generator trained by the fit stage, loaded from its cache folder on a resumed run."""
    if ctx.generator is None:
        folder = Path(ctx.store.load(ctx.name, "fit")["model_dir"])
        problem = verify_model_dir(folder)
        if problem is not None:
            raise contract.StageError(f"the model trained by {ctx.name}'s fit stage is damaged ({problem})")
        ctx.generator = get_generator_class(ctx.name).load(folder, device=ctx.device)
    return ctx.generator


def stage_likelihood(ctx: StageContext) -> dict[str, Any]:
    """Score the test split once; every likelihood metric comes from these numbers."""
    generator = trained_generator(ctx)
    section = ctx.config.likelihood
    text = ctx.corpus.test[: section.max_test_chars or None]
    start = time.perf_counter()
    logprobs = contract.score(generator, text)
    seconds = time.perf_counter() - start
    native = generator.native_token_count(text)
    totals = totals_from_scores(text, logprobs, native_tokens=native)
    chunks = chunk_scores(logprobs, section.ci_chunk_chars)
    low, high = bootstrap_ci(
        chunks.nll_nats, chunks.chars, n_resamples=section.bootstrap_resamples, seed=ctx.config.run.seed
    )
    return {
        **likelihood_fields(totals),
        "bpc_ci95": [low / math.log(2), high / math.log(2)],
        "ci": {
            "chunk_chars": section.ci_chunk_chars,
            "chunks": len(chunks.chars),
            "resamples": section.bootstrap_resamples,
        },
        "oov_rate": generator.oov_rate(text),
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


def sweep_seed(run_seed: int, temperature_index: int) -> int:
    return run_seed + 1_000_003 * (temperature_index + 1)


def stage_sweep(ctx: StageContext) -> dict[str, Any]:
    """Generate every prompt × sample × temperature cell in batches; compute the cell metrics.

    The metrics use the test prompts' continuations only (the demo prompts' are shown in the
    report); a cell's ``samples`` and ``pooled_samples`` count the texts they used.
    """
    generator = trained_generator(ctx)
    sweep = ctx.config.sweep
    test_prompts = [p for p in ctx.prompts if p.source == "test"]
    demos = [p for p in ctx.prompts if p.source == "demo"]
    batch = [p.text for p in test_prompts for _ in range(sweep.samples_per_prompt)] + [p.text for p in demos]
    cells, samples = [], {}
    for index, temperature in enumerate(sweep.temperatures):
        sampling = Sampling(temperature=temperature, top_k=sweep.top_k, top_p=sweep.top_p)
        start = time.perf_counter()
        texts = contract.generate(
            generator,
            batch,
            max_chars=sweep.max_chars,
            sampling=sampling,
            seed=sweep_seed(ctx.config.run.seed, index),
        )
        seconds = time.perf_counter() - start
        model_texts = texts[: len(batch) - len(demos)]
        metrics = cell_metrics(model_texts, ctx.shared, sweep.samples_per_prompt)
        cells.append({"temperature": temperature, "seconds": seconds, **metrics})
        samples[str(temperature)] = {"test": model_texts, "demo": texts[len(model_texts) :]}
    ctx.store.save(ctx.name, "samples", {"prompts": batch, "samples": samples})
    return {"cells": cells, "demo_samples": {t: s["demo"] for t, s in samples.items()}}


def timed_median(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def training_seconds(fit: dict[str, Any]) -> float | None:
    """Seconds of training steps only: ``train_seconds`` when the generator recorded it, else
    ``seconds`` (a plugin's FitReport, or a model cached before the field existed)."""
    seconds = fit.get("train_seconds")
    return seconds if seconds is not None else fit.get("seconds")


def train_speed(fit: dict[str, Any]) -> float | None:
    """Training characters per training second (validation and sample printing excluded)."""
    seconds = training_seconds(fit)
    return fit["train_chars"] / seconds if seconds else None


def memory_scope(stages_run: list[str], trained: bool) -> str:
    """What a whole-process memory peak covers: the stages the worker process ran."""
    fit = "fit (training)" if trained else "fit (cached model loaded)"
    named = [fit if stage == "fit" else stage for stage in stages_run]
    return ", ".join(named if "fit" in stages_run else ["loading the trained model", *named])


def peak_memory(used_cuda: bool, device: str) -> tuple[dict[str, int], str]:
    """The worker process's peak memory so far (never reset), and what was measured: host RSS
    always; the CUDA allocator's peak too when this process put work on the GPU."""
    import torch

    peaks = {"peak_memory_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    if not used_cuda:
        return peaks, "peak RSS"
    peaks["peak_gpu_memory_bytes"] = torch.cuda.max_memory_allocated(device)
    return peaks, "peak RSS and torch.cuda.max_memory_allocated"


def stage_throughput(ctx: StageContext) -> dict[str, Any]:
    """Median-of-repeats speeds on the run's device, after one untimed warm-up of each.

    Peak memory covers the whole worker process (the peak is never reset): training, when the
    fit stage trained in this process, scoring, the sweep and these timings; the kind says which.
    """
    import torch

    generator = trained_generator(ctx)
    section = ctx.config.throughput
    prompt = ctx.prompts[0].text
    sampling = Sampling(temperature=1.0)

    def used_cuda() -> bool:  # a generator that keeps to the CPU in a CUDA run (markov) starts no context
        return ctx.device.startswith("cuda") and torch.cuda.is_available() and torch.cuda.is_initialized()

    def timed(work) -> float:
        work()  # warm-up, excluded; a generator may move to the GPU only now
        cuda = used_cuda()

        def synced():
            work()
            if cuda:
                torch.cuda.synchronize(ctx.device)

        if cuda:
            torch.cuda.synchronize(ctx.device)
        return timed_median(section.repeats, synced)

    n = section.generate_chars
    one = timed(lambda: generator.generate([prompt], max_chars=n, sampling=sampling, seed=1))
    many = timed(lambda: generator.generate([prompt] * section.batch, max_chars=n, sampling=sampling, seed=1))
    text = ctx.corpus.test[: section.score_chars]
    scoring = timed(lambda: generator.score(text))
    fitted = ctx.store.load(ctx.name, "fit")
    peaks, measured = peak_memory(used_cuda(), ctx.device)
    scope = memory_scope(ctx.stages_run, trained=not fitted["cached"])
    return {
        "train_chars_per_s": train_speed(fitted["fit"]),
        "score_chars_per_s": len(text) / scoring,
        "generate_chars_per_s_batch1": n / one,
        f"generate_chars_per_s_batch{section.batch}": n * section.batch / many,
        "ms_per_char_batch1": 1000 * one / n,
        **peaks,
        "peak_memory_kind": f"{measured} of the whole worker process, which ran: {scope}",
        "repeats": section.repeats,
        "batch": section.batch,
        "generate_chars": n,
        "score_chars": len(text),
    }


STAGES = {
    "fit": stage_fit,
    "likelihood": stage_likelihood,
    "sweep": stage_sweep,
    "throughput": stage_throughput,
}
