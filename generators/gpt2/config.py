"""gpt2's settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from generators.optim import OptimConfig


def _scratch_optim() -> OptimConfig:
    return OptimConfig(
        # quick size, 1,000 steps on shakespeare, validation bpc (seeds 0/1): lr 5e-3 with 200 warm-up
        # steps 2.171/2.182; 3e-3 with 100 2.215/2.204; 5e-3 with 100 2.192/2.191; 7e-3 with 200 2.178
        lr=5e-3,  # peak AdamW learning rate (from scratch)
        warmup_steps=200,  # linear warm-up steps
    )


@dataclass
class GPT2GeneratorConfig:
    """Model size, tokenizer and training settings; the size fields apply to a from-scratch model."""

    pretrained: str = ""  # Hugging Face model name or local folder; "" = build from scratch
    finetune: bool = True  # pretrained only: train on the corpus (false = zero-shot)
    tokenizer: Literal["bpe", "byte"] = "bpe"  # from scratch: BPE trained on the train split, or UTF-8 bytes
    vocab_size: int = 2048  # from scratch, bpe: at most this many tokens (256 bytes + <|endoftext|> + merges)
    n_layer: int = 4  # from scratch: transformer blocks
    n_head: int = 4  # from scratch: attention heads per block
    n_embd: int = 128  # from scratch: width of the residual stream
    context: int = 128  # from scratch: n_positions; also the training sequence length (in tokens)
    dropout: float = 0.0  # residual, embedding and attention dropout while training
    batch_size: int = 16  # training sequences per step
    score_stride: int = 0  # tokens scored by each sliding window after the first; 0 = half the window
    score_batch: int = 16  # windows per forward pass when scoring
    optim: OptimConfig = field(default_factory=_scratch_optim)  # fine-tuning a pretrained GPT-2: lr ~5e-5

    def __post_init__(self) -> None:
        if self.n_layer < 1 or self.n_head < 1 or self.n_embd < 1 or self.n_embd % self.n_head:
            raise ValueError("n_layer and n_head must be >= 1 and n_embd a positive multiple of n_head")
        if self.context < 2 or self.batch_size < 1 or self.score_batch < 1:
            raise ValueError("context must be >= 2, batch_size and score_batch >= 1")
        if self.vocab_size < 257:
            raise ValueError(f"vocab_size must be >= 257 (256 bytes + <|endoftext|>), got {self.vocab_size}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.score_stride < 0 or (not self.pretrained and self.score_stride >= self.context):
            raise ValueError(
                f"score_stride must be in [0, context) (0 = context // 2), got {self.score_stride}"
            )
