"""Which differences between the rows of one corpus hold: intervals, paired tests and ranks.

From the cells of one corpus (a row has one cell per training seed), for the report:

* each row's bpc interval over both sources of variation, training seeds and test text
  (:func:`benchmarks.metrics.bpc_interval`, a two-level pigeonhole bootstrap);
* every pair of rows compared on bpc, paired over the same test chunks and seeds
  (:func:`benchmarks.metrics.bpc_comparisons`: a two-level paired t-test with a sign-flip guard,
  Holm-adjusted over the pairs, with tie-aware ranks);
* the same for per-continuation metrics at each temperature (greedy loop rate, seq-rep-4,
  Self-BLEU-4), paired over the same prompts and seeds (:func:`benchmarks.metrics.metric_comparisons`),
  and for the cycling probe's looped and degenerate shares at each of its temperatures; every one
  of them lies in [0, 1], so their differences' intervals stay within [−1, 1].

``prompt_comparisons`` is the one way in for any per-prompt value: give it how to read a cell's
values (a list per prompt, or None when the cell lacks them) and the range they lie in.

A row enters a comparison only when every one of its seeds finished the stage compared, so every
compared array has the same [seed, unit] shape; the others are listed as ``left_out``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.metrics import bpc_comparisons, bpc_interval, metric_comparisons
from benchmarks.metrics.significance import RATE_RANGE

ALPHA = 0.05
RESAMPLING_SEED = 0  # of every resampling of a run's results: the numbers are a function of the data alone
PER_TEXT_METRICS = {"loop_rate": "looped", "seq_rep_4": "seq_rep_4", "self_bleu_4": "self_bleu_4"}
# table metric -> its per-prompt values in a sweep cell's ``per_prompt``; each lies in RATE_RANGE
CYCLE_METRICS = {"looped_share": "looped", "degenerate_share": "degenerate"}
# table metric -> its per-prompt values in a cycling-probe cell's ``per_prompt``; each lies in RATE_RANGE

CellValues = Callable[[dict[str, Any]], list[float | None] | None]


def by_row(cells: list[dict[str, Any]], rows: list[str]) -> dict[str, list[dict[str, Any]]]:
    grouped = {row: sorted((c for c in cells if c["row"] == row), key=lambda c: c["seed"]) for row in rows}
    return {row: group for row, group in grouped.items() if group}


def keep_one_shape(arrays: dict[str, np.ndarray], left_out: list[str]) -> dict[str, np.ndarray]:
    """The arrays of the rows with the most finished seeds (the others join ``left_out``)."""
    if len({a.shape for a in arrays.values()}) <= 1:
        return arrays
    most = max((a.shape for a in arrays.values()), key=lambda shape: shape[0])
    left_out += [row for row, a in arrays.items() if a.shape != most]
    return {row: a for row, a in arrays.items() if a.shape == most}


def chunk_arrays(
    rows: dict[str, list[dict[str, Any]]],
) -> tuple[dict[str, np.ndarray], np.ndarray | None, list[str]]:
    """nll[seed, chunk] of each row whose every seed scored the test split; the chunk lengths; the rest."""
    arrays, chars, left_out = {}, None, []
    for row, cells in rows.items():
        chunks = [(c.get("likelihood") or {}).get("chunks") for c in cells]
        if any(chunk is None for chunk in chunks):
            left_out.append(row)
            continue
        arrays[row] = np.array([chunk["nll_nats"] for chunk in chunks], dtype=np.float64)
        chars = np.array(chunks[0]["chars"], dtype=np.float64)
    return keep_one_shape(arrays, left_out), chars, left_out


def bpc_intervals(arrays: dict[str, np.ndarray], chars: np.ndarray, resamples: int) -> dict[str, list[float]]:
    return {
        row: list(bpc_interval(nll, chars, n_resamples=resamples, seed=RESAMPLING_SEED))
        for row, nll in arrays.items()
    }


def compare_bpc(rows: dict[str, list[dict[str, Any]]], resamples: int) -> dict[str, Any] | None:
    arrays, chars, left_out = chunk_arrays(rows)
    if not arrays or chars is None or len(chars) < 2:  # one chunk: no spread over the text to measure
        return None
    table = bpc_comparisons(arrays, chars, alpha=ALPHA, seed=RESAMPLING_SEED)
    intervals = bpc_intervals(arrays, chars, resamples)
    return {
        **table,
        "intervals": intervals,
        "resamples": resamples,
        "left_out": left_out,
    }


def shared_units(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The prompts every row has a value for (a continuation too short for seq-rep-4 has none): a
    prompt missing from one row is left out for all, so the rows stay paired."""
    if not arrays:
        return arrays
    defined = np.logical_and.reduce([np.isfinite(a).all(axis=0) for a in arrays.values()])
    return {row: a[:, defined] for row, a in arrays.items()} if defined.sum() >= 2 else {}


def prompt_arrays(
    rows: dict[str, list[dict[str, Any]]], values_of: CellValues
) -> tuple[dict[str, np.ndarray], list[str]]:
    """values[seed, prompt] of one per-prompt metric, for each row whose every cell has it."""
    arrays, left_out = {}, []
    for row, cells in rows.items():
        per_seed = [values_of(cell) for cell in cells]
        if any(values is None for values in per_seed):
            left_out.append(row)
        else:
            arrays[row] = np.array(
                [[np.nan if v is None else v for v in values] for values in per_seed], dtype=np.float64
            )
    return shared_units(keep_one_shape(arrays, left_out)), left_out


def prompt_comparisons(
    rows: dict[str, list[dict[str, Any]]],
    values_of: CellValues,
    value_range: tuple[float, float] | None = RATE_RANGE,
) -> dict[str, Any] | None:
    """The comparisons table of one per-prompt value (None when no row has it), paired over the
    same prompts and seeds; ``value_range`` bounds the values (a rate's by default)."""
    arrays, left_out = prompt_arrays(rows, values_of)
    if not arrays:
        return None
    table = metric_comparisons(arrays, value_range=value_range, alpha=ALPHA, seed=RESAMPLING_SEED)
    return {**table, "left_out": left_out}


def sweep_values(temperature: float, key: str, section: str = "sweep") -> CellValues:
    """How to read one per-prompt metric of a cell's ``section`` (the sweep, or the cycling probe's
    ``cycles``) at one temperature."""

    def values_of(cell: dict[str, Any]) -> list[float | None] | None:
        at = next((t for t in cell.get(section) or [] if float(t["temperature"]) == temperature), {})
        return (at.get("per_prompt") or {}).get(key)

    return values_of


def compare_sweep(
    rows: dict[str, list[dict[str, Any]]],
    temperatures: list[float],
    metrics: dict[str, str] = PER_TEXT_METRICS,
    section: str = "sweep",
) -> list[dict[str, Any]]:
    """One entry per temperature: each per-prompt metric's comparisons table (None when no row has
    it), from the sweep's cells or (``section="cycles"``) the cycling probe's."""
    return [
        {
            "temperature": temperature,
            **{
                metric: prompt_comparisons(rows, sweep_values(temperature, key, section))
                for metric, key in metrics.items()
            },
        }
        for temperature in temperatures
    ]


def corpus_comparisons(
    cells: list[dict[str, Any]],
    rows: list[str],
    temperatures: list[float],
    resamples: int,
    cycle_temperatures: list[float] | None = None,
) -> dict[str, Any]:
    """The comparisons of one corpus; ``resamples`` of the bootstrap behind each row's bpc interval."""
    grouped = by_row(cells, rows)
    return {
        "alpha": ALPHA,
        "bpc": compare_bpc(grouped, resamples),
        "sweep": compare_sweep(grouped, temperatures),
        "cycles": compare_sweep(grouped, cycle_temperatures or [], CYCLE_METRICS, "cycles"),
    }
