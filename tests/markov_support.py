"""Shared by the markov test files: fitting on a string, two cached models, scores at one character."""

from __future__ import annotations

import functools

from generators.base import Corpus
from generators.markov.generator import MarkovGenerator
from generators.testing.texts import make_text


def corpus_of(train: str, valid: str = "") -> Corpus:
    return Corpus(name="test", train=train, valid=valid, test=valid, sha256="0" * 64)


def fitted(train: str, **options) -> MarkovGenerator:
    generator = MarkovGenerator.from_options(options)
    generator.fit(corpus_of(train))
    return generator


@functools.cache
def word_model() -> MarkovGenerator:
    return fitted(make_text(6000, seed=1), state_size=2)


@functools.cache
def char_model() -> MarkovGenerator:
    return fitted(make_text(6000, seed=1), state_size=3, level="char")


def last_logprob(generator: MarkovGenerator, text: str, context: str) -> float:
    return float(generator.score(text, context)[-1])


def closed_logprob(generator: MarkovGenerator, text: str, context: str) -> float:
    """The log-probability charged on the last character of ``text`` when a word follows it: its last
    token complete, not a piece that may go on (word level)."""
    return float(generator.score(text + " x", context)[len(text) - 1])
