"""Open-vocabulary building blocks shared by the word- and character-level generators.

* :func:`tokenize_words` / :func:`detokenize` — a lossless word tokenizer: words (``\\w+``), single
  punctuation or symbol characters, and runs of whitespace. ``"".join(tokenize_words(x)) == x``.
* :class:`SpellingModel` — a smoothed character-bigram model over whole tokens with an end
  symbol: a normalised distribution over every non-empty Unicode string. Word-level models charge
  an unknown token P(unknown) × P_spelling(token), so no string ever scores -inf.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import numpy as np

from generators.base import UNICODE_SCALAR_COUNT

WORD_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def tokenize_words(text: str) -> list[str]:
    """Split into words, single punctuation characters and whitespace runs, losing nothing."""
    return WORD_TOKEN.findall(text)


def detokenize(tokens: Iterable[str]) -> str:
    return "".join(tokens)


def unseen_char_logprob(known_chars: int) -> float:
    """log of 1 / (number of Unicode scalar values outside a vocabulary of ``known_chars``)."""
    return -math.log(UNICODE_SCALAR_COUNT - known_chars)


class SpellingModel:
    """P(string) from add-``alpha`` character bigrams, START → c1 → … → cn → END.

    Rows are the previous character (index 0 = START, 1..n = known characters, n+1 = unknown);
    columns the next (0..n-1 known, n = unknown, n+1 = END). START → END is impossible, so only
    non-empty strings have probability; an unknown character costs P(unknown) / (#unseen chars).
    """

    def __init__(self, alphabet: str, counts: np.ndarray, alpha: float = 0.5) -> None:
        self.alphabet = alphabet
        self.index = {c: i for i, c in enumerate(alphabet)}
        self.alpha = alpha
        n = len(alphabet)
        smoothed = counts.astype(np.float64) + alpha  # (n + 2, n + 2)
        smoothed[0, n + 1] = 0.0  # no empty strings
        with np.errstate(divide="ignore"):  # START -> END is -inf on purpose
            self.log_table = np.log(smoothed / smoothed.sum(axis=1, keepdims=True))
        self.counts = counts
        self.unseen_logprob = unseen_char_logprob(n)
        self._cached = lru_cache(maxsize=65536)(self._logprob)

    @classmethod
    def fit(cls, strings: Iterable[str], alpha: float = 0.5) -> SpellingModel:
        """Count character bigrams over ``strings`` (each counted as often as it is given)."""
        pairs: Counter[tuple[str | None, str | None]] = Counter()  # None = START or END
        for s in strings:
            if s:
                pairs.update(zip([None, *s], [*s, None], strict=True))
        alphabet = "".join(sorted({c for pair in pairs for c in pair if c is not None}))
        n = len(alphabet)
        index = {c: i for i, c in enumerate(alphabet)}
        counts = np.zeros((n + 2, n + 2), dtype=np.int64)
        for (a, b), count in pairs.items():
            row = 0 if a is None else index[a] + 1
            col = n + 1 if b is None else index[b]
            counts[row, col] += count
        return cls(alphabet, counts, alpha)

    def _row(self, char: str) -> int:
        i = self.index.get(char)
        return len(self.alphabet) + 1 if i is None else i + 1

    def _col(self, char: str) -> tuple[int, float]:
        i = self.index.get(char)
        return (len(self.alphabet), self.unseen_logprob) if i is None else (i, 0.0)

    def _logprob(self, word: str) -> float:
        total, row = 0.0, 0
        for char in word:
            col, extra = self._col(char)
            total += self.log_table[row, col] + extra
            row = self._row(char)
        return total + self.log_table[row, len(self.alphabet) + 1]

    def logprob(self, word: str) -> float:
        """Natural-log probability of the whole non-empty string ``word``."""
        if not word:
            raise ValueError("the spelling model gives probability only to non-empty strings")
        return self._cached(word)

    def sample(self, rng: np.random.Generator, max_len: int = 40) -> str:
        """Spell a string, never using the unknown-character symbol."""
        n = len(self.alphabet)
        out: list[str] = []
        row = 0
        while len(out) < max_len:
            weights = np.exp(self.log_table[row]).copy()
            weights[n] = 0.0  # no unknown characters in generated text
            col = int(rng.choice(n + 2, p=weights / weights.sum()))
            if col == n + 1:
                break
            out.append(self.alphabet[col])
            row = col + 1
        return "".join(out) or (self.alphabet[:1] or " ")

    def to_json(self) -> dict[str, Any]:
        return {"alphabet": self.alphabet, "alpha": self.alpha, "counts": self.counts.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SpellingModel:
        return cls(data["alphabet"], np.asarray(data["counts"], dtype=np.int64), data["alpha"])
