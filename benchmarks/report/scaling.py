"""The report's budget section: the ranking at each budget, crossings and training compute.

Rendered from a corpus's ``scaling`` entry of results.json (:mod:`benchmarks.run.scaling`) and its
rows' summaries; nothing is computed here but the wording. A run without a budget axis has no
such section.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from benchmarks.report import formatting as fmt
from benchmarks.report.data import CorpusRun

INTRO = (
    "Each neural row was trained at multiples of its profile budget: its steps, its time cap and its "
    "learning-rate schedule (length, warm-up, validation interval) stretched alike, so 1× is the profile's "
    "own training. A row without a training budget (markov, at each state size) is the same at every budget "
    "and is ranked at each. At each budget the contenders are compared on test bpc as in Comparisons "
    "(paired over the same test chunks and seeds, Holm-adjusted over that budget's pairs, α = {alpha}); "
    "contenders the tests cannot separate share a rank. **Training FLOPs** estimate the arithmetic of "
    "training from each model's layer shapes: 3 passes (forward and backward) × 2 FLOPs per multiply-add "
    "of the matrix products, per training token (`generators/flops.py`); a count model does none."
)


def scaling(view: CorpusRun) -> dict[str, Any]:
    entry = view.corpus.get("scaling")
    return entry if isinstance(entry, dict) and entry.get("budgets") else {}


def budget(multiplier: Any) -> str:
    return f"{multiplier:g}×" if fmt.finite(multiplier) is not None else fmt.DASH


def contenders(view: CorpusRun) -> list[str]:
    rankings = scaling(view).get("rankings") or []
    return list(dict.fromkeys(name for r in rankings for name in r.get("rows") or {}))


def ranks(ranking: dict[str, Any]) -> dict[str, str]:
    generators = (ranking.get("bpc") or {}).get("generators") or []
    return {str(g["generator"]): str(g["rank"]) for g in generators}


def ranking_table(view: CorpusRun) -> pd.DataFrame:
    """Rows: contenders; columns: budgets; cells: the rank at that budget and the mean test bpc."""
    rankings = scaling(view).get("rankings") or []
    rows = []
    for name in contenders(view):
        row = {"generator": name}
        for ranking in rankings:
            member = (ranking.get("rows") or {}).get(name)
            rank = ranks(ranking).get(name, fmt.DASH)
            value = view.value(member, "likelihood", "bpc") if member else None
            row[f"{budget(ranking['multiplier'])} budget"] = (
                f"{rank} · {fmt.bpc(value)}" if member else fmt.DASH
            )
        rows.append(row)
    return pd.DataFrame(rows)


def flops(view: CorpusRun, name: str) -> str:
    value = view.value(name, "fit", "training_flops")
    if value is not None:
        return f"{value:.2e}"
    return "n/a" if view.value(name, "fit", "steps") is not None else fmt.DASH


def compute_table(view: CorpusRun) -> pd.DataFrame:
    """Each row on the budget axis: its budget (a dash: none to scale), training work, compute, time
    and test bpc."""
    rows = []
    for members in (scaling(view).get("series") or {}).values():
        for name in members:
            multiplier = view.entry(name).get("multiplier")
            value, sd = view.value(name, "likelihood", "bpc"), view.spread(name, "likelihood", "bpc")
            rows.append(
                {
                    "generator": name,
                    "budget": budget(multiplier),
                    "steps": fmt.count(view.value(name, "fit", "steps")),
                    "training characters": fmt.count(view.value(name, "fit", "train_chars")),
                    "training FLOPs": flops(view, name),
                    "training time (s)": fmt.seconds(view.value(name, "fit", "seconds")),
                    "test bpc": fmt.with_spread(fmt.bpc, value, sd),
                    "stopped by": str((view.entry(name).get("fit") or {}).get("stopped_by") or fmt.DASH),
                }
            )
    return pd.DataFrame(rows)


def crossing_lines(view: CorpusRun) -> list[str]:
    entry = scaling(view)
    found = entry.get("crossings") or []
    if not found:
        return [
            "No ranking crosses where the tests can tell: no pair is separably better one way at one "
            "budget and separably better the other way at a later one.",
            "",
        ]
    sentences = [
        f"**{c['passes']}** passes **{c['passed']}** between {budget(c['after'])} and {budget(c['by'])} "
        "the profile's budget."
        for c in found
    ]
    return [" ".join(sentences) + " (Each order separable in the paired tests at its budget.)", ""]


def survival_line(view: CorpusRun) -> list[str]:
    """Whether the profile budget's ranks hold at the largest budget."""
    rankings = scaling(view).get("rankings") or []
    at = {r["multiplier"]: ranks(r) for r in rankings}
    if 1.0 not in at or max(at) <= 1.0:
        return []
    largest = max(at)
    before, after = at[1.0], at[largest]
    changed = [f"{n} {before[n]} → {after[n]}" for n in before if n in after and before[n] != after[n]]
    how = f"change: {', '.join(changed)}" if changed else "are the same"
    return [f"From 1× (the profile's budget) to {budget(largest)}, the ranks {how}.", ""]


def section(view: CorpusRun, depth: str = "##") -> list[str]:
    """The budget section of one corpus (nothing without a budget axis)."""
    entry = scaling(view)
    if not entry:
        return []
    return [
        f"{depth} Which generator wins at what budget",
        "",
        INTRO.format(alpha=entry.get("alpha", 0.05)),
        "",
        "Rank · mean test bpc at each budget:",
        "",
        fmt.markdown_table(ranking_table(view)),
        "",
        *crossing_lines(view),
        *survival_line(view),
        fmt.markdown_table(compute_table(view)),
        "",
    ]
