"""The cycling probe in the report: its table and its section's words, from a CorpusRun only (its
plot is :func:`benchmarks.report.plots.plot_cycling`).

The numbers are the probe's (:mod:`benchmarks.metrics.cycles`, stored per cell and temperature in
results.json and summarised over seeds); nothing is recomputed here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from benchmarks.report import formatting as fmt
from benchmarks.report.data import CorpusRun
from benchmarks.report.tables import HUMAN_LABEL


def horizon(run: CorpusRun) -> str:
    """'2,000 characters' (the probe's horizon), or 'the probe's horizon' when not recorded."""
    return f"{fmt.count(run.cycle_chars)} characters" if run.cycle_chars else "the probe's horizon"


def threshold(run: CorpusRun) -> str:
    """The tail repetition from which the probe called a continuation degenerate (as it recorded it)."""
    recorded = [
        run.cycle_value(n, t, "degenerate_threshold") for n in run.names for t in run.cycle_temperatures
    ]
    value = next(
        (v for v in [fmt.finite(run.human_cycles().get("degenerate_threshold")), *recorded] if v), None
    )
    return f"{value:g}" if value is not None else "its threshold"


def quartile_range(run: CorpusRun, name: str | None, temperature: float | None, key: str) -> str:
    """'27.5 [17.5, 55.2]': the median of ``key`` and its interquartile range (the means over seeds)."""
    values = [
        run.cycle_value(name, temperature, f"{key}_{q}")
        if name is not None
        else fmt.finite(run.human_cycles().get(f"{key}_{q}"))
        for q in ("median", "p25", "p75")
    ]
    if values[0] is None:
        return fmt.DASH
    return f"{fmt.fixed(values[0], 1)} [{fmt.fixed(values[1], 1)}, {fmt.fixed(values[2], 1)}]"


def exact_agreement(run: CorpusRun, name: str, temperature: float | None) -> str:
    """'64 of 64' (the loop rule agrees with the cycles the model found from its state), or a dash."""
    found = run.cycle_value(name, temperature, "exact_cycles")
    agree = run.cycle_value(name, temperature, "exact_agree")
    samples = run.cycle_value(name, temperature, "samples")
    if found is None or agree is None:
        return fmt.DASH
    return f"{fmt.tally(agree)} of {fmt.tally(samples)} ({fmt.tally(found)} cycles)"


COLUMNS: list[tuple[str, str, Callable[[Any], str]]] = [  # key, title, format
    ("looped_share", "cycling share", fmt.rate),
    ("degenerate_share", "degenerate share", fmt.rate),
    ("tail_rep_4", "tail repetition, mean", fmt.rate),
    ("attractors", "attractors", lambda v: fmt.fixed(v, 1)),
    ("largest_attractor_share", "largest attractor's share", fmt.rate),
]


def row_cells(run: CorpusRun, name: str, temperature: float) -> dict[str, str]:
    cells = {}
    for key, title, show in COLUMNS:
        summary = run.sweep_summary(name, temperature, key, "cycles")
        cells[title] = fmt.with_spread(show, summary.get("mean"), summary.get("sd"))
    cells["onset, median [IQR] (chars)"] = quartile_range(run, name, temperature, "onset")
    cells["period, median [IQR] (chars)"] = quartile_range(run, name, temperature, "period")
    cells["exact cycles: the rule agrees on"] = exact_agreement(run, name, temperature)
    return cells


def cycles_table(run: CorpusRun) -> pd.DataFrame:
    """Rows: each generator at each probe temperature, then the human passages; columns: the probe's."""
    rows = []
    for name in run.names:
        for temperature in run.cycle_temperatures:
            if run.cycle_value(name, temperature, "samples") is None:
                continue
            rows.append({"generator": name, "temperature": fmt.temperature(temperature)})
            rows[-1].update(row_cells(run, name, temperature))
    human = run.human_cycles()
    if human:
        rows.append(
            {
                "generator": HUMAN_LABEL,
                "temperature": fmt.DASH,
                **{title: show(human.get(key)) for key, title, show in COLUMNS},
                "onset, median [IQR] (chars)": quartile_range(run, None, None, "onset"),
                "period, median [IQR] (chars)": quartile_range(run, None, None, "period"),
                "exact cycles: the rule agrees on": fmt.DASH,
            }
        )
    return pd.DataFrame(rows)


def cycling_lines(run: CorpusRun, depth: str = "##") -> list[str]:
    """The probe's section of report.md: what it measured, its table, how to read it."""
    if not run.cycle_temperatures or not any(
        run.cycle_value(n, t, "samples") is not None for n in run.names for t in run.cycle_temperatures
    ):
        return []
    text = (
        f"Besides the sweep's continuations, every generator continued each of the "
        f"{run.test_prompt_count} test prompts for {horizon(run)} at "
        f"{', '.join(fmt.temperature(t) for t in run.cycle_temperatures)}: a loop rule can only see "
        "a cycle that repeats twice within the text it reads, so the sweep's length hides long "
        "cycles. A continuation is **cycling** when it ends in a loop by the headline loop rule (any "
        "period up to half the horizon); its onset is the characters generated before the cycle "
        "begins, its period the characters of one repetition (medians and interquartile ranges over "
        "the cycling continuations). An **attractor** is one cycle up to rotation: prompts that end in "
        "the same cycle, entered at different points, share it; *largest attractor's share* is the "
        "share of all prompts it captured. **Tail repetition** is the share of the word 4-grams of "
        "the last half that already occurred earlier in the continuation; a continuation is "
        f"**degenerate** when it is at least {threshold(run)}, exactly periodic or drifting "
        "(no passage of the shakespeare test split reaches that at 300, 1,000 or 2,000 characters). "
        "*Exact cycles*: a generator that can find where greedy decoding cycles from its own state "
        "(markov: a chain state seen twice repeats forever) gives that, and the column counts the "
        "continuations on which the text rule agrees with it."
    )
    table = fmt.markdown_table(cycles_table(run))
    return [f"{depth} Cycling at {horizon(run)}", "", text, "", table, ""]
