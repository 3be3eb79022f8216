"""Settings shared by the recurrent generators (char-lstm, word-lstm)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from generators.configs.optim import OptimConfig


@dataclass
class RecurrentConfig:
    """Settings shared by the recurrent generators (each overrides the defaults that differ)."""

    cell: Literal["lstm", "gru", "rnn"] = "lstm"  # recurrent core: torch's cuDNN-capable cells
    layers: int = 2  # stacked recurrent layers
    hidden_size: int = 256  # units per layer
    embedding_dim: int = 64  # input embedding size; 0 = one-hot input (the tutorials' choice)
    dropout: float = 0.0  # between recurrent layers and before the output layer
    batch_size: int = 32  # B: parallel training streams
    bptt: int = 128  # T: truncated-BPTT length (tokens per stream per step)
    optim: OptimConfig = field(default_factory=OptimConfig)  # optimiser, schedule, validation
    score_batch: int = 64  # scoring: at most this many chunks of a long text run in parallel
    score_chunk: int = 2048  # scoring: a text is cut into chunks only when they get this long
    score_prime: int = 256  # scoring: tokens fed before each chunk (after the first) to warm its state

    def __post_init__(self) -> None:
        if self.layers < 1 or self.hidden_size < 1 or self.embedding_dim < 0:
            raise ValueError("layers and hidden_size must be >= 1, embedding_dim >= 0")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.batch_size < 1 or self.bptt < 1:
            raise ValueError("batch_size and bptt must be >= 1")
        if self.score_batch < 1 or self.score_chunk < 1 or self.score_prime < 0:
            raise ValueError("score_batch and score_chunk must be >= 1, score_prime >= 0")
