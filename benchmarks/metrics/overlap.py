"""Overlap of generated text with the training split: copying and spelling.

- ``copy_rate``: the fraction of generated word n-grams (default 8) that occur somewhere in the
  training split, a memorisation signal. Build the training index once with ``NgramIndex.from_text``
  and pass it to every call.
- ``valid_word_rate``: the fraction of generated alphabetic words that occur in the training split,
  compared in lowercase (a word is "valid" when the training text spells it, in any case), a
  misspelling signal for character-level models.

Both on word tokens (:mod:`benchmarks.metrics.tokens`: Welleck et al.'s split, newlines included).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from benchmarks.metrics.tokens import ngrams, word_tokens

COPY_NGRAM = 8  # default n-gram length for the copy rate


def _ngram_key(gram: tuple[str, ...]) -> str:
    """One string per n-gram. No token contains a space (a newline is the token "\\n"), so joining on a space
    is injective."""
    return " ".join(gram)


@dataclass(frozen=True)
class NgramIndex:
    """The set of word n-grams of a text, exact (no hash collisions), built once and reused."""

    n: int  # n-gram length
    keys: frozenset[str]  # every n-gram of the text, tokens joined by a space

    @classmethod
    def from_text(cls, text: str, n: int = COPY_NGRAM) -> NgramIndex:
        return cls(n=n, keys=frozenset(_ngram_key(gram) for gram in ngrams(word_tokens(text), n)))

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, gram: object) -> bool:
        if isinstance(gram, tuple):
            return len(gram) == self.n and _ngram_key(gram) in self.keys
        return False


def copy_rate(samples: Sequence[str], train: str | NgramIndex, n: int | None = None) -> float:
    """Fraction of the samples' word n-grams (pooled, with repeats) that occur in the training text.

    ``train`` is the training text or, better, its prebuilt ``NgramIndex`` (then ``n`` defaults to the
    index's n and must match it). NaN when the samples hold no n-gram.
    """
    index = _as_index(train, n)
    found = total = 0
    for text in samples:
        for gram in ngrams(word_tokens(text), index.n):
            total += 1
            found += _ngram_key(gram) in index.keys
    return found / total if total else math.nan


def _as_index(train: str | NgramIndex, n: int | None) -> NgramIndex:
    if isinstance(train, NgramIndex):
        if n is not None and n != train.n:
            raise ValueError(f"copy_rate asked for {n}-grams but the index holds {train.n}-grams")
        return train
    return NgramIndex.from_text(train, COPY_NGRAM if n is None else n)


def alphabetic_words(text: str) -> list[str]:
    """The word tokens made only of letters (``str.isalpha``), lowercased."""
    return [token.lower() for token in word_tokens(text) if token.isalpha()]


def training_vocabulary(train_text: str) -> frozenset[str]:
    """The lowercased alphabetic words of the training text."""
    return frozenset(alphabetic_words(train_text))


def valid_word_rate(samples: Sequence[str], vocabulary: Iterable[str]) -> float:
    """Fraction of the samples' alphabetic words (lowercased, pooled) found in ``vocabulary``.

    ``vocabulary`` normally comes from ``training_vocabulary``; it is lowercased here in any case.
    NaN when the samples hold no alphabetic word.
    """
    known = {word.lower() for word in vocabulary}
    words = [word for text in samples for word in alphabetic_words(text)]
    if not words:
        return math.nan
    return sum(word in known for word in words) / len(words)
