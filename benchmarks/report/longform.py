"""``results.csv``: every number of a run in long form (corpus, generator, seed, temperature, metric,
value, strategy).

One row per number of each cell (a generator or variant, on a corpus, with a training seed).
Metric names are the results.json keys: likelihood keys as they are (``bpc``, ``bpc_ci95_low``, …),
sweep-cell keys with their temperature, a strategy's keys with its name in ``strategy`` and its
temperature (a strategy a generator does not support has no rows), the cycling probe's as
``cycles_*`` with their temperature, ``fit_*`` and ``throughput_*``,
``parameters`` from describe(). The human text's rows have generator "human" and no seed or
temperature. Null values are kept as empty cells, so every cell has the same rows.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from benchmarks.report.data import HUMAN_ROW, Run, cycle_cells, sweep_cells

COLUMNS = ["corpus", "generator", "seed", "temperature", "metric", "value", "strategy"]


def is_number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def scalar_rows(where: dict[str, Any], section: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """One row per number (or null) in ``section``; pairs such as bpc_ci95 become _low and _high."""
    rows = []
    for key, value in section.items():
        if isinstance(value, dict):
            rows += scalar_rows(where, value, f"{prefix}{key}_")
        elif isinstance(value, list) and len(value) == 2 and all(is_number(v) for v in value):
            rows += [
                row(where, None, f"{prefix}{key}_{end}", v)
                for end, v in zip(("low", "high"), value, strict=True)
            ]
        elif is_number(value):
            rows.append(row(where, None, prefix + key, value))
    return rows


def row(where: dict[str, Any], temperature: float | None, metric: str, value: Any) -> dict[str, Any]:
    return {**where, "temperature": temperature, "metric": metric, "value": value}


def temperature_rows(
    where: dict[str, Any], cell: dict[str, Any], temperature: float | None, prefix: str = ""
) -> list[dict[str, Any]]:
    skipped = ("temperature", "seed")
    return [
        row(where, temperature, prefix + k, v) for k, v in cell.items() if k not in skipped and is_number(v)
    ]


def cell_rows(cell: dict[str, Any]) -> list[dict[str, Any]]:
    where = {"corpus": cell.get("corpus"), "generator": cell.get("row"), "seed": cell.get("seed")}
    likelihood = {k: v for k, v in (cell.get("likelihood") or {}).items() if k != "chunks"}
    rows = scalar_rows(where, likelihood)
    fit = {k: v for k, v in (cell.get("fit") or {}).items() if k != "curve"}
    rows += scalar_rows(where, fit, "fit_")
    describe = cell.get("describe") or {}
    rows += scalar_rows(where, {"parameters": describe["parameters"]} if "parameters" in describe else {})
    for temperature in sweep_cells(cell):
        rows += temperature_rows(where, temperature, temperature.get("temperature"))
    for strategy in cell.get("strategies") or []:
        if isinstance(strategy, dict) and strategy.get("supported"):
            at = {**where, "strategy": strategy.get("strategy")}
            rows += temperature_rows(at, strategy, (strategy.get("settings") or {}).get("temperature"))
    for temperature in cycle_cells(cell):
        rows += temperature_rows(where, temperature, temperature.get("temperature"), "cycles_")
    return rows + scalar_rows(where, cell.get("throughput") or {}, "throughput_")


def long_frame(run: Run) -> pd.DataFrame:
    rows = [r for cell in run.data.get("cells") or [] if isinstance(cell, dict) for r in cell_rows(cell)]
    for view in run.views:
        where = {"corpus": view.name, "generator": HUMAN_ROW, "seed": None}
        rows += temperature_rows(where, view.human, None)
        rows += temperature_rows(where, view.human_cycles(), None, "cycles_")
    frame = pd.DataFrame(rows, columns=COLUMNS, dtype=object)  # integers stay integers in the CSV
    frame["temperature"] = frame["temperature"].astype("float64")
    return frame
