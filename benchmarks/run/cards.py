"""Model cards: what each cell's model is, how much it trained and how its training ended.

A cell's card joins the generator's own card (``Generator.card()``, stored by the fit stage:
architecture and size, parameters, tokenizer, vocabulary, pretrained weights) with what the run
knows of its training: training characters and epochs (passes over the train split), steps, and
the trend of validation bpc at the end of the learning curve (:func:`training_end`). Pure
functions of stored pieces, so results.json carries the cards and the report only shows them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

END_FRACTION = 0.2  # the last fifth of training: long enough for 2+ validations at every profile's eval_every
CONVERGED_BPC = 0.01  # a trend within ±0.01 bpc over that fifth: about validation noise on 20,000 characters

STILL_IMPROVING = "still improving"
CONVERGED = "converged"
GETTING_WORSE = "getting worse"
NO_TREND = "no trend (one validation)"

# The card's numbers a row summarises over its seeds (mean, sd, values).
TRAINING_NUMBERS = ("parameters", "train_chars", "epochs", "steps", "end_change_bpc")


def step_points(curve: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """(step, validation bpc) of each learning-curve point that has both, finite."""
    points = []
    for point in curve:
        step, bpc = point.get("step"), point.get("valid_bpc")
        if isinstance(step, int | float) and isinstance(bpc, int | float) and math.isfinite(bpc):
            points.append((float(step), float(bpc)))
    return points


def training_end(curve: list[dict[str, Any]]) -> dict[str, Any]:
    """How a training ended, from its learning curve.

    ``end_change_bpc`` is the change in validation bpc over the last fifth of training that the
    trend gives: the least-squares slope of validation bpc against the step, over the points at or
    after 80% of the last point's step (the last two points when fewer lie there), times a fifth of
    the last step. ``end_verdict``: "still improving" when that change is below −0.01 bpc
    (``CONVERGED_BPC``), "getting worse" above +0.01, "converged" within; a curve of fewer than two
    points has no trend (change None). ``end_points`` counts the points the slope used.
    """
    points = step_points(curve)
    if len(points) < 2:
        return {"end_change_bpc": None, "end_verdict": NO_TREND, "end_points": len(points)}
    last = points[-1][0]
    tail = [p for p in points if p[0] >= (1 - END_FRACTION) * last]
    tail = tail if len(tail) >= 2 else points[-2:]
    steps, bpc = np.array([p[0] for p in tail]), np.array([p[1] for p in tail])
    slope = float(np.polyfit(steps, bpc, 1)[0])
    change = slope * END_FRACTION * last
    return {"end_change_bpc": change, "end_verdict": verdict(change), "end_points": len(tail)}


def verdict(change: float) -> str:
    """The word for a change of validation bpc over the last fifth of training."""
    if change < -CONVERGED_BPC:
        return STILL_IMPROVING
    return GETTING_WORSE if change > CONVERGED_BPC else CONVERGED


def cell_card(card: dict[str, Any], fit: dict[str, Any], split_chars: dict[str, int]) -> dict[str, Any]:
    """A cell's card: the generator's ``card`` (from its fit piece), its fit report's training and
    the corpus's split sizes. ``valid_chars`` becomes the characters the curve's validation text
    really holds (the card's prefix, or the whole valid split when shorter or unlimited)."""
    valid = split_chars["valid"]
    limit = card.get("valid_chars")
    train_chars = fit.get("train_chars") or 0
    return {
        **card,
        "valid_chars": min(limit, valid) if limit else valid,
        "train_chars": train_chars,
        "epochs": train_chars / split_chars["train"] if split_chars["train"] else None,
        "steps": fit.get("steps"),
        "stopped_by": fit.get("stopped_by"),
        **training_end(fit.get("curve") or []),
    }


def row_verdict(verdicts: list[str]) -> str:
    """One seed's word when the seeds agree, else each word with its count ("2 still improving, 1 converged")."""
    counts = {v: verdicts.count(v) for v in dict.fromkeys(verdicts)}
    return verdicts[0] if len(counts) == 1 else ", ".join(f"{n} {v}" for v, n in counts.items())
