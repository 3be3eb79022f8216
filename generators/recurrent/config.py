"""The settings of the recurrent generators: what char-lstm and word-lstm share, and each one's own.

Importable without torch, so a run checks every option before the libraries that train are imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from generators.openvocab.spelling import check_settings
from generators.optim import OptimConfig


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
    cuda_graphs: bool = False  # CUDA: replay each decoding step as one CUDA graph; opt-in until it has run on a GPU

    def __post_init__(self) -> None:
        if self.layers < 1 or self.hidden_size < 1 or self.embedding_dim < 0:
            raise ValueError("layers and hidden_size must be >= 1, embedding_dim >= 0")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.batch_size < 1 or self.bptt < 1:
            raise ValueError("batch_size and bptt must be >= 1")
        if self.score_batch < 1 or self.score_chunk < 1 or self.score_prime < 0:
            raise ValueError("score_batch and score_chunk must be >= 1, score_prime >= 0")



def _char_optim() -> OptimConfig:
    return OptimConfig(
        lr=7e-3,  # peak AdamW learning rate: at batch 16, 7e-3 beat 5e-3 and 1e-2 over 6,000 steps
        warmup_steps=200,  # linear warm-up steps: 200 beat 20 by 0.02 test bpc on tinyshakespeare
        max_steps=10_000,  # schedule length; a wall-clock budget shortens the schedule to fit
        eval_every=400,  # steps between validations
        eval_chars=20_000,  # validation characters per check (a few seconds on 2 CPU cores)
    )


@dataclass
class CharLSTMConfig(RecurrentConfig):
    """char-lstm settings; defaults fit the quick CPU profile (a few minutes on 2 cores)."""

    layers: int = 2  # stacked recurrent layers
    hidden_size: int = 192  # units per layer: 1.7× the characters/s of 256, lower bpc in 3 CPU minutes
    embedding_dim: int = 64  # character embedding size; 0 = one-hot input
    dropout: float = 0.0  # little data is seen in a few minutes: regularisation only slows learning
    batch_size: int = 16  # B: parallel training streams; 16 beat 32 at equal characters (twice the updates)
    bptt: int = 64  # T: characters per stream per step (64 learnt faster than 128, as fast as 32)
    optim: OptimConfig = field(default_factory=_char_optim)  # optimiser, schedule, validation
    min_char_count: int = 2  # training characters seen fewer times become the unknown symbol

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.min_char_count < 1:
            raise ValueError(f"min_char_count must be >= 1, got {self.min_char_count}")



def _word_optim() -> OptimConfig:
    return OptimConfig(
        lr=1e-2,  # peak AdamW learning rate: 1e-2 beat 5e-3 in 3-minute CPU probes
        warmup_steps=200,  # linear warm-up steps: 200 beat 20 by 0.02 bpc at 2,200 steps on shakespeare
        max_steps=5000,  # schedule length; a wall-clock budget shortens the schedule to fit
        eval_every=200,  # steps between validations (a step is 1,024 tokens ≈ 2,450 characters)
        eval_chars=20_000,  # validation characters per check
    )


@dataclass
class WordLSTMConfig(RecurrentConfig):
    """word-lstm settings; defaults fit the quick CPU profile (a few minutes on 2 cores)."""

    embedding_dim: int = 128  # word embedding size; 0 = one-hot input
    layers: int = 1  # one layer: the softmax, not the recurrence, dominates the cost
    batch_size: int = 32  # B: parallel training streams
    bptt: int = 32  # T: tokens per stream per step (≈ 77 characters)
    optim: OptimConfig = field(default_factory=_word_optim)  # optimiser, schedule, validation
    score_chunk: int = 1024  # scoring: a text is cut into chunks only when they get this long (tokens)
    score_prime: int = 128  # scoring: tokens fed before each chunk but the first
    vocab_size: int = 4000  # most frequent tokens kept, the rest UNK + spelling (docs/generators.md)
    spelling_order: int = 5  # characters of context of the spelling model: a 6-gram (docs/generators.md)
    spelling_discount: float = 0.9  # its Kneser–Ney discount, in (0, 1)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.vocab_size < 1:
            raise ValueError(f"vocab_size must be >= 1, got {self.vocab_size}")
        check_settings(self.spelling_order, self.spelling_discount)
