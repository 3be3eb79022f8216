"""word-lstm's settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from generators.configs.optim import OptimConfig
from generators.configs.recurrent import RecurrentConfig
from generators.spelling import check_settings


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
    vocab_size: int = 4000  # most frequent tokens kept, the rest UNK + spelling; in 150 s on
    # shakespeare, validation bpc 1.846 with 2,000 (2,371 steps), 1.850 with 4,000 (1,590), 1.878 with 8,000
    spelling_order: int = 5  # characters of context of the spelling model (5: 15.5 nats on the first 8,000
    # unknown shakespeare test tokens, against 16.2 for 4, 15.3 for 7 and 21.8 for an add-½ bigram)
    spelling_discount: float = 0.9  # its Kneser–Ney discount, in (0, 1)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.vocab_size < 1:
            raise ValueError(f"vocab_size must be >= 1, got {self.vocab_size}")
        check_settings(self.spelling_order, self.spelling_discount)
