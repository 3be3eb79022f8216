"""A character n-gram generator: textgen-bench's reference plugin.

P(next character | the previous n - 1) with add-k smoothing, read from the longest suffix of the
history seen in training (down to the empty history, a unigram). One extra outcome, "unseen",
gets k counts too and is shared evenly by every Unicode character outside the vocabulary, so
every string gets a finite score and each next-character distribution sums to 1.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from generators import (
    SAMPLING_SETTINGS,
    UNICODE_SCALAR_COUNT,
    Budget,
    Corpus,
    FitReport,
    Generator,
    NextCharDistribution,
    Sampling,
    TokenHistory,
    choose_tokens,
    config_from_dict,
    config_to_dict,
    seeded_uniforms,
    unseen_char_logprob,
)


@dataclass
class CharNGramConfig:
    order: int = 4  # n: each character is predicted from at most the n - 1 characters before it
    k: float = 0.1  # add-k smoothing: every outcome, the unseen bucket included, gets k extra counts

    def __post_init__(self) -> None:  # build_config turns these ValueErrors into ConfigErrors
        if self.order < 1:
            raise ValueError(f"order must be >= 1, got {self.order}")
        if not self.k > 0:
            raise ValueError(f"k must be > 0 (unseen characters need probability), got {self.k}")


class CharNGramGenerator(Generator):
    name: ClassVar[str] = "char-ngram"  # the entry-point name; set here so direct imports know it too
    config_class = CharNGramConfig
    char_level = True  # next_char_distribution is implemented
    family = "count"
    sampling_settings = SAMPLING_SETTINGS  # every rule of generators.sampling: it passes its histories

    def __init__(self, config: CharNGramConfig | None = None, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        self._set_state("", {})  # untrained: every character is unseen

    def _set_state(self, vocab: str, counts: dict[str, Counter[str]]) -> None:
        self.vocab = vocab  # the characters seen in training, sorted
        self.index = {c: i for i, c in enumerate(vocab)}
        self.counts = counts  # history (0 to n - 1 characters) -> Counter of the next character
        self.unseen_share = unseen_char_logprob(len(vocab))  # log(1 / number of unseen characters)
        self._rows: dict[str, np.ndarray] = {}  # history -> log P(vocab..., unseen bucket), memoised

    def fit(self, corpus: Corpus, *, seed: int = 0, budget: Budget | None = None) -> FitReport:
        """One pass of counting (no randomness, nothing to stop early); seed and budget are unused."""
        start, text = time.perf_counter(), corpus.train
        counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for i, char in enumerate(text):
            for length in range(min(i, self.config.order - 1) + 1):
                counts[text[i - length : i]][char] += 1
        self._set_state("".join(sorted(set(text))), dict(counts))
        return FitReport(time.perf_counter() - start, 1, len(text), "complete")

    def _history(self, text: str) -> str:
        return text[max(0, len(text) - self.config.order + 1) :]

    def _logprobs(self, history: str) -> np.ndarray:
        """(V + 1,) log-probabilities of each vocabulary character and of the unseen bucket."""
        if history not in self._rows:
            suffixes = (history[i:] for i in range(len(history) + 1))  # longest first
            row = next((self.counts[h] for h in suffixes if h in self.counts), Counter())
            counts = np.array([row[c] for c in self.vocab] + [0], dtype=np.float64) + self.config.k
            self._rows[history] = np.log(counts / counts.sum())
        return self._rows[history]

    def _score(self, text: str, context: str) -> np.ndarray:
        full, out = context + text, np.empty(len(text), dtype=np.float64)
        for i, char in enumerate(text):
            logprobs = self._logprobs(self._history(full[: len(context) + i]))
            j = self.index.get(char)
            out[i] = logprobs[-1] + self.unseen_share if j is None else logprobs[j]
        return out

    def next_char_distribution(self, context: str) -> NextCharDistribution:
        logprobs = self._logprobs(self._history(context))
        known = dict(zip(self.vocab, logprobs[:-1].tolist(), strict=True))
        rest = UNICODE_SCALAR_COUNT - len(self.vocab)
        return NextCharDistribution(known, float(logprobs[-1] + self.unseen_share), rest)

    def _generate(self, prompts: list[str], *, max_chars: int, sampling: Sampling, seed: int) -> list[str]:
        """Sample known characters only (the unseen bucket is dropped) with the shared sampling rule,
        one seeded stream of uniforms per prompt (row i seeded seed + i). The repetition penalty and
        n-gram blocking read each row's characters as ids (a prompt's unseen character: -1)."""
        if not self.vocab:
            raise RuntimeError("fit or load the generator before generating")
        uniforms = seeded_uniforms(seed, len(prompts), max_chars)  # (B, max_chars)
        histories = [self._history(prompt) for prompt in prompts]
        tokens = TokenHistory.for_sampling([[self.index.get(c, -1) for c in p] for p in prompts], sampling)
        texts: list[list[str]] = [[] for _ in prompts]
        for step in range(max_chars):
            logprobs = np.stack([self._logprobs(history)[:-1] for history in histories])  # (B, V)
            picked = choose_tokens(logprobs, sampling, uniforms[:, step], tokens).tolist()
            if tokens is not None:
                tokens.append(picked)
            for row, index in enumerate(picked):
                texts[row].append(self.vocab[index])
                histories[row] = self._history(histories[row] + self.vocab[index])
        return ["".join(chars) for chars in texts]

    def save(self, directory: str | Path) -> None:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        state = {"config": config_to_dict(self.config), "vocab": self.vocab, "counts": self.counts}
        (path / "char_ngram.json").write_text(json.dumps(state), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path, *, device: str = "cpu") -> Self:
        state = json.loads((Path(directory) / "char_ngram.json").read_text(encoding="utf-8"))
        generator = cls(config_from_dict(cls.config_class, state["config"]), device=device)
        generator._set_state(state["vocab"], {h: Counter(row) for h, row in state["counts"].items()})
        return generator

    def describe(self) -> dict[str, Any]:
        parameters = sum(len(row) for row in self.counts.values())  # stored (history, char) counts
        return {
            "name": self.name,
            "parameters": parameters,
            "tokenizer": "characters",
            "config": config_to_dict(self.config),
        }
