"""Pseudo-English text for tests and speed benchmarks: seeded, any length, no data file needed."""

from __future__ import annotations

import numpy as np

WORDS = ["the", "king", "and", "queen", "of", "a", "small", "country", "went", "to", "the", "sea", "where", "the", "wind", "was", "cold", "and", "the", "night", "was", "long", "so", "they", "spoke", "of", "old", "friends", "who", "had", "gone", "away", "to", "war", "and", "never", "came", "back", "but", "the", "children", "played", "by", "the", "fire", "while", "their", "mother", "sang", "a", "song", "about", "the", "moon"]  # repeats kept: "the" is drawn more often, as in English


def make_text(n_chars: int, seed: int = 0) -> str:
    """Lines of 4 to 11 seeded random words from :data:`WORDS`, capitalised and punctuated, at
    least ``n_chars`` characters long."""
    rng = np.random.default_rng(seed)
    lines, total = [], 0
    while total < n_chars:
        words = rng.choice(WORDS, size=int(rng.integers(4, 12))).tolist()
        line = " ".join(words).capitalize() + rng.choice([".", ",", "!", "?", ";"])
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines) + "\n"
