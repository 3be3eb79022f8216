"""The spelling model: how word-level generators stay open-vocabulary.

A word-level model charges an unknown token P(UNK | history) × P_spell(token | outside the
vocabulary), so no string ever scores −inf. :class:`SpellingModel` is a normalised distribution
over every non-empty Unicode string:

* each character is predicted from the ``order`` characters before it (START-padded) by
  interpolated Kneser–Ney (:class:`generators.openvocab.kneser_ney.KneserNey`, one discount), over the
  training alphabet, one unknown-character class and END; below the unigrams sits a uniform base,
  so every context can reach every outcome and END;
* an unseen character costs P(unknown class | context) / #unseen Unicode scalars;
* START → END is removed and the first character renormalised: only non-empty strings count;
* strings ``excluded`` (a word model's vocabulary, which never stands behind UNK) get probability 0
  and the rest is renormalised: P_spell(w | not excluded) = P_spell(w) / (1 − Σ_excluded P_spell);
* the alphabet is every character of the training strings, of the excluded strings and of
  ``known_chars`` (a word model's own separator, say): a character of the training text is never
  charged as unseen, even where it never occurs in a string behind UNK.

Every context's next-symbol distribution sums to 1, so the model sums to 1 over strings. Its
cost on real text, against simpler spellers, is in docs/generators.md.

:meth:`~SpellingModel.open_end_logprob` gives log P_spell(w starts with a prefix | not excluded), the
mass word models need for a word that may go on past the end of a text. :meth:`~SpellingModel.sample`
spells with a :class:`~generators.base.Sampling` applied to each character (temperature, top-k,
top-p; greedy takes the most likely character), the way every model's sampling acts on its own
tokens.

Saved as JSON: the training strings with their counts, ``order`` and ``discount``; the tables are
rebuilt deterministically on load.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import numpy as np

from generators.base import Sampling
from generators.openvocab.kneser_ney import KneserNey, unique_rows
from generators.openvocab.vocabulary import WHITESPACE, unseen_char_logprob
from generators.sampling import next_token_probs

MAX_SAMPLE_ATTEMPTS = 20  # sample(): spellings drawn and rejected before one that cannot end excluded
MAX_ORDER = 12  # the longest context the settings accept


def spelling_name(order: int) -> str:
    """'character 6-gram Kneser–Ney model': the n of a model with ``order`` characters of context
    is ``order + 1`` (the predicted character and its context)."""
    return f"character {order + 1}-gram Kneser–Ney model"


def spelling_note(order: int, ngrams: int) -> str:
    """A model card's note on a word model's spelling model, which scores its unknown words."""
    return f"unknown words spelled by a {spelling_name(order)} ({ngrams:,} n-grams, besides the parameters)"


def check_settings(order: int, discount: float) -> None:
    """Raise ValueError naming the bad spelling-model setting and its value."""
    if not 1 <= order <= MAX_ORDER:
        raise ValueError(f"spelling_order must be in 1..{MAX_ORDER}, got {order}")
    if not 0 < discount < 1:
        raise ValueError(f"spelling_discount must be in (0, 1), got {discount}")


class SpellingModel:
    """P(string) from interpolated Kneser–Ney character n-grams, START … END (see the module doc)."""

    def __init__(
        self,
        strings: Counter[str],
        *,
        order: int = 5,
        discount: float = 0.9,
        excluded: Iterable[str] = (),
        known_chars: str = "",
    ) -> None:
        check_settings(order, discount)
        self.strings = Counter({s: n for s, n in strings.items() if s and n > 0})
        if not self.strings:
            raise ValueError("the spelling model needs at least one non-empty training string")
        self.order, self.discount = order, discount
        self.excluded = frozenset(s for s in excluded if s)
        self.alphabet = "".join(sorted({c for s in (*self.strings, *self.excluded, known_chars) for c in s}))
        self.index = {c: i for i, c in enumerate(self.alphabet)}
        n = len(self.alphabet)
        self.unknown_char, self.end, self.start = n, n + 1, n + 2  # outcome ids; START is context only
        self.unseen_logprob = unseen_char_logprob(n)
        self.kn = self._build(discount)
        first_end = self.kn.distribution(np.full(order, self.start))[self.end]
        self.log_not_empty = math.log1p(-first_end)  # START → END removed: the first step renormalised
        self._distribution = lru_cache(maxsize=65536)(self._raw_distribution)
        self._excluded_sorted = sorted(self.excluded)
        raw = np.exp(self.raw_logprobs(self._excluded_sorted)) if self.excluded else np.zeros(0)
        self._excluded_cumulative = np.concatenate([[0.0], np.cumsum(raw)])  # (E + 1,) for prefix ranges
        self.log_outside = math.log1p(-min(float(raw.sum()), 1 - 1e-12))  # log(1 − Σ_excluded P_spell)

    @classmethod
    def fit(
        cls,
        strings: Iterable[str],
        *,
        order: int = 5,
        discount: float = 0.9,
        excluded: Iterable[str] = (),
        known_chars: str = "",
    ) -> SpellingModel:
        """Count ``strings`` (each as often as it is given) and build the model."""
        return cls(
            Counter(strings), order=order, discount=discount, excluded=excluded, known_chars=known_chars
        )

    def _build(self, discount: float) -> KneserNey:
        strings = list(self.strings)
        windows, _ = self._windows(strings)  # (Σ (len + 1), order + 1)
        per_window = np.repeat([self.strings[s] for s in strings], [len(s) + 1 for s in strings])
        ngrams, inverse = unique_rows(windows)  # (N, order + 1) distinct n-grams
        counts = np.bincount(inverse, weights=per_window).astype(np.int64)  # (N,)
        outcomes = len(self.alphabet) + 2  # characters, unknown class, END
        return KneserNey(ngrams, counts, outcomes, discount, np.full(outcomes, 1.0 / outcomes))

    def _padded(self, string: str) -> list[int]:
        """START × order, the character ids (unknown class for unseen ones), END."""
        ids = [self.index.get(c, self.unknown_char) for c in string]
        return [self.start] * self.order + ids + [self.end]

    def _raw_distribution(self, context: tuple[int, ...]) -> np.ndarray:
        """(n + 2,) P(next | the last ``order`` ids), START → END removed at the first position."""
        probs = self.kn.distribution(np.array(context, dtype=np.int64))
        if context[-1] == self.start:
            probs = probs.copy()
            probs[self.end] = 0.0
            probs /= probs.sum()
        return probs

    @property
    def ngram_count(self) -> int:
        """Stored character n-grams over all orders (the model's parameters)."""
        return self.kn.ngram_count

    def next_distribution(self, prefix: str) -> np.ndarray:
        """(len(alphabet) + 2,) probabilities of each known character, the unknown class and END."""
        return self._distribution(tuple(self._padded(prefix)[-self.order - 1 : -1]))

    def raw_logprobs(self, words: list[str]) -> np.ndarray:
        """(len(words),) unconditional log P_spell of non-empty strings, in one vectorised lookup."""
        windows, chars = self._windows(words)  # (Σ (len + 1), order + 1), (Σ len,)
        ids = self.kn.context_ids(windows[:, : self.order])
        logprobs = np.log(self.kn.probs(ids, windows[:, self.order]))  # (Σ (len + 1),)
        lengths = np.array([len(w) for w in words], dtype=np.int64)
        per_word = np.add.reduceat(logprobs, np.cumsum(lengths + 1) - (lengths + 1))
        owner = np.repeat(np.arange(len(words)), lengths)  # (Σ len,) the word of each character
        unseen = np.bincount(owner, weights=chars == self.unknown_char, minlength=len(words))
        return per_word - self.log_not_empty + unseen * self.unseen_logprob

    def _windows(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Every (order + 1)-id window predicting a character or END of the START-padded ``words``."""
        k = self.order
        lengths = np.array([len(w) for w in words], dtype=np.int64)
        chars = np.array([self.index.get(c, self.unknown_char) for c in "".join(words)], dtype=np.int64)
        padded_starts = np.cumsum(lengths + k + 1) - (lengths + k + 1)  # each word's START × k, chars, END
        padded = np.full(int((lengths + k + 1).sum()), self.start, dtype=np.int64)
        char_starts = np.cumsum(lengths) - lengths
        padded[np.arange(len(chars)) + np.repeat(padded_starts + k - char_starts, lengths)] = chars
        padded[padded_starts + k + lengths] = self.end
        counts = lengths + 1  # predictions per word: its characters and END
        within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        first_window = np.repeat(padded_starts, counts) + within
        windows = np.lib.stride_tricks.sliding_window_view(padded, k + 1)[first_window]
        return windows, chars

    def logprob(self, word: str) -> float:
        """Natural-log P_spell(word | not excluded) of the whole non-empty string ``word``."""
        return float(self.logprobs([word])[0])

    def logprobs(self, words: list[str]) -> np.ndarray:
        """(len(words),) ``logprob`` of each word, the distinct ones looked up in one vectorised call."""
        distinct = sorted(set(words))
        if any(not w for w in distinct):
            raise ValueError("the spelling model gives probability only to non-empty strings")
        raw = dict(zip(distinct, self.raw_logprobs(distinct), strict=True)) if distinct else {}
        return np.array(
            [-math.inf if w in self.excluded else raw[w] - self.log_outside for w in words], dtype=np.float64
        )

    def open_end_logprob(self, prefix: str) -> float:
        """log P_spell(the string starts with ``prefix`` | not excluded); 0 for the empty prefix.

        The characters' probabilities chained (no END), less the excluded strings that start so
        (a range of the sorted excluded strings), renormalised like :meth:`logprob`.
        """
        if not prefix:
            return 0.0
        raw = 0.0
        for i, char in enumerate(prefix):
            probs = self.next_distribution(prefix[:i])
            code = self.index.get(char)
            raw += (
                math.log(probs[self.unknown_char]) + self.unseen_logprob
                if code is None
                else math.log(probs[code])
            )
        start, stop = prefix_range(self._excluded_sorted, prefix)
        excluded = self._excluded_cumulative[stop] - self._excluded_cumulative[start]
        if excluded > 0:  # log(e^raw - excluded), without underflow for long prefixes
            share = math.exp(math.log(excluded) - raw)
            raw = raw + math.log1p(-share) if share < 1 else -math.inf
        return raw - self.log_outside

    def word_start_logprob(self) -> float:
        """log P_spell(the string starts with a character that is not whitespace | not excluded)."""
        first = self.next_distribution("")
        unseen_spaces = sum(c not in self.index for c in WHITESPACE)
        space = (
            first[self.unknown_char]
            * unseen_spaces
            * math.exp(self.unseen_logprob)
            / math.exp(self.log_outside)
        )
        space += sum(math.exp(self.open_end_logprob(c)) for c in self.alphabet if c.isspace())
        return math.log1p(-min(space, 1.0))

    def sample(self, rng: np.random.Generator, sampling: Sampling | None = None, max_len: int = 40) -> str:
        """Spell a string outside ``excluded``, never using an unseen character; at most ``max_len``.

        ``sampling`` acts on each character's distribution (None: the model's own, T = 1); one
        uniform per character from ``rng``. Rejection sampling (exact); when MAX_SAMPLE_ATTEMPTS
        draws all land on excluded strings (a model fit on little more than its excluded words, or a
        greedy spelling that is excluded), one last draw may not end on an excluded string: it goes on.
        """
        sampling = sampling or Sampling()
        for _ in range(MAX_SAMPLE_ATTEMPTS):
            word = self._sample_once(rng, sampling, max_len, avoid_excluded=False)
            if word not in self.excluded:
                return word
        return self._sample_once(rng, sampling, max_len, avoid_excluded=True)

    def _sample_once(
        self, rng: np.random.Generator, sampling: Sampling, max_len: int, *, avoid_excluded: bool
    ) -> str:
        out: list[str] = []
        while len(out) < max_len:
            weights = self.next_distribution("".join(out)).copy()
            weights[self.unknown_char] = 0.0  # generated text holds no unseen characters
            if avoid_excluded and "".join(out) in self.excluded:
                weights[self.end] = 0.0
            with np.errstate(divide="ignore"):
                probs = next_token_probs(np.log(weights), sampling)
            cdf = np.cumsum(probs)
            pick = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), len(cdf) - 1)
            if pick == self.end:
                break
            out.append(self.alphabet[pick])
        return "".join(out)

    def to_json(self) -> dict[str, Any]:
        return {"order": self.order, "discount": self.discount, "strings": sorted(self.strings.items())}

    @classmethod
    def from_json(
        cls, data: dict[str, Any], *, excluded: Iterable[str] = (), known_chars: str = ""
    ) -> SpellingModel:
        strings = Counter({s: int(n) for s, n in data["strings"]})
        order, discount = int(data["order"]), float(data["discount"])
        return cls(strings, order=order, discount=discount, excluded=excluded, known_chars=known_chars)


def prefix_range(ordered: list[str], prefix: str) -> tuple[int, int]:
    """(start, stop): ``ordered[start:stop]`` are the strings of the sorted list that start with ``prefix``."""
    start = bisect.bisect_left(ordered, prefix)
    head = prefix.rstrip("\U0010ffff")  # strings above every extension of a prefix end past its last char
    if not head:
        return start, len(ordered)
    return start, bisect.bisect_left(ordered, head[:-1] + chr(ord(head[-1]) + 1))


def open_end_logprob(
    piece: str,
    logprobs: np.ndarray,
    vocabulary: tuple[list[str], np.ndarray],
    unknown_id: int,
    spelling: SpellingModel,
    word_ids: np.ndarray | None = None,
) -> float:
    """log P(the next token starts with ``piece``), from a word model's next-token log-probabilities.

    The vocabulary tokens with that prefix (``vocabulary``: the tokens sorted, and their ids) and
    P(UNK) × the spelling model's mass of strings with it; with ``word_ids`` (a lone space after a
    word, where an implicit separator may stand) also those tokens and every spelling that starts
    with a character that is not whitespace.
    """
    ordered, ids = vocabulary
    start, stop = prefix_range(ordered, piece)
    terms = [logprobs[ids[start:stop]], [logprobs[unknown_id] + spelling.open_end_logprob(piece)]]
    if word_ids is not None:
        terms += [logprobs[word_ids], [logprobs[unknown_id] + spelling.word_start_logprob()]]
    return float(np.logaddexp.reduce(np.concatenate(terms)))
