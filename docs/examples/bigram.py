"""A character bigram generator in one file: the worked plugin of docs/plugins.md.

P(next character | the one before) with add-k smoothing. A first character with no context, or
one after a character never seen in training, is read from the unigram row (the start of text).
One extra column, "unseen", gets k counts in every row and is shared evenly by every Unicode
character outside the vocabulary, so every string scores finite and each row sums to 1.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from generators import (
    UNICODE_SCALAR_COUNT,
    Budget,
    Corpus,
    FitReport,
    Generator,
    NextCharDistribution,
    Sampling,
    choose_tokens,
    config_from_dict,
    config_to_dict,
    seeded_uniforms,
    unseen_char_logprob,
)


@dataclass
class BigramConfig:
    k: float = 0.5  # add-k smoothing: every pair, and the unseen column, keeps some probability


class BigramGenerator(Generator):
    name = "bigram"  # the entry-point name, also when the class is imported directly
    config_class = BigramConfig
    char_level = True  # next_char_distribution works: the kit runs its character-level checks
    family = "count"  # not "neural": never a judge of the others' samples

    def __init__(self, config: BigramConfig | None = None, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        self._set("", np.full((1, 1), self.config.k))  # untrained: every character is unseen

    def _set(self, vocab: str, counts: np.ndarray) -> None:
        self.vocab, self.counts = vocab, counts  # counts[i, j]: j after i; row V: start of text
        self.index = {c: i for i, c in enumerate(vocab)}  # column V: every unseen character
        self.logp = np.log(counts / counts.sum(axis=1, keepdims=True))
        self.unseen = unseen_char_logprob(len(vocab))  # log(1 / the number of unseen characters)

    def fit(self, corpus: Corpus, *, seed: int = 0, budget: Budget | None = None) -> FitReport:
        start, text = time.perf_counter(), corpus.train
        vocab = "".join(sorted(set(text)))
        position = {c: i for i, c in enumerate(vocab)}
        ids = np.array([position[c] for c in text])
        counts = np.full((len(vocab) + 1, len(vocab) + 1), self.config.k)
        np.add.at(counts, (ids[:-1], ids[1:]), 1)  # pairs
        np.add.at(counts, (len(vocab), ids), 1)  # the start-of-text row: unigram counts
        self._set(vocab, counts)
        return FitReport(time.perf_counter() - start, 1, len(text), "complete")  # one pass: 1 step

    def _ids(self, text: str) -> list[int]:
        return [self.index.get(c, len(self.vocab)) for c in text]  # unseen: V

    def _score(self, text: str, context: str) -> np.ndarray:
        before = ([] if context else [len(self.vocab)]) + self._ids(context[-1:] + text[:-1])
        after = self._ids(text)
        unseen = np.where(np.array(after) == len(self.vocab), self.unseen, 0.0)
        return self.logp[before, after] + unseen

    def next_char_distribution(self, context: str) -> NextCharDistribution:
        row = self.logp[self._ids(context[-1:]) or [len(self.vocab)]][0]
        known = dict(zip(self.vocab, row[:-1].tolist(), strict=True))
        rest = UNICODE_SCALAR_COUNT - len(self.vocab)
        return NextCharDistribution(known, float(row[-1] + self.unseen), rest)

    def _generate(self, prompts: list[str], *, max_chars: int, sampling: Sampling, seed: int) -> list[str]:
        uniforms = seeded_uniforms(seed, len(prompts), max_chars)  # row i: seed + i
        rows = np.array([(self._ids(p[-1:]) or [len(self.vocab)])[0] for p in prompts])
        steps = []
        for step in range(max_chars):  # known characters only: the unseen column is left out
            rows = choose_tokens(self.logp[rows, :-1], sampling, uniforms[:, step])
            steps.append(rows)
        return ["".join(self.vocab[i] for i in row) for row in np.stack(steps, axis=1).tolist()]

    def save(self, directory: str | Path) -> None:
        Path(directory).mkdir(parents=True, exist_ok=True)
        state = {"config": config_to_dict(self.config), "vocab": self.vocab, "counts": self.counts.tolist()}
        (Path(directory) / "bigram.json").write_text(json.dumps(state), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path, *, device: str = "cpu") -> BigramGenerator:
        state = json.loads((Path(directory) / "bigram.json").read_text(encoding="utf-8"))
        generator = cls(config_from_dict(cls.config_class, state["config"]), device=device)
        generator._set(state["vocab"], np.array(state["counts"]))
        return generator

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "parameters": int(self.counts.size),
            "tokenizer": "characters",
            "config": config_to_dict(self.config),
        }
