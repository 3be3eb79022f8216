"""Calls into a generator, checked against the interface contract.

Every call the stages and the judge make into a generator goes through one of these wrappers. A
plugin that raises, returns the wrong length, returns NaN, or fails the conformance kit's cheap
honesty checks on its fitted model (:func:`honest`) is reported as a contract violation
naming the generator and the method; the harness records it as that cell's failure and goes on
with the others.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from generators.base import CARD_KEYS, Budget, Corpus, FitReport, Generator, Sampling
from generators.errors import TextgenBenchError, TrainingError
from generators.testing.honesty import fitted_model_problem

T = TypeVar("T")


class StageError(TextgenBenchError):
    """A stage could not be completed for one cell."""


class ContractViolation(StageError):
    """A generator broke the interface contract."""


def _name(generator: Generator | type) -> str:
    return getattr(generator, "name", "") or getattr(generator, "__name__", "") or type(generator).__name__


def _violation(generator: Generator | type, method: str, problem: str) -> ContractViolation:
    return ContractViolation(f"generator {_name(generator)!r} broke the contract in {method}(): {problem}")


def _checked_call(generator: Generator | type, method: str, call: Callable[[], T]) -> T:
    """``call()``, with a plugin's own exception turned into a ContractViolation naming ``method``."""
    try:
        return call()
    except (TextgenBenchError, KeyboardInterrupt, MemoryError):
        raise
    except Exception as error:  # a plugin's own bug: name it, keep the run going
        if type(error).__name__ == "OutOfMemoryError":
            raise TrainingError(
                f"{_name(generator)}: out of device memory in {method}(); lower the batch size or context "
                "length in [generators.NAME.options]"
            ) from error
        raise _violation(generator, method, f"raised {type(error).__name__}: {error}") from error


def fit(generator: Generator, corpus: Corpus, *, seed: int, budget: Budget) -> dict[str, Any]:
    """Train on ``corpus`` as ``fit`` receives it: its test split emptied (nothing trains on test text)."""
    training = corpus.for_training()
    report = _checked_call(generator, "fit", lambda: generator.fit(training, seed=seed, budget=budget))
    if not isinstance(report, FitReport):
        raise _violation(generator, "fit", f"returned {type(report).__name__}, not a FitReport")
    data = report.to_dict()
    bad = [p for p in data["curve"] if not math.isfinite(p.get("valid_bpc", 0.0))]
    if bad:
        raise TrainingError(
            f"{_name(generator)}: validation bpc became {bad[0]['valid_bpc']} during training"
        )
    return data


def score(generator: Generator, text: str, context: str = "") -> np.ndarray:
    result = _checked_call(generator, "score", lambda: generator.score(text, context))
    try:
        values = np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError):
        raise _violation(generator, "score", f"returned {type(result).__name__}, not numbers") from None
    if values.shape != (len(text),):
        raise _violation(generator, "score", f"returned shape {values.shape} for {len(text)} characters")
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        i = int(bad[0])
        raise _violation(generator, "score", f"returned {values[i]} at character {i} ({text[i]!r})")
    if (values > 1e-9).any():
        i = int(np.argmax(values))
        raise _violation(generator, "score", f"returned a log-probability above 0 ({values[i]}) at {i}")
    return values


class Checked:
    """A generator seen through this module's checked calls: what :func:`honest` hands the kit's
    honesty checks, so a plugin's NaN or wrong length is reported as such, not as dishonesty."""

    def __init__(self, generator: Generator) -> None:
        self.generator, self.char_level = generator, generator.char_level
        self.sampling_settings = generator.sampling_settings

    def supports(self, sampling: Sampling) -> bool:
        return supports(self.generator, sampling)

    def known_characters(self) -> str | None:
        return _checked_call(self.generator, "known_characters", self.generator.known_characters)

    def score(self, text: str, context: str = "") -> np.ndarray:
        return score(self.generator, text, context)

    def generate(self, prompts: Sequence[str], *, max_chars: int, sampling: Sampling, seed: int) -> list[str]:
        return generate(self.generator, prompts, max_chars=max_chars, sampling=sampling, seed=seed)


def honest(generator: Generator, trained_on: str) -> None:
    """The conformance kit's cheap honesty checks on a fitted model (``trained_on``: its training
    text): single characters' probabilities summing to at most 1 after a few contexts, top-k and
    top-p honoured. A model that breaks one is a ContractViolation saying why, like a positive
    log-probability: its row is never ranked."""
    found = fitted_model_problem(Checked(generator), trained_on)
    if found is not None:
        method, problem = found
        raise _violation(generator, method, f"{problem} (the conformance kit's honesty check)")


def generate(
    generator: Generator, prompts: Sequence[str], *, max_chars: int, sampling: Sampling, seed: int
) -> list[str]:
    prompts = list(prompts)
    texts = _checked_call(
        generator,
        "generate",
        lambda: generator.generate(prompts, max_chars=max_chars, sampling=sampling, seed=seed),
    )
    if not isinstance(texts, list) or len(texts) != len(prompts):
        got = len(texts) if isinstance(texts, list) else type(texts).__name__
        raise _violation(generator, "generate", f"returned {got} continuations for {len(prompts)} prompts")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise _violation(generator, "generate", f"continuation {i} is {type(text).__name__}, not str")
        if len(text) > max_chars:
            raise _violation(
                generator, "generate", f"continuation {i} has {len(text)} > {max_chars} characters"
            )
    return texts


def supports(generator: Generator, sampling: Sampling) -> bool:
    """Whether the generator honours every setting of ``sampling`` (its own answer, checked)."""
    answer = _checked_call(generator, "supports", lambda: generator.supports(sampling))
    if not isinstance(answer, bool):
        raise _violation(generator, "supports", f"returned {answer!r}, not True or False")
    return answer


def describe(generator: Generator) -> dict[str, Any]:
    return describe_like(generator, "describe", generator.describe)


def describe_like(generator: Generator, method: str, call: Callable[[], Any]) -> dict[str, Any]:
    """``call()``'s dict, checked to be JSON-ready (no NaN)."""
    info = _checked_call(generator, method, call)
    if not isinstance(info, dict):
        raise _violation(generator, method, f"returned {type(info).__name__}, not a dict")
    try:
        json.dumps(info, allow_nan=False, default=str)
    except ValueError as error:
        raise _violation(generator, method, f"not JSON-serialisable: {error}") from None
    return info


def card(generator: Generator) -> dict[str, Any]:
    """The generator's model card: a JSON-ready dict of the keys ``CARD_KEYS`` names (others kept)."""
    info = describe_like(generator, "card", generator.card)
    missing = set(CARD_KEYS) - set(info)
    if missing:
        raise _violation(generator, "card", f"lacks {sorted(missing)}")
    return info


def save(generator: Generator, directory: Path) -> None:
    _checked_call(generator, "save", lambda: generator.save(directory))


def load(generator_class: type[Generator], directory: Path, *, device: str) -> Generator:
    loaded = _checked_call(generator_class, "load", lambda: generator_class.load(directory, device=device))
    if not isinstance(loaded, generator_class):
        raise _violation(
            generator_class, "load", f"returned {type(loaded).__name__}, not a {generator_class.__name__}"
        )
    return loaded


def native_token_count(generator: Generator, text: str) -> int | None:
    count = _checked_call(generator, "native_token_count", lambda: generator.native_token_count(text))
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise _violation(generator, "native_token_count", f"returned {count!r}, not a count or None")
    return count


def oov_rate(generator: Generator, text: str) -> float | None:
    rate = _checked_call(generator, "oov_rate", lambda: generator.oov_rate(text))
    if rate is not None and not (isinstance(rate, int | float) and 0 <= rate <= 1):
        raise _violation(generator, "oov_rate", f"returned {rate!r}, not a fraction or None")
    return None if rate is None else float(rate)


def training_flops(generator: Generator, report: dict[str, Any]) -> float | None:
    """The generator's estimate of its training FLOPs, for the fit ``report`` (a FitReport's dict)."""
    known = {f.name for f in fields(FitReport)}
    fit = FitReport(**{k: v for k, v in report.items() if k in known})
    flops = _checked_call(generator, "training_flops", lambda: generator.training_flops(fit))
    if flops is None:
        return None
    if isinstance(flops, bool) or not isinstance(flops, int | float) or not 0 <= flops < math.inf:
        raise _violation(generator, "training_flops", f"returned {flops!r}, not a number >= 0 or None")
    return float(flops)


def greedy_cycles(
    generator: Generator, prompts: Sequence[str], *, max_chars: int
) -> list[tuple[int, int] | None] | None:
    """The optional ``greedy_cycles``: None, or one (onset, period) of characters or None per prompt."""
    prompts = list(prompts)
    found = _checked_call(
        generator, "greedy_cycles", lambda: generator.greedy_cycles(prompts, max_chars=max_chars)
    )
    if found is None:
        return None
    if not isinstance(found, list) or len(found) != len(prompts):
        raise _violation(
            generator, "greedy_cycles", f"returned {type(found).__name__}, not one entry per prompt"
        )
    for i, cycle in enumerate(found):
        if cycle is None:
            continue
        if not (
            isinstance(cycle, tuple | list)
            and len(cycle) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in cycle)
            and 0 <= cycle[0] <= max_chars
            and cycle[1] >= 1
        ):
            raise _violation(
                generator, "greedy_cycles", f"entry {i} is {cycle!r}, not (onset, period) in characters"
            )
    return [None if cycle is None else (cycle[0], cycle[1]) for cycle in found]
