"""The interface every generator implements, built-in or plugin.

The harness talks to generators through this class only. A generator:

* ``fit(corpus, seed=, budget=)`` trains on ``corpus.train`` (``corpus.valid`` is there for
  early stopping) and returns a :class:`FitReport`;
* ``score(text, context="")`` returns ``len(text)`` natural-log probabilities whose sum is
  ``log P(text | context)`` = log P(context + text) − log P(context), where P(x) is the
  probability that the model's output starts with x (no end of text is charged). Token-level
  models tokenize ``context + text`` together and put each token's log-probability on the token's
  last character and 0 on the others, and charge the **open end** (below), so
  ``score(a).sum() + score(b, context=a).sum() == score(a + b).sum()``. Every Unicode string gets
  a finite score (open vocabulary), and the same text scores the same every time (no dropout at
  scoring time);
* ``generate(prompts, max_chars=, sampling=, seed=)`` returns one continuation per prompt, the
  continuation only, exactly ``max_chars`` characters long unless the model emitted its
  end-of-text token first (then the continuation is shorter: that is how end-of-text is reported;
  ``max_chars=0`` gives ``""``). Seeding rule: prompt ``i`` is sampled from its own random
  stream seeded ``seed + i``, so ``generate(prompts, seed=s)[i] == generate([prompts[i]],
  seed=s + i)[0]`` (a batch gives the same texts as one call per prompt), and greedy text
  (temperature 0) does not depend on the seed. A ``sampling`` that is not a :class:`Sampling` (or
  None) is a TypeError or ValueError whose message says "sampling". A generator honours the
  :class:`Sampling` settings named in its ``sampling_settings`` (besides temperature); ``generate``
  refuses any other that is on with :class:`~generators.errors.UnsupportedSampling`, and
  ``supports(sampling)`` says beforehand, so a setting is never silently ignored;
* ``save(directory)`` writes into ``directory`` (which may already exist, empty) with safetensors
  and JSON, never pickle; ``load(directory)`` gives the same scores (bit for bit, unless the class
  declares a ``save_load_tolerance``) and the same greedy and seeded text;
* ``describe()`` returns name, parameter count, tokenizer and config, also before ``fit``;
* ``card()`` (optional) returns the model card the report shows beside each row (:data:`CARD_KEYS`:
  architecture and size, parameters, tokenizer, vocabulary, pretrained weights, the validation
  characters its learning curve scores); the default builds one from ``describe()``;
* ``known_characters()`` names the characters the model has probabilities of its own for (the kit's
  normalisation check counts every other one at the unseen-character rate); None: it does not say.
* ``training_flops(report)`` (optional) estimates the floating-point operations of the training a
  FitReport describes, by the rule of :mod:`generators.flops`; None: not estimated (a count model
  such as markov does no multiply-adds).

``score`` and ``generate`` are template methods: they check their arguments (the types of the
texts, ``sampling``, ``max_chars``, ``seed``) and handle empty input once, for every generator, and
call the generator's own ``_score`` / ``_generate``. A generator implements those two, never the
public pair.

**The open end.** A text that stops inside a word has not chosen that word: "The ki" may go on as
"The king", "The kind" or "The kiss". So a token-level model charges a text's last token, when a
longer token could start with it (a word, a whitespace run), as an *open end*: the probability
that the next token *starts with* those characters, not the probability of that very token. With
a word model after "The "::

    score("The ki")                  charges "ki" as P(next token starts with "ki" | "The ")
                                       = P("king") + P("kind") + P("kiss") + … (+ P(UNK) × P(a
                                       spelling starts with "ki"))
    score("ng", context="The ki")    charges P("king" | "The ") / P(starts with "ki" | "The ")
    together                         P("king" | "The "), as score("The king") charges it

so ``score("The ki").sum() + score("ng", context="The ki").sum() == score("The king").sum()``: the
open end's mass is charged once, with the text that ends in it, and taken off where the token that
extends it is charged. Every model names it alike: ``open_end_logprob`` (the log-probability of an
open end), ``is_open_end`` (whether a token can be one), ``open_ends`` (whether a model's tokens can).
Character-level models have no open ends: every character is a whole token.

The conformance kit (:mod:`generators.testing`) checks every rule, with its tolerances.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from generators.errors import SamplingError, UnsupportedSampling
from generators.options import build_config

# Every character a Python string can hold and UTF-8 can encode: the Unicode scalar values.
UNICODE_SCALAR_COUNT = 0x110000 - 0x800


# What ``Generator.card()`` returns: the model's side of the card the report shows for each row.
CARD_KEYS = {
    "architecture": "kind and size in a few words, e.g. 'LSTM 2×512' or 'transformer 4×128'",
    "parameters": "trained numbers (weights, or stored n-grams of a count model)",
    "tokenizer": "what a token is, in a few words",
    "vocabulary": "tokens the model predicts (None: not fixed)",
    "pretrained": "the weights it started from (None: trained from scratch)",
    "valid_chars": "validation characters each learning-curve point scores (a prefix; None: all)",
    "notes": "anything else a reader needs to know of its size, e.g. a spelling model ('' if none)",
}


@dataclass(frozen=True)
class Sampling:
    """How to pick the next token (the rules and their order: :mod:`generators.sampling`)."""

    temperature: float = 1.0  # 0 = greedy argmax; otherwise logits are divided by it before softmax
    top_k: int = 0  # keep only the k most likely tokens; 0 = no limit
    top_p: float = 1.0  # nucleus: the smallest set whose probability reaches top_p; 1 = off
    typical_p: float = 1.0  # typical sampling: the most typical tokens holding this mass; 1 = off
    min_p: float = 0.0  # keep tokens at least min_p times as likely as the most likely one; 0 = off
    repetition_penalty: float = 1.0  # CTRL's penalty on tokens already in the row; 1 = off
    no_repeat_ngram: int = 0  # never complete an n-gram already in the row; 0 = off

    def __post_init__(self) -> None:
        t = self.temperature
        if not _is_number(t) or math.isnan(t) or t < 0:
            raise SamplingError(f"temperature must be a number >= 0 (0 = greedy), got {t!r}")
        if math.isinf(t):
            raise SamplingError(f"temperature must be finite, got {t!r}")
        for name, value, low in (("top_k", self.top_k, 0), ("no_repeat_ngram", self.no_repeat_ngram, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise SamplingError(f"{name} must be an integer >= 0 (0 = off), got {value!r}")
        for name, value in (("top_p", self.top_p), ("typical_p", self.typical_p)):
            if not _is_number(value) or math.isnan(value) or not 0 < value <= 1:
                raise SamplingError(f"{name} must be in (0, 1] (1 = off), got {value!r}")
        m = self.min_p
        if not _is_number(m) or math.isnan(m) or not 0 <= m <= 1:
            raise SamplingError(f"min_p must be in [0, 1] (0 = off), got {m!r}")
        r = self.repetition_penalty
        if not _is_number(r) or not 0 < r < math.inf:
            raise SamplingError(f"repetition_penalty must be a finite number > 0 (1 = off), got {r!r}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    @property
    def uses_history(self) -> bool:
        """Whether a rule reads the row's earlier tokens (repetition penalty, n-gram blocking)."""
        return self.repetition_penalty != 1 or self.no_repeat_ngram > 0

    def history_free(self) -> Sampling:
        """These settings without the rules that read the row's earlier tokens."""
        return replace(self, repetition_penalty=1.0, no_repeat_ngram=0)

    def changed_fields(self) -> tuple[str, ...]:
        """The settings other than temperature that differ from their defaults (off)."""
        return tuple(
            f.name for f in fields(self) if f.name != "temperature" and getattr(self, f.name) != f.default
        )

    def describe(self) -> str:
        """'T=0.7, top_k=40': the temperature and every setting that is on."""
        settings = [f"{name}={getattr(self, name)!r}" for name in self.changed_fields()]
        return ", ".join([f"T={self.temperature:g}", *settings])


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# Every Sampling setting but the temperature: what a generator that follows generators.sampling honours.
SAMPLING_SETTINGS = frozenset(f.name for f in fields(Sampling)) - {"temperature"}


def resolve_sampling(sampling: Sampling | None) -> Sampling:
    """The sampling settings a ``generate`` call uses: ``None`` means the defaults (T = 1)."""
    if sampling is None:
        return Sampling()
    if not isinstance(sampling, Sampling):
        raise TypeError(f"sampling must be a Sampling or None, got {type(sampling).__name__}")
    return sampling


@dataclass(frozen=True)
class Budget:
    """How long ``fit`` may train. ``None`` means no limit of that kind.

    With ``steps`` set the budget is fixed work: ``seconds`` beside it is only a cap that stops a
    training, never something that shapes its weights (schedule, early stopping), so the same seed
    gives the same model at any speed and the model cache keys such a model by its steps alone.
    """

    seconds: float | None = None  # wall-clock seconds of training
    steps: int | None = None  # optimiser steps (or passes over the data for count-based models)

    def cut_short(self, stopped_by: str | None) -> bool:
        """Whether a fit that reports ``stopped_by`` ended before this budget's fixed work: the
        seconds cap stopped a step budget."""
        return self.steps is not None and stopped_by == "seconds"


@dataclass(frozen=True)
class Corpus:
    """A text corpus split into train, validation and test text."""

    name: str  # registry name, e.g. "shakespeare" or "file:/path/to/text.txt"
    train: str
    valid: str
    test: str
    sha256: str  # of the corpus content the splits were cut from
    split_rule: str = ""  # how the splits were cut, recorded in results

    def for_training(self) -> Corpus:
        """What ``fit`` receives: this corpus with an empty test split, so nothing trains on the
        text it is scored on."""
        return replace(self, test="")

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sha256": self.sha256,
            "split_rule": self.split_rule,
            "chars": {"train": len(self.train), "valid": len(self.valid), "test": len(self.test)},
        }


@dataclass
class FitReport:
    """What ``fit`` did, for the results file and the learning-curve plot."""

    seconds: float = 0.0  # wall-clock seconds spent in fit, validation included
    steps: int = 0  # optimiser steps (or passes) taken
    train_chars: int = 0  # training characters processed (for characters per second)
    stopped_by: str = ""  # "steps", "seconds", "early-stopping", "complete"
    curve: list[dict[str, float]] = field(default_factory=list)  # {seconds, step, valid_bpc[, train_chars]}
    train_seconds: float | None = None  # seconds of training steps only (no validation); None = seconds

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class NextCharDistribution:
    """A character-level model's full next-character distribution.

    ``logprobs`` lists the characters the model knows; every other Unicode scalar value
    (``rest_count`` of them) has the same log-probability ``rest_logprob``.
    """

    logprobs: dict[str, float]
    rest_logprob: float
    rest_count: int

    def total(self) -> float:
        known = float(np.exp(np.fromiter(self.logprobs.values(), dtype=np.float64)).sum())
        return known + self.rest_count * math.exp(self.rest_logprob)


class Generator(ABC):
    """Base class of every text generator. Subclasses set ``config_class``."""

    name: ClassVar[str] = ""  # set by @register_generator
    config_class: ClassVar[type]  # a dataclass with a comment on each default
    char_level: bool = False  # True when next_char_distribution works (may be set per instance)
    family: ClassVar[str] = "other"  # "neural", "count", …: the judge is the best "neural" one
    # How far a saved and loaded model's scores may be from the fitted one's: 0 = bit-identical (a
    # cached model must score like a fresh one); a plugin whose framework cannot promise that
    # declares its float error here.
    save_load_tolerance: ClassVar[float] = 0.0
    # The Sampling settings besides temperature that this generator honours; ``generate`` refuses a
    # Sampling with any other one on, so no setting is silently ignored. A plugin that samples with
    # generators.sampling and passes each row's token history honours them all (SAMPLING_SETTINGS).
    sampling_settings: ClassVar[frozenset[str]] = frozenset({"top_k", "top_p"})

    def __init__(self, config: Any = None, *, device: str = "cpu") -> None:
        self.config = config if config is not None else self.config_class()
        self.device = device

    @classmethod
    def from_options(cls, options: Mapping[str, Any] | None = None, *, device: str = "cpu") -> Self:
        """Build from a plain mapping (a TOML table); unknown keys and wrong types are errors."""
        return cls(build_config(cls.config_class, options or {}, owner=cls.name), device=device)

    @abstractmethod
    def fit(self, corpus: Corpus, *, seed: int = 0, budget: Budget | None = None) -> FitReport:
        """Train on ``corpus.train``; ``corpus.valid`` may be used for early stopping."""

    def score(self, text: str, context: str = "") -> np.ndarray:
        """Per-character natural-log likelihoods of ``text`` given ``context``: shape (len(text),).

        Checks the arguments once, for every generator, then calls :meth:`_score` (never with an
        empty ``text``).
        """
        for what, value in (("text", text), ("context", context)):
            if not isinstance(value, str):
                raise TypeError(f"score: {what} must be a str, got {type(value).__name__}")
        if not text:
            return np.zeros(0, dtype=np.float64)
        return self._score(text, context)

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_chars: int,
        sampling: Sampling | None = None,
        seed: int = 0,
    ) -> list[str]:
        """One continuation per prompt, batched; the same seed gives the same text.

        Checks ``sampling``, ``max_chars``, ``seed`` and the prompts once, for every generator, then
        calls :meth:`_generate` with a :class:`Sampling` (never with no prompts or ``max_chars=0``).
        """
        sampling = resolve_sampling(sampling)
        if not self.supports(sampling):
            unsupported = ", ".join(sorted(set(sampling.changed_fields()) - self.sampling_settings))
            raise UnsupportedSampling(
                f"sampling: {self.name or type(self).__name__} does not support {unsupported} "
                "(see its sampling_settings)"
            )
        if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 0:
            raise SamplingError(f"max_chars must be an integer >= 0, got {max_chars!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise SamplingError(f"seed must be an integer >= 0, got {seed!r}")
        if isinstance(prompts, str):
            raise TypeError("generate: prompts must be a sequence of str, not one str")
        prompts = list(prompts)
        for i, prompt in enumerate(prompts):
            if not isinstance(prompt, str):
                raise TypeError(f"generate: prompt {i} is {type(prompt).__name__}, not str")
        if not prompts or max_chars == 0:
            return [""] * len(prompts)
        return self._generate(prompts, max_chars=max_chars, sampling=sampling, seed=seed)

    def supports(self, sampling: Sampling) -> bool:
        """Whether ``generate`` honours every setting of ``sampling`` (see ``sampling_settings``)."""
        return set(sampling.changed_fields()) <= self.sampling_settings

    @abstractmethod
    def _score(self, text: str, context: str) -> np.ndarray:
        """:meth:`score` of a non-empty ``text``: ``len(text)`` log-probabilities."""

    @abstractmethod
    def _generate(self, prompts: list[str], *, max_chars: int, sampling: Sampling, seed: int) -> list[str]:
        """:meth:`generate` for at least one prompt and ``max_chars >= 1``; ``sampling`` is checked."""

    @abstractmethod
    def save(self, directory: str | Path) -> None:
        """Write weights (safetensors) and everything else (JSON) into ``directory``."""

    @classmethod
    @abstractmethod
    def load(cls, directory: str | Path, *, device: str = "cpu") -> Self:
        """Read what ``save`` wrote."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """name, parameters (count), tokenizer (a short description) and config (a dict)."""

    def card(self) -> dict[str, Any]:
        """The model card (:data:`CARD_KEYS`) of this generator as configured (and fitted). The
        default reads ``describe()``: a plugin overrides it to name its architecture and size."""
        info = self.describe()
        return {
            "architecture": self.name or type(self).__name__,
            "parameters": info.get("parameters"),
            "tokenizer": info.get("tokenizer", ""),
            "vocabulary": info.get("vocabulary_size", info.get("vocabulary")),
            "pretrained": None,
            "valid_chars": None,
            "notes": "",
        }

    def next_char_distribution(self, context: str) -> NextCharDistribution:
        """The full next-character distribution; only character-level models implement it."""
        raise NotImplementedError(f"{self.name or type(self).__name__} is not character-level")

    def known_characters(self) -> str | None:
        """The characters this model has probabilities of its own for, or None when it does not say.

        Every other Unicode scalar value, alone, scores as an unseen character (all alike, as
        NextCharDistribution's ``rest_count`` characters at ``rest_logprob``). The conformance kit's
        normalisation check sums ``exp(score(c, context))`` over these characters and counts the
        rest at the rate of an unseen one; with None it sums over the characters of the text it
        trained on only (a lower bound of the total). Character-level models need not override
        this: the keys of ``next_char_distribution("")`` are used.
        """
        return "".join(self.next_char_distribution("").logprobs) if self.char_level else None

    def training_flops(self, report: FitReport) -> float | None:
        """Estimated FLOPs of the training ``report`` describes (forward + backward, from this
        model's layer shapes: the rule is :mod:`generators.flops`'s), or None when not estimated."""
        return None

    def greedy_cycles(self, prompts: Sequence[str], *, max_chars: int) -> list[tuple[int, int] | None] | None:
        """Where greedy decoding of each prompt enters a cycle it never leaves, found from the model's
        own state rather than its text (a deterministic decoder whose state repeats repeats forever):
        (onset, period) in characters of the continuation, the onset being the first character from
        which the text repeats every ``period`` characters; None for a prompt whose state does not
        repeat within ``max_chars`` characters. None (the default): the model cannot tell."""
        return None

    def native_token_count(self, text: str) -> int | None:
        """How many of the model's own tokens ``text`` is, for native token perplexity."""
        return None

    def oov_rate(self, text: str) -> float | None:
        """Fraction of the model's tokens in ``text`` that are outside its vocabulary."""
        return None
