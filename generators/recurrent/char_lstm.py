"""char-lstm: a character-level recurrent language model (Karpathy's char-rnn, torch-rnn).

Vocabulary: the training characters seen at least ``min_char_count`` times, plus an unknown
symbol. The unknown symbol's probability is spread evenly over every Unicode scalar value outside
the vocabulary, so every string gets a finite score and the next-character distribution sums to
one over all of Unicode. Characters rarer than ``min_char_count`` in training are trained as the
unknown symbol, which teaches the model how often new characters turn up.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import torch

from generators.base import UNICODE_SCALAR_COUNT, NextCharDistribution, Sampling
from generators.openvocab.vocabulary import unseen_char_logprob
from generators.recurrent.config import CharLSTMConfig
from generators.recurrent.generator import Encoded, RecurrentGenerator
from generators.recurrent.model import exact_float32_rnns
from generators.registry import register_generator


@register_generator("char-lstm")
class CharLSTMGenerator(RecurrentGenerator):
    """Character-level LSTM/GRU/RNN with an open vocabulary."""

    config_class = CharLSTMConfig
    char_level = True

    def __init__(self, config: Any = None, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        self.chars = ""  # the vocabulary, sorted by code point; the unknown symbol is id len(chars)
        self.index: dict[str, int] = {}

    def build_vocabulary(self, train_text: str) -> None:
        counts = Counter(train_text)
        self.set_chars("".join(sorted(c for c, n in counts.items() if n >= self.config.min_char_count)))

    def set_chars(self, chars: str) -> None:
        self.chars = chars
        self.index = {c: i for i, c in enumerate(chars)}

    def vocabulary_size(self) -> int:
        return len(self.chars) + 1

    @property
    def unseen_logprob(self) -> float:
        """log of 1 / (Unicode scalar values outside the vocabulary)."""
        return unseen_char_logprob(len(self.chars))

    def encode(self, text: str) -> Encoded:
        unknown = len(self.chars)
        ids = np.fromiter((self.index.get(c, unknown) for c in text), dtype=np.int64, count=len(text))
        extra = np.where(ids == unknown, self.unseen_logprob, 0.0)
        return Encoded(ids, np.arange(len(text)), extra)

    def token_text(self, token: int, rng: np.random.Generator, sampling: Sampling) -> str:
        return self.chars[token]

    def logit_bias(self, sampling: Sampling) -> dict[int, float]:
        """The unknown symbol is never generated (its probability goes to the known characters)."""
        return {len(self.chars): float("-inf")}

    card_tokenizer = "characters + unknown symbol"

    def tokenizer_description(self) -> str:
        return f"characters: {len(self.chars)} known + unknown symbol (uniform over unseen Unicode)"

    def vocabulary_to_json(self) -> dict[str, Any]:
        return {"chars": self.chars}

    def vocabulary_from_json(self, data: dict[str, Any]) -> None:
        self.set_chars(data["chars"])

    @torch.no_grad()
    def next_char_distribution(self, context: str) -> NextCharDistribution:
        """P(next character | context) over all of Unicode: known characters + the even rest."""
        model = self.require_model()
        model.eval()
        ids = [model.bos, *self.encode(context).ids.tolist()]
        tokens = torch.tensor([ids], device=self.torch_device)  # (1, n)
        with exact_float32_rnns(self.torch_device):
            logits, _ = model(tokens)  # (1, n, V)
        logp = torch.log_softmax(logits[0, -1].double(), dim=-1).cpu().numpy()  # (V,)
        known = {c: float(logp[i]) for i, c in enumerate(self.chars)}
        rest = float(logp[len(self.chars)]) + self.unseen_logprob
        return NextCharDistribution(known, rest, UNICODE_SCALAR_COUNT - len(self.chars))
