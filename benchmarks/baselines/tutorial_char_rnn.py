"""The tutorial char-RNN recipe, as a baseline for char-lstm.

The recipe many tutorials teach: for each article, one minibatch made of *all* its overlapping
100-character windows (stride 1), one-hot input, ``LSTM(64)`` → linear, Adam at lr 0.01, every
position of every window predicting its next character, state reset for every window. Each
character is therefore processed up to 100 times per epoch, which is why the recipe is slow.

Validation uses the same open vocabulary as char-lstm: the training characters plus an unknown
symbol whose probability is spread over every unseen Unicode scalar value. The baseline is scored
in the condition it was trained in: the text is cut into 50-character blocks and each block is
primed with the 50 characters before it, so every character is predicted from 50–99 characters of
history, from a zero state, as in training.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from generators.openvocab.vocabulary import unseen_char_logprob

WINDOW = 100  # characters per training window
SCORE_BLOCK = 50  # scored characters per validation block (each primed with the block before)


def split_articles(text: str) -> list[str]:
    """Articles = blocks separated by blank lines (speeches and paragraphs on Shakespeare)."""
    return [a + "\n" for a in re.split(r"\n\s*\n", text) if len(a) >= 2]


class TutorialCharRNN(nn.Module):
    """One-hot → LSTM(hidden) → linear over the training characters + unknown."""

    def __init__(self, n_chars: int, hidden: int = 64) -> None:
        super().__init__()
        self.n_outputs = n_chars + 1  # + unknown
        self.rnn = nn.LSTM(self.n_outputs, hidden, batch_first=True)
        self.head = nn.Linear(hidden, self.n_outputs)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T) ids → (B, T, V) logits, from a zero state."""
        out, _ = self.rnn(F.one_hot(ids, self.n_outputs).float())  # (B, T, H)
        return self.head(out)


@dataclass
class BaselineResult:
    valid_bpc: float
    seconds: float
    steps: int  # articles trained on (one optimiser step each)
    epochs: float
    train_chars: int  # character positions processed (windows overlap: counted each time)


class TutorialBaseline:
    """Train the tutorial recipe for a wall-clock budget; score bpc with an open vocabulary."""

    def __init__(self, train_text: str, *, hidden: int = 64, lr: float = 0.01, seed: int = 0) -> None:
        self.chars = "".join(sorted(set(train_text)))
        self.index = {c: i for i, c in enumerate(self.chars)}
        self.rng = np.random.default_rng(seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = TutorialCharRNN(len(self.chars), hidden)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.articles = [self.encode(a) for a in split_articles(train_text)]

    def encode(self, text: str) -> torch.Tensor:
        unknown = len(self.chars)
        return torch.tensor([self.index.get(c, unknown) for c in text], dtype=torch.long)

    def article_batch(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """All overlapping windows of one article: inputs and targets, each (n_windows, ≤ WINDOW)."""
        width = min(WINDOW, len(ids) - 1)
        windows = ids.unfold(0, width + 1, 1)  # (n_windows, width + 1), stride 1
        return windows[:, :-1], windows[:, 1:]

    def train(self, seconds: float) -> tuple[float, int, int]:
        """Article after article (shuffled each epoch) until ``seconds`` pass: (seconds, steps, chars)."""
        started, steps, chars = time.perf_counter(), 0, 0
        self.model.train()
        while True:
            for i in self.rng.permutation(len(self.articles)):
                x, y = self.article_batch(self.articles[i])
                logits = self.model(x)  # (n_windows, width, V)
                loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                steps, chars = steps + 1, chars + y.numel()
                if time.perf_counter() - started >= seconds:
                    return time.perf_counter() - started, steps, chars

    @torch.no_grad()
    def bits_per_char(self, text: str) -> float:
        """Validation bpc: 50-character blocks, each primed with the 50 characters before it."""
        self.model.eval()
        ids = torch.cat([self.encode("\n"), self.encode(text)])  # a newline stands in for "start"
        n = len(text)
        starts = range(0, n, SCORE_BLOCK)
        rows_x, rows_y, keep = [], [], []
        for s in starts:
            a, e = max(0, s - SCORE_BLOCK), min(s + SCORE_BLOCK, n)
            rows_x.append(ids[a:e])  # inputs: ids[i] predicts text[i]
            rows_y.append(ids[a + 1 : e + 1])
            keep.append(s - a)
        x = nn.utils.rnn.pad_sequence(rows_x, batch_first=True)  # (blocks, ≤ 2·SCORE_BLOCK)
        y = nn.utils.rnn.pad_sequence(rows_y, batch_first=True)
        logp = torch.log_softmax(self.model(x).double(), -1).gather(-1, y.unsqueeze(-1)).squeeze(-1)
        total = sum(float(logp[r, k : len(rows_y[r])].sum()) for r, k in enumerate(keep))
        unknown = (ids[1:] == len(self.chars)).sum().item()
        total += unknown * unseen_char_logprob(len(self.chars))
        return -total / (n * math.log(2))

    def fit(self, seconds: float, valid_text: str) -> BaselineResult:
        took, steps, chars = self.train(seconds)
        return BaselineResult(self.bits_per_char(valid_text), took, steps, steps / len(self.articles), chars)
