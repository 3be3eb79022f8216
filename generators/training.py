"""The training loop shared by the neural generators (char-lstm, word-lstm, gpt2).

A generator supplies three closures and this module does the rest:

* ``step_loss(step) -> (loss, chars)``: one training batch's mean loss (nats per character or per
  token) and how many training characters it consumed;
* ``validate() -> bpc``: validation bits per character, called in eval mode under ``no_grad``;
* ``sample() -> str`` (optional): a short sample printed (to stderr) at each validation.

:func:`train` owns AdamW, warm-up + cosine decay, gradient clipping, bf16 autocast on CUDA,
validation and early stopping, best-weight restoring, the budget, NaN detection and the progress
bar. Helpers for the generators: :func:`seeded` (seed torch's RNGs for the duration of ``fit`` only) and :func:`seeded_samples`.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import itertools
import math
import platform
import sys
import time
from collections.abc import Callable, Iterator

import torch
from tqdm.auto import tqdm

from generators.base import Budget, FitReport
from generators.errors import TrainingError
from generators.optim import OptimConfig


@contextlib.contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Seed torch's global RNGs (CPU, and ``device`` if CUDA) inside the block, restoring them after.

    Parameter initialisation and dropout draw from the global RNG, so ``fit`` runs inside this
    block: the same seed gives the same model, and the caller's RNG state is left untouched.
    """
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices, device_type=device.type if devices else "cuda"):
        torch.manual_seed(seed)
        yield


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters (malloc.h)


@functools.cache
def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse rather than hand it back to the system.

    A CPU training step allocates and frees tens of MB (activations, gradients). With glibc's
    adaptive defaults, depending on how the heap happens to be laid out, those pages are returned
    and faulted in again on every step (thousands of page faults a step: docs/generators.md). Fixed
    thresholds (32 MB for mmap, 1 GB for trimming) keep them. Process-wide, once; returns False (and does nothing) where the C library is not glibc.
    """
    if sys.platform != "linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)
    return bool(libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)) and bool(libc.mallopt(M_MMAP_THRESHOLD, 32 << 20))


def seeded_samples(draw: Callable[[int], str], seed: int) -> Callable[[], str]:
    """A ``sample`` callback for :func:`train`: call k draws with seed ``seed + k`` (varied, reproducible)."""
    seeds = itertools.count(seed)
    return lambda: draw(next(seeds))


def lr_at(optim: OptimConfig, step: int, progress: float) -> float:
    """Learning rate at ``step``: linear warm-up, then cosine from lr to lr·min_lr_ratio.

    ``progress`` in [0, 1] is how far the run is through its limit (see ``_Run.progress``): steps
    under a step budget, so fixed work decays the same at any speed; under a wall-clock budget,
    steps or seconds, whichever is further along, so it still ends on the decayed learning rate.
    """
    if step < optim.warmup_steps:
        return optim.lr * (step + 1) / optim.warmup_steps
    floor = optim.lr * optim.min_lr_ratio
    cosine = 0.5 * (1.0 + math.cos(math.pi * min(max(progress, 0.0), 1.0)))
    return floor + (optim.lr - floor) * cosine


def make_optimizer(model: torch.nn.Module, optim: OptimConfig, device: torch.device) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only (nanoGPT's rule); fused kernels on CUDA."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": optim.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    fused = device.type == "cuda"
    return torch.optim.AdamW(groups, lr=optim.lr, betas=optim.betas, fused=fused)


class _Run:
    """Mutable bookkeeping of one ``train`` call: clocks, counters, best weights, the curve."""

    def __init__(self, model: torch.nn.Module, optim: OptimConfig, budget: Budget) -> None:
        self.model, self.optim, self.budget = model, optim, budget
        self.started = time.perf_counter()
        self.validation_seconds = 0.0
        self.last_validation_seconds = 0.0  # kept free at the end of a wall-clock budget
        self.step = 0
        self.chars = 0
        self.curve: list[dict[str, float]] = []
        self.best_bpc = math.inf
        self.best_state: dict[str, torch.Tensor] | None = None
        self.stale = 0  # validations since the last improvement
        self.step_cap = optim.max_steps if budget.steps is None else min(budget.steps, optim.max_steps)

    def elapsed(self) -> float:
        """Wall-clock seconds since the start, validations included (what the budget limits)."""
        return time.perf_counter() - self.started

    def train_seconds(self) -> float:
        """Wall-clock seconds spent on training steps, validations excluded (the curve's x)."""
        return self.elapsed() - self.validation_seconds

    def progress(self) -> float:
        """How far through its limit the run is, in [0, 1]: what the schedule and patience follow.

        Under a step budget, steps only: a seconds cap beside it only stops the run, so the
        weights of fixed work never depend on the machine's speed or load. Without one, the
        further along of steps (of ``optim.max_steps``) and seconds (of ``budget.seconds``).
        """
        by_steps = self.step / self.step_cap if self.step_cap else 1.0
        if self.budget.steps is not None or not self.budget.seconds:
            return by_steps
        return max(by_steps, self.elapsed() / self.budget.seconds)

    def stop_reason(self) -> str | None:
        reserve = self.last_validation_seconds  # so the final validation fits in the budget too
        if self.budget.seconds is not None and self.elapsed() + reserve >= self.budget.seconds:
            return "seconds"
        if self.step >= self.step_cap:
            stepped_out = self.budget.steps is not None and self.budget.steps <= self.optim.max_steps
            return "steps" if stepped_out else "complete"
        return None

    def record(self, bpc: float) -> bool:
        """Add a validation point; keep the weights when best. Returns True when patience ran out.

        Validations before ``patience_from`` of the run never count as stale: at the peak learning
        rate early validation is noisy, and stopping there would waste most of the budget.
        """
        point = {"seconds": self.train_seconds(), "step": float(self.step), "train_chars": float(self.chars)}
        self.curve.append({**point, "valid_bpc": bpc})
        if bpc < self.best_bpc:
            self.best_bpc, self.stale = bpc, 0
            self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            return False
        if self.progress() < self.optim.patience_from:
            return False
        self.stale += 1
        return self.optim.patience > 0 and self.stale >= self.optim.patience


def _check_finite(losses: list[torch.Tensor], first_step: int, lr: float) -> None:
    """Raise TrainingError naming the first step whose loss is NaN or infinite."""
    values = torch.stack(losses).float().cpu()  # (n,) one sync for n steps
    bad = (~torch.isfinite(values)).nonzero()
    if len(bad):
        at = first_step + int(bad[0])
        kind = "nan" if math.isnan(values[int(bad[0])]) else "infinite"
        raise TrainingError(
            f"training loss became {kind} at step {at}; lower optim.lr (peak {lr:g}) "
            "or set optim.grad_clip (e.g. 1.0)"
        )


def _out_of_memory(step: int) -> TrainingError:
    return TrainingError(
        f"out of device memory at step {step}; lower batch_size or the context length "
        "(bptt / block_size), or use a smaller model"
    )


def train(
    model: torch.nn.Module,
    step_loss: Callable[[int], tuple[torch.Tensor, int]],
    validate: Callable[[], float],
    optim: OptimConfig,
    budget: Budget,
    *,
    device: torch.device,
    sample: Callable[[], str] | None = None,
    desc: str = "",
) -> FitReport:
    """Train ``model`` until the budget, ``optim.max_steps`` or early stopping; keep the best weights.

    Stops at ``budget.seconds`` (wall-clock, validations included: training stops early enough for
    the final validation to fit, judged by the previous one's duration), ``budget.steps`` or
    ``optim.max_steps``, whichever comes first; ``FitReport.stopped_by`` says which ("seconds",
    "steps", "complete" for max_steps, "early-stopping"). Validation runs every ``eval_every``
    steps and once at the end; the weights of the best validation are restored before returning.
    The cosine schedule and early stopping's ``patience_from`` follow steps alone under a step
    budget (a seconds cap beside it only stops); under a wall-clock budget alone, the nearer of
    ``optim.max_steps`` and the seconds. ``FitReport.seconds`` is
    the whole wall-clock time; ``FitReport.train_seconds`` and the curve's ``seconds`` are training
    seconds, validations (and the samples they print) excluded.
    """
    if device.type == "cpu":
        keep_freed_memory()
    run = _Run(model, optim, budget)
    optimizer = make_optimizer(model, optim, device)
    bar = tqdm(total=run.step_cap, desc=desc or "train", file=sys.stderr, disable=None, leave=False)
    try:
        stopped_by = _steps(model, optimizer, step_loss, validate, sample, run, bar, device)
    except torch.cuda.OutOfMemoryError as error:
        raise _out_of_memory(run.step) from error
    finally:
        bar.close()
    train_seconds = run.train_seconds()
    if run.best_state is not None:
        model.load_state_dict(run.best_state)
    model.eval()
    return FitReport(
        seconds=run.elapsed(),
        steps=run.step,
        train_chars=run.chars,
        stopped_by=stopped_by,
        curve=run.curve,
        train_seconds=train_seconds,
    )


def _steps(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    step_loss: Callable[[int], tuple[torch.Tensor, int]],
    validate: Callable[[], float],
    sample: Callable[[], str] | None,
    run: _Run,
    bar: tqdm,
    device: torch.device,
) -> str:
    """Step, check and validate until a limit or early stopping; the final validation; the reason."""
    optim = run.optim
    check_every = 1 if device.type == "cpu" else 16  # loss syncs are free on CPU, costly on CUDA
    pending: list[torch.Tensor] = []
    stopped_by = None
    while stopped_by is None:
        lr = lr_at(optim, run.step, run.progress())
        pending.append(_train_step(model, optimizer, step_loss, run, lr, device))
        run.step += 1
        if len(pending) >= check_every:
            _check_finite(pending, run.step - len(pending), optim.lr)
            _show(bar, run, pending[-1])
            pending.clear()
        stopped_by = run.stop_reason()
        if stopped_by is None and run.step % optim.eval_every == 0:
            if pending:
                _check_finite(pending, run.step - len(pending), optim.lr)
                pending.clear()
            if _validate(model, validate, sample, run, bar):
                stopped_by = "early-stopping"
    if pending:
        _check_finite(pending, run.step - len(pending), optim.lr)
    if stopped_by != "early-stopping":
        _validate(model, validate, sample, run, bar)
    return stopped_by


def _train_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    step_loss: Callable[[int], tuple[torch.Tensor, int]],
    run: _Run,
    lr: float,
    device: torch.device,
) -> torch.Tensor:
    """One optimiser step; returns the detached loss (not synchronised)."""
    model.train()
    for group in optimizer.param_groups:
        group["lr"] = lr
    optimizer.zero_grad(set_to_none=True)
    autocast = (
        torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()
    )
    with autocast:
        loss, chars = step_loss(run.step)
    loss.backward()
    if run.optim.grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), run.optim.grad_clip, foreach=True)
    optimizer.step()
    run.chars += int(chars)
    return loss.detach()


def _validate(
    model: torch.nn.Module,
    validate: Callable[[], float],
    sample: Callable[[], str] | None,
    run: _Run,
    bar: tqdm,
) -> bool:
    """Validate (eval mode, no_grad), print a sample, record; True when early stopping triggers."""
    started = time.perf_counter()
    model.eval()
    with torch.no_grad():
        bpc = float(validate())
        text = sample() if sample is not None else None
    model.train()
    run.last_validation_seconds = time.perf_counter() - started
    run.validation_seconds += run.last_validation_seconds
    if not math.isfinite(bpc):
        raise TrainingError(f"validation bpc became {bpc} at step {run.step}; lower optim.lr")
    patience_out = run.record(bpc)
    bar.set_postfix_str(_postfix(run, None), refresh=False)
    if text is not None:
        tqdm.write(f"[step {run.step} valid {bpc:.3f} bpc] {text!r}", file=sys.stderr)
    return patience_out


def _postfix(run: _Run, loss: torch.Tensor | None) -> str:
    speed = run.chars / max(run.train_seconds(), 1e-9)
    valid = f"{run.curve[-1]['valid_bpc']:.3f}" if run.curve else "-"
    shown = f"loss {float(loss):.3f} " if loss is not None else ""
    return f"{shown}valid {valid} bpc, {speed:,.0f} chars/s"


def _show(bar: tqdm, run: _Run, loss: torch.Tensor) -> None:
    bar.n = run.step
    if not bar.disable:
        bar.set_postfix_str(_postfix(run, loss), refresh=True)
