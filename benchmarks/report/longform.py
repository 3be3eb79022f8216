"""``results.csv``: every number of a run in long form (generator, temperature, metric, value).

Metric names are the results.json keys: likelihood keys as they are (``bpc``, ``bpc_ci95_low``, …),
sweep-cell keys with their temperature, ``fit_*`` and ``throughput_*`` for those sections,
``parameters`` from describe(). The human text's rows have generator "human" and no temperature.
Null values are kept as empty cells, so every generator has the same rows.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from benchmarks.report.data import HUMAN, Run

COLUMNS = ["generator", "temperature", "metric", "value"]


def is_number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def scalar_rows(generator: str, section: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """One row per number (or null) in ``section``; pairs such as bpc_ci95 become _low and _high."""
    rows = []
    for key, value in section.items():
        if isinstance(value, dict):
            rows += scalar_rows(generator, value, f"{prefix}{key}_")
        elif isinstance(value, list) and len(value) == 2 and all(is_number(v) for v in value):
            rows += [
                row(generator, None, f"{prefix}{key}_{end}", v)
                for end, v in zip(("low", "high"), value, strict=True)
            ]
        elif is_number(value):
            rows.append(row(generator, None, prefix + key, value))
    return rows


def row(generator: str, temperature: float | None, metric: str, value: Any) -> dict[str, Any]:
    return {"generator": generator, "temperature": temperature, "metric": metric, "value": value}


def cell_rows(generator: str, cell: dict[str, Any], temperature: float | None) -> list[dict[str, Any]]:
    return [row(generator, temperature, k, v) for k, v in cell.items() if k != "temperature" and is_number(v)]


def generator_rows(run: Run, name: str) -> list[dict[str, Any]]:
    rows = scalar_rows(name, run.section("generators", name, "likelihood"))
    fit = {k: v for k, v in run.section("generators", name, "fit").items() if k != "curve"}
    rows += scalar_rows(name, fit, "fit_")
    describe = run.section("generators", name, "describe")
    rows += scalar_rows(name, {"parameters": describe["parameters"]} if "parameters" in describe else {})
    for temperature in run.temperatures:
        cell = run.cell(name, temperature)
        rows += cell_rows(name, cell, temperature) if cell else []
    return rows + scalar_rows(name, run.section("generators", name, "throughput"), "throughput_")


def long_frame(run: Run) -> pd.DataFrame:
    rows = [r for name in run.names for r in generator_rows(run, name)]
    rows += cell_rows(HUMAN, run.human, None)
    frame = pd.DataFrame(rows, columns=COLUMNS, dtype=object)  # integers stay integers in the CSV
    frame["temperature"] = frame["temperature"].astype("float64")
    return frame
