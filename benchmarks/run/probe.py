"""The cycling probe, a stage of every cell: long continuations, where cycles show.

A loop rule reads only the text it is given, and the sweep's continuations are ``sweep.max_chars``
long: a 228-character cycle cannot show twice in 300 characters. The probe continues every test
prompt for ``sweep.cycle_chars`` characters at each of ``sweep.cycle_temperatures`` and with each
supported decoding strategy that samples no hotter than the highest of them (greedy with a
repetition penalty or n-gram blocking: the rules that claim to break greedy loops), one batched
generate call per setting, seeded as the sweep seeds that setting
(:func:`benchmarks.run.stages.sampling_seed`), and measures the texts with
:mod:`benchmarks.metrics.cycles`. Cycles form at low temperatures; a strategy sampling hotter is,
like the ladder's hotter rungs, read at the sweep's length only (its cycling is not measured,
never taken as 0), which keeps the probe a small part of a run. Greedy texts are also held against the cycles a generator
finds from its own state (``Generator.greedy_cycles``), when it can tell. It runs before the sweep,
whose cells of the same settings carry the probe's headline numbers (``long_horizon_measures``).
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.metrics import cycle_statistics
from benchmarks.run import contract
from benchmarks.run.layout import CYCLE_SAMPLES
from benchmarks.run.settings import SweepSection
from benchmarks.run.stages import CellContext, sampling_seed, trained_generator
from generators.base import Sampling
from generators.options import init_options


def probe_strategies(sweep: SweepSection) -> dict[str, Sampling]:
    """The named strategies the probe continues with besides its temperatures: those sampling no
    hotter than its highest temperature (a strategy with a probe temperature's settings reads that
    temperature's texts)."""
    temperatures = {sweep.sampling(t) for t in sweep.cycle_temperatures}
    hottest = max(sweep.cycle_temperatures)
    return {
        name: s
        for name, s in sweep.named_strategies.items()
        if s not in temperatures and s.temperature <= hottest
    }


def probe_setting(ctx: CellContext, prompts: list[str], sampling: Sampling) -> tuple[dict, list[str]]:
    """One setting's long continuations and their cycling numbers: (its entry, its texts)."""
    generator, sweep = trained_generator(ctx), ctx.plan.config.sweep
    seed = sampling_seed(ctx.cell.seed, sampling)
    start = time.perf_counter()
    texts = contract.generate(generator, prompts, max_chars=sweep.cycle_chars, sampling=sampling, seed=seed)
    seconds = time.perf_counter() - start
    exact = (
        contract.greedy_cycles(generator, prompts, max_chars=sweep.cycle_chars) if sampling.greedy else None
    )
    metrics = cycle_statistics(texts, sweep.cycle_chars, exact)
    entry = {"settings": init_options(sampling), "seed": seed, "seconds": seconds, "chars": sweep.cycle_chars}
    return {**entry, **metrics}, texts


def stage_cycles(ctx: CellContext) -> dict[str, Any]:
    """Continue every test prompt at each probe temperature, then with each supported strategy.

    The piece holds ``cells`` (one per probe temperature) and ``strategies`` (one per probed
    strategy, :func:`probe_strategies`; ``supported`` False where the generator cannot honour it); the
    texts go to their own piece (``cycle_samples``), beside the stages.
    """
    generator, sweep = trained_generator(ctx), ctx.plan.config.sweep
    prompts = [p.text for p in ctx.corpus_plan.test_prompts]
    cells, strategies, samples, strategy_samples = [], [], [], []
    for temperature in sweep.cycle_temperatures:
        entry, texts = probe_setting(ctx, prompts, sweep.sampling(temperature))
        cells.append({"temperature": temperature, **entry})
        samples.append({"temperature": temperature, "test": texts})
    for name, sampling in probe_strategies(sweep).items():
        if not contract.supports(generator, sampling):
            strategies.append({"strategy": name, "settings": init_options(sampling), "supported": False})
            continue
        entry, texts = probe_setting(ctx, prompts, sampling)
        strategies.append({"strategy": name, "supported": True, **entry})
        strategy_samples.append({"strategy": name, "test": texts})
    ctx.pieces.save(CYCLE_SAMPLES, {"prompts": prompts, "samples": samples, "strategies": strategy_samples})
    return {"cells": cells, "strategies": strategies}
