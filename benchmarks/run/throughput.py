"""The throughput stage: training, scoring and generation speeds of one cell, and its peak memory.

Speeds are medians of repeats after an untimed warm-up, on the cell's device; on CUDA the timed
work is synchronised. Peak memory covers the whole worker process (the peak is never reset). The
piece names the node and the device the cell was measured on, and how busy the machine was
meanwhile (:mod:`benchmarks.run.load`).
"""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any

from benchmarks.run import contract
from benchmarks.run.environment import cpu_name
from benchmarks.run.load import LoadWatch
from benchmarks.run.stages import CellContext, trained_generator
from generators.base import Sampling


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
    peaks = {"peak_memory_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    if not used_cuda:
        return peaks, "peak RSS"
    import torch

    peaks["peak_gpu_memory_bytes"] = torch.cuda.max_memory_allocated(device)
    return peaks, "peak RSS and torch.cuda.max_memory_allocated"


def used_cuda(device: str) -> bool:
    """Whether this process put work on the GPU (markov in a CUDA run starts no CUDA context)."""
    if not device.startswith("cuda"):
        return False  # and torch is not imported for a generator that never needed it
    import torch

    return torch.cuda.is_available() and torch.cuda.is_initialized()


def synchronize(device: str) -> None:
    import torch

    torch.cuda.synchronize(device)


def timed_on(device: str, repeats: int, work: Callable[[], object]) -> float:
    """The median seconds of ``work`` over ``repeats``, after an untimed warm-up (a generator may
    move to the GPU only then); synchronised on CUDA."""
    work()
    cuda = used_cuda(device)

    def synced() -> None:
        work()
        if cuda:
            synchronize(device)

    if cuda:
        synchronize(device)
    return timed_median(repeats, synced)


def device_used(device: str) -> str:
    """The device this process measured on: ``cuda (GPU 3: NVIDIA H100 …)``, the GPU torch used as
    the machine numbers it (Ray gives each task its own through CUDA_VISIBLE_DEVICES), or
    ``cpu (<model name>)``."""
    if not used_cuda(device):
        return f"cpu ({cpu_name()})"
    import torch

    index = torch.cuda.current_device()
    visible = [v.strip() for v in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if v.strip()]
    number = visible[index] if index < len(visible) else str(index)
    return f"cuda (GPU {number}: {torch.cuda.get_device_name(index)})"


def stage_throughput(ctx: CellContext) -> dict[str, Any]:
    """Median-of-repeats speeds on the run's device, after one untimed warm-up of each.

    Peak memory covers the whole worker process (the peak is never reset): training, when the
    fit stage trained in this process, scoring, the sweep and these timings; the kind says which.
    """
    generator = trained_generator(ctx)
    section = ctx.plan.config.throughput
    watch = LoadWatch().start()  # how busy the machine was while these speeds were measured
    prompt, sampling, n = (
        ctx.corpus_plan.test_prompts[0].text,
        Sampling(temperature=1.0),
        section.generate_chars,
    )

    def generation(batch: int) -> float:
        prompts = [prompt] * batch
        return timed_on(
            ctx.device,
            section.repeats,
            lambda: contract.generate(generator, prompts, max_chars=n, sampling=sampling, seed=1),
        )

    one, many = generation(1), generation(section.batch)
    text = ctx.corpus.test[: section.score_chars]
    scoring = timed_on(ctx.device, section.repeats, lambda: contract.score(generator, text))
    load = watch.stop()
    fitted = ctx.pieces.load("fit")
    peaks, measured = peak_memory(used_cuda(ctx.device), ctx.device)
    scope = memory_scope(ctx.stages_run, trained=not fitted["cached"])
    return {
        "train_chars_per_s": train_speed(fitted["fit"]),
        "score_chars_per_s": len(text) / scoring,
        "generate_chars_per_s_batch1": n / one,
        f"generate_chars_per_s_batch{section.batch}": n * section.batch / many,
        "ms_per_char_batch1": 1000 * one / n,
        **peaks,
        "peak_memory_kind": f"{measured} of the whole worker process, which ran: {scope}",
        "node": ctx.node,  # where this cell's speeds were measured
        "device": device_used(ctx.device),
        "repeats": section.repeats,
        "batch": section.batch,
        "generate_chars": n,
        "score_chars": len(text),
        "load": load,
    }
