"""The budget axis: one row of a run expanded into one row per training budget.

With ``run.budgets = [m1, m2, …]`` every row trained for a budget (``budget_steps`` or
``budget_seconds`` set, or a schedule ``optim.max_steps`` in its options) becomes one row per
multiple m, named ``<row>@<m>x`` (``char-lstm@0.25x``). The row at m is the same training stretched
m times: ``budget_steps``, ``budget_seconds`` and the schedule's step counts (``optim.max_steps``,
``warmup_steps``, ``eval_every``) are multiplied by m (steps rounded half up, at least 1; warm-up at
least 0), so the learning rate still decays to its floor at the end of the budget and the same
number of validations watch it. At m = 1 the row is the one configured, so its model is the one
the profile trains (and the model cache holds). A row with fixed steps stays fixed work at every m.

A row with a ``budget_axis`` ({option = [values]}) instead becomes one row per value, named
``<row>@<option>=<value>`` (``markov@state_size=1``): markov has no training budget, and its
state size is what buys it capacity. Rows with neither stay as they are. Without ``run.budgets``
nothing is expanded.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.run.settings import Row
from generators.options import merged

SCHEDULE_STEPS = {"max_steps": 1, "warmup_steps": 0, "eval_every": 1}  # optim step counts: their least


@dataclass(frozen=True)
class PlannedRow:
    """One table row of a run, with everything its cells are trained with."""

    name: str  # the table row: "char-lstm", "char-lstm@4x", "markov@state_size=1"
    generator: str  # the registry name of the generator that runs
    options: dict[str, Any]  # its generator config, every default resolved (JSON-ready)
    budget_seconds: float | None  # wall-clock training limit
    budget_steps: int | None  # optimiser-step limit
    series: str = ""  # the run.generators entry it is a point of the budget axis of; "" = off the axis
    multiplier: float | None = None  # its budget as a multiple of the series' own (None: not scaled)


def scaled(value: float, multiplier: float, least: int) -> int:
    """``value`` × ``multiplier`` rounded half up, and at least ``least``."""
    return max(least, math.floor(value * multiplier + 0.5))


def scaled_schedule(options: dict[str, Any], multiplier: float) -> dict[str, Any]:
    """Resolved generator options with the step counts of their ``optim`` schedule multiplied."""
    optim = options.get("optim")
    if not isinstance(optim, dict):
        return options
    steps = {
        key: scaled(optim[key], multiplier, least) for key, least in SCHEDULE_STEPS.items() if key in optim
    }
    return {**options, "optim": {**optim, **steps}}


def has_budget(row: Row, options: dict[str, Any]) -> bool:
    """Whether the row trains for a budget that a multiple can scale."""
    section = row.section
    schedule = isinstance(options.get("optim"), dict) and "max_steps" in options["optim"]
    return section.budget_steps is not None or section.budget_seconds is not None or schedule


def axis_rows(
    row: Row, budgets: tuple[float, ...], resolve: Callable[[Row], dict[str, Any]]
) -> list[PlannedRow]:
    """``row`` expanded along its budget axis (itself alone without ``budgets``); ``resolve`` gives a
    row's generator options with every default filled in."""
    section, options = row.section, resolve(row)
    plain = PlannedRow(row.name, row.generator, options, section.budget_seconds, section.budget_steps)
    if not budgets:
        return [plain]
    if section.budget_axis:
        ((key, values),) = section.budget_axis.items()
        return [option_point(row, key, value, resolve) for value in values]
    if not has_budget(row, options):
        return [plain]
    return [budget_point(row, options, multiplier) for multiplier in sorted(budgets)]


def option_point(row: Row, key: str, value: Any, resolve: Callable[[Row], dict[str, Any]]) -> PlannedRow:
    section = dataclasses.replace(row.section, options=merged(row.section.options, {key: value}))
    point = Row(f"{row.name}@{key}={value}", row.generator, section)
    return PlannedRow(
        point.name,
        row.generator,
        resolve(point),
        section.budget_seconds,
        section.budget_steps,
        series=row.name,
    )


def budget_point(row: Row, options: dict[str, Any], multiplier: float) -> PlannedRow:
    section = row.section
    seconds = None if section.budget_seconds is None else section.budget_seconds * multiplier
    steps = None if section.budget_steps is None else scaled(section.budget_steps, multiplier, 1)
    return PlannedRow(
        f"{row.name}@{multiplier:g}x",
        row.generator,
        scaled_schedule(options, multiplier),
        seconds,
        steps,
        series=row.name,
        multiplier=float(multiplier),
    )
