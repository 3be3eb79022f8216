"""Which generator wins at what budget: the ranking of one corpus's rows at each point of the budget axis.

At each budget multiple m the contenders are every series' row at m (``char-lstm@4x`` stands for
char-lstm) and every row that has no budget to scale (markov at each state size, any row off the
axis), which is the same at every m. They are compared on bpc as the comparisons section compares
all rows (:func:`benchmarks.metrics.bpc_comparisons`: paired over the same test chunks and seeds,
Holm-adjusted over the pairs of that budget, tie-aware ranks), one family per budget.

A **crossing** is a pair whose order the paired tests reverse: a separably better than b at one
budget, b separably better than a at a later one (budgets in between may be ties). Nothing is
called a crossing on point estimates alone.
"""

from __future__ import annotations

from typing import Any

from benchmarks.metrics import bpc_comparisons
from benchmarks.run.comparisons import ALPHA, RESAMPLING_SEED, by_row, chunk_arrays


def contenders(cells: list[dict[str, Any]], rows: list[str], multiplier: float) -> dict[str, str]:
    """{name in the ranking: row} at one budget: series by their row at ``multiplier``, fixed rows by name."""
    out: dict[str, str] = {}
    for row in rows:
        cell = next((c for c in cells if c["row"] == row), None)
        if cell is None:
            continue
        if cell.get("multiplier") is None:
            out[row] = row
        elif cell["multiplier"] == multiplier:
            out[cell["series"]] = row
    return out


def ranking_at(cells: list[dict[str, Any]], rows: list[str], multiplier: float) -> dict[str, Any]:
    """The contenders at one budget and their bpc comparisons (None when fewer than two chunks)."""
    at = contenders(cells, rows, multiplier)
    grouped = by_row(cells, list(at.values()))
    arrays, chars, left_out = chunk_arrays(grouped)
    names = {row: name for name, row in at.items()}
    table = None
    if arrays and chars is not None and len(chars) >= 2:
        renamed = {names[row]: nll for row, nll in arrays.items()}
        table = {
            **bpc_comparisons(renamed, chars, alpha=ALPHA, seed=RESAMPLING_SEED),
            "left_out": [names[r] for r in left_out],
        }
    return {"multiplier": multiplier, "rows": at, "bpc": table}


def separable_winner(table: dict[str, Any] | None, a: str, b: str) -> str | None:
    """The one of ``a`` and ``b`` the paired test finds better at this budget, or None."""
    for pair in (table or {}).get("pairs") or []:
        if {pair["a"], pair["b"]} == {a, b}:
            return pair["a"] if pair["separable"] else None  # a is the better of the pair
    return None


def crossings(rankings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every pair whose separable order reverses between two budgets, with the budgets it lies between."""
    names = list(dict.fromkeys(name for r in rankings for name in r["rows"]))
    found = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            last: tuple[float, str] | None = None
            for ranking in rankings:
                winner = separable_winner(ranking["bpc"], a, b)
                if winner is None:
                    continue
                if last is not None and winner != last[1]:
                    loser = b if winner == a else a
                    found.append(
                        {"passes": winner, "passed": loser, "after": last[0], "by": ranking["multiplier"]}
                    )
                last = (ranking["multiplier"], winner)
    return found


def corpus_scaling(cells: list[dict[str, Any]], rows: list[str]) -> dict[str, Any] | None:
    """The budget axis of one corpus's cells; None when no row is on one."""
    budgets = sorted({c["multiplier"] for c in cells if c.get("multiplier") is not None})
    if not budgets:
        return None
    series: dict[str, list[str]] = {}
    for row in rows:
        cell = next((c for c in cells if c["row"] == row), None)
        if cell is not None and cell.get("series"):
            series.setdefault(cell["series"], []).append(row)
    rankings = [ranking_at(cells, rows, m) for m in budgets]
    return {
        "alpha": ALPHA,
        "budgets": budgets,
        "series": series,
        "rankings": rankings,
        "crossings": crossings(rankings),
    }
