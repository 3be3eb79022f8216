"""markov's settings, importable without markovify's chain or the scoring tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from generators.openvocab.spelling import check_settings


@dataclass
class MarkovConfig:
    state_size: int = 2  # tokens of context, as markovify's state_size; for level="char" use ~4-7
    level: Literal["word", "char"] = "word"  # word: whitespace-separated words; char: characters
    discount: float = 0.75  # Kneser–Ney absolute discount D, in (0, 1)
    unk_base: float = 0.9  # word level: share of the below-unigram base given to the unknown word
    spelling_order: int = 5  # word level: characters of context of the unknown-word spelling model
    spelling_discount: float = 0.9  # word level: the spelling model's Kneser–Ney discount, in (0, 1)
    valid_chars: int = 200_000  # validation characters scored for the fit curve; 0 = all

    def __post_init__(self) -> None:
        if not 1 <= self.state_size <= 12:
            raise ValueError(f"state_size must be in 1..12, got {self.state_size}")
        if not 0 < self.discount < 1:
            raise ValueError(f"discount must be in (0, 1), got {self.discount}")
        if not 0 < self.unk_base < 1:
            raise ValueError(f"unk_base must be in (0, 1), got {self.unk_base}")
        check_settings(self.spelling_order, self.spelling_discount)
        if self.valid_chars < 0:
            raise ValueError(f"valid_chars must be >= 0, got {self.valid_chars}")
