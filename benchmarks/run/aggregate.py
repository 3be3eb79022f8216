"""Each row's numbers over its training seeds, for the report: mean, standard deviation, values.

A row (generator or variant) has one cell per seed on a corpus. For every number of the cells'
``likelihood``, ``fit``, ``throughput`` and ``describe`` sections, and of each temperature of their
sweep and of the cycling probe, the row gets ``{"mean", "sd", "n", "values"}`` over the seeds that
have it (``sd`` is the sample standard deviation, null with fewer than two), and likewise of each
strategy. The report shows these; it computes nothing.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from benchmarks.run.cards import TRAINING_NUMBERS, row_verdict
from generators.base import Budget

SECTIONS = ("likelihood", "fit", "throughput", "describe")


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def summary(values: list[Any]) -> dict[str, Any]:
    """Mean, sample sd (ddof 1) and count of the finite numbers among ``values`` (None kept in values)."""
    numbers = [float(v) for v in values if is_number(v)]
    return {
        "mean": float(np.mean(numbers)) if numbers else None,
        "sd": float(np.std(numbers, ddof=1)) if len(numbers) > 1 else None,
        "n": len(numbers),
        "values": [float(v) if is_number(v) else None for v in values],
    }


def numeric_keys(sections: list[dict[str, Any]]) -> list[str]:
    keys: dict[str, None] = {}
    for section in sections:
        keys.update({key: None for key, value in section.items() if is_number(value)})
    return list(keys)


def section_summary(sections: list[dict[str, Any]]) -> dict[str, Any]:
    return {key: summary([s.get(key) for s in sections]) for key in numeric_keys(sections)}


def entry_summary(at: list[dict[str, Any]]) -> dict[str, Any]:
    """Every number of one sweep or strategy entry over the seeds (``at``: one entry per seed, {}
    where a seed lacks it), the long-horizon ``cycling`` measures nested as they are stored."""
    keys = [k for k in numeric_keys(at) if k not in ("temperature", "seed")]
    out = {k: summary([t.get(k) for t in at]) for k in keys}
    cycling = [t.get("cycling") or {} for t in at]
    if any(cycling):
        out["cycling"] = section_summary(cycling)
    return out


def sweep_summary(cells: list[dict[str, Any]], section: str = "sweep") -> list[dict[str, Any]]:
    """One entry per temperature any seed has in ``section`` (the sweep, or the cycling probe's
    ``cycles``; in first-seen order), each number summarised."""
    temperatures: dict[float, None] = {}
    for cell in cells:
        temperatures.update({float(t["temperature"]): None for t in cell.get(section) or []})
    out = []
    for temperature in temperatures:
        at = [
            next((t for t in c.get(section) or [] if float(t["temperature"]) == temperature), {})
            for c in cells
        ]
        out.append({"temperature": temperature, **entry_summary(at)})
    return out


def strategies_summary(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per strategy any seed has (in first-seen order): supported when every seed that has
    it supports it, its settings, each number summarised."""
    names = dict.fromkeys(s["strategy"] for c in cells for s in c.get("strategies") or [])
    out = []
    for name in names:
        at = [next((s for s in c.get("strategies") or [] if s["strategy"] == name), {}) for c in cells]
        present = [s for s in at if s]
        supported = all(s.get("supported") for s in present)
        settings = present[0].get("settings") or {}
        out.append({"strategy": name, "supported": supported, "settings": settings, **entry_summary(at)})
    return out


def cycles_summary(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cycling probe's numbers per temperature over the seeds, with the seeds' mean cycling curve
    (share cycling at each point, over the seeds that have the curve)."""
    out = sweep_summary(cells, "cycles")
    for entry in out:
        at = [
            next((t for t in c.get("cycles") or [] if float(t["temperature"]) == entry["temperature"]), {})
            for c in cells
        ]
        curves = [t["curve"] for t in at if t.get("curve")]
        if curves:
            shares = np.mean([curve["share"] for curve in curves], axis=0)
            entry["curve"] = {"chars": curves[0]["chars"], "share": shares.tolist()}
    return out


def row_status(cells: list[dict[str, Any]]) -> str:
    statuses = [c.get("status") for c in cells]
    return next((s for s in ("failed", "incomplete") if s in statuses), "ok")


def budget_marks(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """How the row's training was bounded: fixed work (reproducible), or seconds (load-dependent);
    and the seeds a time cap cut short of their fixed work."""
    budget = cells[0].get("budget") or {}
    bounds = Budget(seconds=budget.get("seconds"), steps=budget.get("steps"))
    cut = [c["seed"] for c in cells if bounds.cut_short((c.get("fit") or {}).get("stopped_by"))]
    load_dependent = budget.get("steps") is None and budget.get("seconds") is not None
    return {"budget": budget, "load_dependent": load_dependent, "cut_short_seeds": cut}


def row_card(cells: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The row's model card: the first seed's card (the model's side is the same for every seed),
    each of its ``TRAINING_NUMBERS`` summarised over the seeds, and the seeds' ending verdicts."""
    cards = [c["card"] for c in cells if c.get("card")]
    if not cards:
        return None
    numbers = section_summary([{k: card.get(k) for k in TRAINING_NUMBERS} for card in cards])
    return {**cards[0], **numbers, "end_verdict": row_verdict([card["end_verdict"] for card in cards])}


def aggregate_row(cells: list[dict[str, Any]], interval: list[float] | None = None) -> dict[str, Any]:
    """The summary of one row's cells (one per seed) on one corpus; ``interval`` is its bpc interval
    over seeds and test chunks (from benchmarks.run.comparisons)."""
    row: dict[str, Any] = {
        "seeds": [c["seed"] for c in cells],
        "status": row_status(cells),
        **budget_marks(cells),
    }
    for name in SECTIONS:
        row[name] = section_summary([c.get(name) or {} for c in cells])
    row["likelihood"]["bpc_interval"] = interval
    row["card"] = row_card(cells)
    row["sweep"] = sweep_summary(cells)
    row["strategies"] = strategies_summary(cells)
    row["cycles"] = cycles_summary(cells)
    return row


def aggregate_rows(
    cells: list[dict[str, Any]], rows: list[str], intervals: dict[str, list[float]] | None = None
) -> dict[str, dict[str, Any]]:
    """{row: its summary} for the cells of one corpus, in table order."""
    intervals = intervals or {}
    return {
        row: aggregate_row([c for c in cells if c["row"] == row], intervals.get(row))
        for row in rows
        if any(c["row"] == row for c in cells)
    }
