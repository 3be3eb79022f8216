"""Devices: one way to turn a device name ("auto", "cpu", "cuda", "cuda:N") into a torch device,
tensors in memory of their own, and how many CPU threads decoding uses.

Used by the generators (where their tensors live) and by the harness (which resolves a run's
device once, before any work, so a GPU that torch cannot use is a one-line error, not a crash in
a worker).

Decoding one row is a chain of matrix-vector products (a 2×192 LSTM step reads 2 MB of weights
for about 1 MFLOP) and a few dozen small operations per token: too little work to share between
threads, whose hand-offs then cost more than the products, and far more on a busy machine. So a
batch of one row decodes on one CPU thread; larger batches keep torch's thread count. Training
steps of little arithmetic run on one thread for the same reason (measurements:
docs/performance.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from generators.errors import ConfigError


def resolve_device(device: str | torch.device) -> torch.device:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu``; a CUDA device torch cannot use is a
    ConfigError in one line."""
    name = str(device)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        check_cuda_device(name)
    return torch.device(name)


def check_cuda_device(device: str) -> None:
    """A ConfigError, in one line, when torch cannot run on ``device`` (``cuda`` or ``cuda:N``)."""
    if not torch.cuda.is_available():
        built_for_gpu = torch.version.cuda is not None or getattr(torch.version, "hip", None) is not None
        why = "it finds no GPU" if built_for_gpu else "it is a CPU-only build"
        raise ConfigError(
            f"device {device!r} asked for, but torch {torch.__version__} cannot use CUDA ({why}); "
            "use --device auto or cpu, or install a CUDA build of torch (README: GPU)"
        )
    index = torch.device(device).index or 0
    if index >= torch.cuda.device_count():
        raise ConfigError(f"device {device!r} asked for, but torch sees {torch.cuda.device_count()} GPU(s)")


def in_own_memory(module: torch.nn.Module) -> torch.nn.Module:
    """Copy ``module``'s parameters and buffers into memory torch allocates itself; returns it.

    A model read with ``from_pretrained`` keeps its tensors at the offsets they have in the
    safetensors file, which need not be 64-byte aligned, while a model fresh from training has
    torch's aligned allocations. Some BLAS kernels (MKL's on CPUs without AVX-512) split a dot
    product by the address's alignment, so the same weights at another alignment sum in another
    order and a loaded model would score a few ulps away from the one that was saved. Tied
    parameters stay tied: each is copied once.
    """
    with torch.no_grad():
        for tensor in [*module.parameters(), *module.buffers()]:
            tensor.data = tensor.data.clone(memory_format=torch.contiguous_format)
    return module


def device_name(device: torch.device) -> str:
    """A human-readable device name for ``describe()``, e.g. ``"cuda:0 (NVIDIA H100)"``."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return f"{device.type} ({torch.get_num_threads()} threads)"


ONE_THREAD_ROWS = 1  # batches of at most this many rows decode on one CPU thread
ONE_THREAD_STEP = 1e9  # training steps of fewer multiply-adds than this run on one CPU thread


@contextlib.contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """torch's CPU threads set to ``threads`` for the block, and set back after it."""
    before = torch.get_num_threads()
    if threads == before:
        yield
        return
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def decoding_threads(batch: int, device: torch.device) -> contextlib.AbstractContextManager:
    """One CPU thread while decoding at most ONE_THREAD_ROWS rows (see the module docstring)."""
    if device.type != "cpu" or batch > ONE_THREAD_ROWS:
        return contextlib.nullcontext()
    return torch_threads(1)


def training_threads(
    multiply_adds_per_step: float, device: torch.device
) -> contextlib.AbstractContextManager:
    """One CPU thread while training with steps of fewer than ONE_THREAD_STEP multiply-adds.

    Such a step is a chain of small products (char-lstm's: 0.5 G multiply-adds, a 16×192 by 192×768
    product per character), which two threads under the workers' passive wait policy ran 1.5-3
    times slower than one; word-lstm (1.5 G on shakespeare) and gpt2 (2.3 G) ran faster on two
    (docs/performance.md).
    """
    if device.type != "cpu" or multiply_adds_per_step >= ONE_THREAD_STEP:
        return contextlib.nullcontext()
    return torch_threads(1)
