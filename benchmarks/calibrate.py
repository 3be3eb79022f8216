"""Calibration of the loop rule and the degenerate-tail threshold on human text.

``python -m benchmarks.calibrate [--corpus shakespeare] [--passages 3000] [--draws 5]`` draws
random passages of the corpus's test split (each cut at its length, as a continuation is cut at
``max_chars``) and prints, for each draw and length, how many passages the loop rule calls looped
and the highest tail repetition (:mod:`benchmarks.metrics.cycles`). The docstrings of
:mod:`benchmarks.metrics.loops` and :mod:`benchmarks.metrics.cycles` state what it printed.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.corpora import load_corpus
from benchmarks.metrics.cycles import DEGENERATE_TAIL_REP, tail_rep
from benchmarks.metrics.loops import find_loop

LOOP_LENGTHS = (100, 300, 1000, 2000)  # characters: the loop rule's calibration
TAIL_LENGTHS = (300, 1000, 2000)  # characters: the degenerate threshold's calibration


def human_passages(text: str, length: int, count: int, seed: int) -> list[str]:
    """``count`` passages of ``length`` characters of ``text`` at uniformly drawn offsets."""
    starts = np.random.default_rng([seed, length]).integers(0, len(text) - length + 1, size=count)
    return [text[start : start + length] for start in starts.tolist()]


def calibrate(test: str, passages: int, seed: int) -> dict[str, dict[int, float]]:
    """For one draw: looped passages per length, and the highest tail repetition per length."""
    looped = {
        length: sum(find_loop(p, length) is not None for p in human_passages(test, length, passages, seed))
        for length in LOOP_LENGTHS
    }
    highest = {
        length: max((tail_rep(p, length) or 0.0) for p in human_passages(test, length, passages, seed))
        for length in TAIL_LENGTHS
    }
    return {"looped": looped, "tail_rep_max": highest}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.calibrate")
    parser.add_argument("--corpus", default="shakespeare")
    parser.add_argument("--passages", type=int, default=3000)
    parser.add_argument("--draws", type=int, default=5)
    args = parser.parse_args(argv)
    test = load_corpus(args.corpus, progress=False).test
    print(f"{args.passages} passages of the {args.corpus} test split per draw and length")
    for seed in range(args.draws):
        found = calibrate(test, args.passages, seed)
        looped = ", ".join(f"{n} at {length}" for length, n in found["looped"].items())
        reps = ", ".join(f"{v:.3f} at {length}" for length, v in found["tail_rep_max"].items())
        print(f"draw {seed}: looped {looped}; highest tail repetition {reps}")
    print(f"degenerate threshold: {DEGENERATE_TAIL_REP}")


if __name__ == "__main__":
    main()
