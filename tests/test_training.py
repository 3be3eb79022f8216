"""The shared training loop: schedule, stopping rules, best weights, NaN detection, config."""

from __future__ import annotations

import math
import platform
import sys
import time
from types import SimpleNamespace

import pytest
import torch

from generators import training
from generators.base import Budget
from generators.devices import resolve_device
from generators.errors import ConfigError, TrainingError
from generators.options import build_config
from generators.training import OptimConfig, lr_at, seeded, train

CPU = torch.device("cpu")


def regression_problem(seed: int = 0):
    """A linear model learning y = x·w; returns (model, step_loss, mean squared error)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(64, 4, generator=gen)  # (64, 4)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0])  # (64,)
    model = torch.nn.Linear(4, 1)

    def step_loss(step: int) -> tuple[torch.Tensor, int]:
        return ((model(x).squeeze(-1) - y) ** 2).mean(), 64

    def error() -> float:
        with torch.no_grad():
            return float(((model(x).squeeze(-1) - y) ** 2).mean())

    return model, step_loss, error


def quiet(**overrides) -> OptimConfig:
    return OptimConfig(**{"lr": 0.2, "warmup_steps": 2, "eval_every": 10, "patience": 0, **overrides})


def test_training_reduces_the_loss_and_reports_what_it_did():
    torch.manual_seed(0)
    model, step_loss, error = regression_problem()
    before = error()
    report = train(model, step_loss, error, quiet(), Budget(steps=60), device=CPU)
    assert error() < before / 20
    assert report.steps == 60 and report.stopped_by == "steps"
    assert report.train_chars == 60 * 64
    assert [p["step"] for p in report.curve] == [10, 20, 30, 40, 50, 60]
    seconds = [p["seconds"] for p in report.curve]
    assert seconds == sorted(seconds) and seconds[-1] <= report.seconds
    assert not model.training  # handed back in eval mode


def test_max_steps_ends_the_schedule_as_complete():
    model, step_loss, error = regression_problem()
    report = train(model, step_loss, error, quiet(max_steps=7), Budget(), device=CPU)
    assert (report.steps, report.stopped_by) == (7, "complete")
    assert [p["step"] for p in report.curve] == [7]  # the final validation only


def test_wall_clock_budget_stops_training():
    model, step_loss, error = regression_problem()

    def slow_step(step: int) -> tuple[torch.Tensor, int]:
        time.sleep(0.02)
        return step_loss(step)

    report = train(model, slow_step, error, quiet(), Budget(seconds=0.3), device=CPU)
    assert report.stopped_by == "seconds"
    assert 3 <= report.steps <= 16
    assert report.seconds >= 0.3


def test_wall_clock_budget_leaves_room_for_the_final_validation():
    torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))])  # first-use imports happen off the clock
    model, step_loss, error = regression_problem()

    def slow_step(step: int) -> tuple[torch.Tensor, int]:
        time.sleep(0.01)
        return step_loss(step)

    def slow_validate() -> float:
        time.sleep(0.3)
        return error()

    report = train(model, slow_step, slow_validate, quiet(eval_every=5), Budget(seconds=1.0), device=CPU)
    assert report.stopped_by == "seconds"
    assert report.seconds < 1.0 + 0.15  # without the reserve the final validation ends >= 0.3 s late


def test_nan_loss_raises_training_error_naming_the_step():
    model, step_loss, error = regression_problem()

    def poisoned(step: int) -> tuple[torch.Tensor, int]:
        loss, chars = step_loss(step)
        return (loss * float("nan") if step == 3 else loss), chars

    with pytest.raises(TrainingError, match=r"became nan at step 3; lower optim\.lr"):
        train(model, poisoned, error, quiet(), Budget(steps=20), device=CPU)


def test_huge_learning_rate_diverges_into_training_error():
    model, step_loss, error = regression_problem()
    with pytest.raises(TrainingError, match=r"optim\.lr"):
        train(model, step_loss, error, quiet(lr=1e30, grad_clip=0.0), Budget(steps=50), device=CPU)


def test_non_finite_validation_raises_training_error():
    model, step_loss, _ = regression_problem()
    with pytest.raises(TrainingError, match="validation bpc became nan"):
        train(model, step_loss, lambda: math.nan, quiet(), Budget(steps=20), device=CPU)


def test_early_stopping_restores_the_best_weights():
    model, step_loss, _ = regression_problem()
    scripted = iter([3.0, 2.0, 2.5, 2.6, 2.7, 2.8])
    snapshots: list[torch.Tensor] = []

    def validate() -> float:
        snapshots.append(model.weight.detach().clone())
        return next(scripted)

    report = train(
        model, step_loss, validate, quiet(patience=3, patience_from=0.0), Budget(steps=100), device=CPU
    )
    assert report.stopped_by == "early-stopping"
    assert report.steps == 50  # validations at 10 (3.0), 20 (2.0 best), 30, 40, 50: three stale
    assert [p["valid_bpc"] for p in report.curve] == [3.0, 2.0, 2.5, 2.6, 2.7]
    assert torch.equal(model.weight, snapshots[1])
    assert not torch.equal(model.weight, snapshots[-1])


def test_early_stopping_ignores_stale_validations_in_the_first_part_of_the_run():
    model, step_loss, _ = regression_problem()
    scripted = iter([3.0, 2.0, 2.5, 2.6, 2.7, 2.8, 2.9, 3.0, 3.1, 3.2, 3.3])
    optim = quiet(patience=3, patience_from=0.5)
    report = train(model, step_loss, lambda: next(scripted), optim, Budget(steps=100), device=CPU)
    assert report.stopped_by == "early-stopping"
    assert report.steps == 70  # stale at 30 and 40 do not count (progress < 0.5); 50, 60, 70 do


def test_sample_is_called_at_each_validation(capsys):
    model, step_loss, error = regression_problem()
    calls = []

    def sample() -> str:
        calls.append(1)
        return "a short sample"

    train(model, step_loss, error, quiet(), Budget(steps=25), device=CPU, sample=sample)
    assert len(calls) == 3  # steps 10, 20 and the final one at 25
    assert "a short sample" in capsys.readouterr().err


def test_learning_rate_schedule_by_hand():
    optim = OptimConfig(lr=1.0, warmup_steps=4, min_lr_ratio=0.1)
    assert lr_at(optim, 0, 0.0) == pytest.approx(0.25)
    assert lr_at(optim, 3, 0.0) == pytest.approx(1.0)
    assert lr_at(optim, 10, 0.0) == pytest.approx(1.0)
    assert lr_at(optim, 10, 0.5) == pytest.approx(0.1 + 0.9 * 0.5)
    assert lr_at(optim, 10, 1.0) == pytest.approx(0.1)
    assert lr_at(optim, 10, 2.0) == pytest.approx(0.1)  # floor after the end


def test_seeded_restores_the_callers_rng():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    with seeded(7, CPU):
        inside = torch.rand(3)
    assert torch.equal(torch.rand(3), expected)
    with seeded(7, CPU):
        assert torch.equal(torch.rand(3), inside)


def test_optim_config_errors():
    with pytest.raises(ConfigError, match="did you mean 'lr'"):
        build_config(OptimConfig, {"lrr": 0.1})
    with pytest.raises(ConfigError, match="lr must be a positive"):
        build_config(OptimConfig, {"lr": -1.0})
    with pytest.raises(ConfigError):
        build_config(OptimConfig, {"betas": [0.9, 1.5]})
    assert build_config(OptimConfig, {"betas": [0.8, 0.9]}).betas == (0.8, 0.9)


def test_auto_device_resolves():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == CPU


@pytest.mark.skipif(sys.platform != "linux" or platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_cpu_training_asks_glibc_to_keep_freed_memory(monkeypatch):
    assert training.keep_freed_memory.__wrapped__() is True  # both mallopt calls accepted
    calls = []
    monkeypatch.setattr(training, "keep_freed_memory", lambda: calls.append("cpu") or True)
    model, step_loss, error = regression_problem()
    train(model, step_loss, error, quiet(), Budget(steps=2), device=CPU)
    assert calls == ["cpu"]


def test_keep_freed_memory_is_a_no_op_outside_glibc(monkeypatch):
    monkeypatch.setattr(platform, "libc_ver", lambda: ("musl", "1.2"))
    assert training.keep_freed_memory.__wrapped__() is False


def test_train_seconds_leave_out_validation_and_samples():
    model, step_loss, error = regression_problem()

    def slow_validation() -> float:
        time.sleep(0.1)
        return error()

    def slow_sample() -> str:
        time.sleep(0.05)
        return "sample"

    report = train(
        model, step_loss, slow_validation, quiet(), Budget(steps=20), device=CPU, sample=slow_sample
    )
    # validations at steps 10 and 20, each sleeping 0.1 s + 0.05 s: at least 0.3 s not spent training
    assert len(report.curve) == 2
    assert report.train_seconds is not None
    assert report.train_seconds <= report.seconds - 0.3
    assert report.train_seconds == pytest.approx(report.curve[-1]["seconds"], abs=0.05)


class StepClock:
    """A stand-in for the training module's clock: it moves only when a training step costs time.

    The first ten steps are slow (first-use costs), the rest fast; ``speed`` scales every cost, so
    ``speed=10`` is the same training on a machine ten times slower (or ten times busier).
    """

    def __init__(self, speed: float) -> None:
        self.now, self.speed = 0.0, speed

    def perf_counter(self) -> float:
        return self.now

    def step(self, step: int) -> None:
        self.now += self.speed * (0.5 if step < 10 else 0.001)


def clocked_training(monkeypatch, speed: float, budget: Budget, optim: OptimConfig, validations=None):
    """Train the regression problem on a StepClock; the learning rate of every step, the weights, the report."""
    clock = StepClock(speed)
    monkeypatch.setattr(training, "time", SimpleNamespace(perf_counter=clock.perf_counter))
    rates: list[float] = []
    monkeypatch.setattr(training, "lr_at", lambda *args: rates.append(lr_at(*args)) or rates[-1])
    torch.manual_seed(0)
    model, step_loss, error = regression_problem()

    def timed_step(step: int) -> tuple[torch.Tensor, int]:
        clock.step(step)
        return step_loss(step)

    validate = (lambda: next(validations)) if validations is not None else error
    report = train(model, timed_step, validate, optim, budget, device=CPU)
    return rates, {k: v.clone() for k, v in model.state_dict().items()}, report


def test_fixed_work_learns_the_same_at_any_speed(monkeypatch):
    """Under a step budget the schedule and patience follow steps: a 10x slower clock changes nothing.

    At speed 10 the first ten steps take 50 of the cap's 100 seconds, so a schedule or patience that
    read the clock would decay early and count the stale validation at step 20 (stopping at 30).
    """
    optim = quiet(patience=2, patience_from=0.5)
    budget = Budget(steps=60, seconds=100.0)
    runs = []
    for speed in (1.0, 10.0):
        scripted = iter([3.0, 3.1, 3.2, 2.0, 2.1, 2.2])  # validations at steps 10, 20, ..., 60
        runs.append(clocked_training(monkeypatch, speed, budget, optim, scripted))
    (rates, weights, report), (fast_rates, fast_weights, fast_report) = runs
    assert len(rates) == 60 and rates == fast_rates
    assert rates[30] == lr_at(optim, 30, 0.5)  # by steps: 30 of 60
    assert all(torch.equal(weights[k], fast_weights[k]) for k in weights)
    assert (report.steps, report.stopped_by) == (fast_report.steps, fast_report.stopped_by) == (60, "steps")
    assert fast_report.seconds == pytest.approx(10 * 0.5 * 10 + 10 * 0.001 * 50)  # the clock did run


def test_a_wall_clock_budget_decays_by_the_clock(monkeypatch):
    """Without a step budget the schedule follows the further along of steps and seconds."""
    optim = quiet(max_steps=60)
    slow_rates, _, _ = clocked_training(monkeypatch, 1.0, Budget(seconds=100.0), optim)
    fast_rates, _, _ = clocked_training(monkeypatch, 10.0, Budget(seconds=100.0), optim)
    assert slow_rates[10] == lr_at(optim, 10, 10 / 60)  # 5 s of 100: steps are further along
    assert fast_rates[10] == lr_at(optim, 10, 0.5)  # 50 s of 100: the clock is further along
    assert fast_rates[10] < slow_rates[10]
