"""Optimiser, schedule and validation settings shared by the neural generators."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class OptimConfig:
    """Optimiser, schedule and validation settings; embedded as ``optim`` in each neural config."""

    lr: float = 3e-3  # peak AdamW learning rate
    weight_decay: float = 0.01  # decoupled weight decay on matrices (not on biases or norm gains)
    betas: tuple[float, float] = (0.9, 0.99)  # AdamW moment decay rates
    warmup_steps: int = 100  # linear warm-up from lr/warmup_steps to lr
    min_lr_ratio: float = 0.1  # cosine decay floor, as a fraction of lr, reached at the end of the schedule
    max_steps: int = 5000  # schedule length (also a step cap)
    grad_clip: float = 1.0  # max global grad norm; 0 = off
    eval_every: int = 200  # steps between validations
    eval_chars: int = 100_000  # validation characters scored each time (0 = all)
    patience: int = 5  # validations without improvement before stopping; 0 = off
    patience_from: float = 0.5  # early stopping counts only validations past this fraction of the run

    def __post_init__(self) -> None:
        if not self.lr > 0 or not math.isfinite(self.lr):
            raise ValueError(f"optim.lr must be a positive number, got {self.lr}")
        if self.weight_decay < 0:
            raise ValueError(f"optim.weight_decay must be >= 0, got {self.weight_decay}")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ValueError(f"optim.betas must be two numbers in [0, 1), got {self.betas}")
        if self.warmup_steps < 0 or self.max_steps < 1 or self.eval_every < 1:
            raise ValueError("optim.warmup_steps must be >= 0, max_steps and eval_every >= 1")
        if not 0 <= self.min_lr_ratio <= 1:
            raise ValueError(f"optim.min_lr_ratio must be in [0, 1], got {self.min_lr_ratio}")
        if not 0 <= self.patience_from <= 1:
            raise ValueError(f"optim.patience_from must be in [0, 1], got {self.patience_from}")
        if self.grad_clip < 0 or self.eval_chars < 0 or self.patience < 0:
            raise ValueError("optim.grad_clip, eval_chars and patience must be >= 0")
        self.betas = (float(self.betas[0]), float(self.betas[1]))
