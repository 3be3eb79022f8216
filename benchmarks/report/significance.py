"""What the report says holds: the verdict in words, and the comparisons tables behind it.

Everything here reads the comparisons stored in results.json (``benchmarks.run.comparisons``):
paired tests over the same test chunks (bpc) or prompts (per-continuation metrics) and training
seeds, Holm-adjusted over each table's pairs. A claim is made only as strongly as its test allows:
rows not separable at α share a rank and are named together.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from benchmarks.report import formatting as fmt
from benchmarks.report.data import CorpusRun

SWEEP_METRICS = {"loop_rate": "loop rate", "seq_rep_4": "seq-rep-4", "self_bleu_4": "Self-BLEU-4"}
CYCLE_METRICS = {"looped_share": "cycling share", "degenerate_share": "degenerate share"}


def separable(table: dict[str, Any], a: str, b: str) -> bool:
    for pair in table.get("pairs") or []:
        if {pair.get("a"), pair.get("b")} == {a, b}:
            return bool(pair.get("separable"))
    return False


def names(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def tested_over(run: CorpusRun, units: str) -> str:
    seeds = len(run.run.seeds)
    return (
        f"paired over the same {units} and {seeds} training seeds"
        if seeds > 1
        else f"paired over the same {units}"
    )


def bpc_verdict(run: CorpusRun) -> str | None:
    table = run.comparisons("bpc")
    ranked = [g["generator"] for g in table.get("generators") or []]
    if not ranked:
        return None
    best, rest = ranked[0], ranked[1:]
    value = run.value(best, "likelihood", "bpc")
    sentence = f"**Lowest test bpc: {best}** ({fmt.bpc(value)})."
    tied = [g for g in rest if not separable(table, best, g)]
    higher = [g for g in rest if g not in tied]
    if tied:
        verb = "cannot" if len(tied) == 1 else "cannot each"
        sentence += f" {names(tied)} {verb} be told apart from it at α = {table.get('alpha', 0.05):g}"
        sentence += f" ({tested_over(run, 'test chunks')}, Holm-adjusted)"
        sentence += f"; {names(higher)} {'is' if len(higher) == 1 else 'are'} higher." if higher else "."
    elif higher:
        sentence += f" Every other generator is higher ({tested_over(run, 'test chunks')}, Holm-adjusted)."
    return sentence


def cycling_verdict(run: CorpusRun) -> str | None:
    """Which generator's greedy continuations cycle most at the probe's horizon, into how many
    attractors; None without a probe (results from before it)."""
    greedy = run.greedy_cycle_temperature
    table = run.comparisons("looped_share", greedy, "cycles")
    ranked = [g["generator"] for g in table.get("generators") or []]
    if greedy is None or not ranked:
        return None
    worst = ranked[-1]
    share = run.cycle_value(worst, greedy, "looped_share")
    chars = fmt.count(run.cycle_chars)
    if not share:
        return f"No generator's greedy continuations cycle within {chars} characters."
    attractors = run.cycle_value(worst, greedy, "attractors")
    into = f", into {fmt.fixed(attractors, 1).removesuffix('.0')} attractor{'' if attractors == 1 else 's'}"
    sentence = (
        f"**Greedy decoding cycles most in {worst}** ({fmt.rate(share)} of continuations by {chars} "
        f"characters{into if attractors else ''})"
    )
    tied = [g for g in ranked[:-1] if not separable(table, worst, g)]
    if tied:
        sentence += f"; {names(tied)} cannot be told apart from it ({tested_over(run, 'prompts')})"
    return sentence + "."


def loop_verdict(run: CorpusRun) -> str | None:
    """The sweep's greedy loop rate, for results written before the cycling probe."""
    greedy = run.greedy_temperature
    table = run.comparisons("loop_rate", greedy)
    ranked = [g["generator"] for g in table.get("generators") or []]
    if not ranked:
        return None
    worst = ranked[-1]
    rate = run.sweep_value(worst, greedy, "loop_rate")
    if not rate:
        return f"No generator's greedy continuations loop ({fmt.temperature(greedy)})."
    tied = [g for g in ranked[:-1] if not separable(table, worst, g)]
    sentence = f"**Greedy decoding loops most in {worst}** ({fmt.rate(rate)} of continuations)"
    if tied:
        sentence += f"; {names(tied)} cannot be told apart from it ({tested_over(run, 'prompts')})"
    return sentence + "."


def seeds_note(run: CorpusRun) -> str:
    seeds = run.run.seeds
    if len(seeds) > 1:
        return (
            f"Values are means over {len(seeds)} training seeds ({', '.join(map(str, seeds))}) ± their "
            "standard deviation; bpc intervals cover both the seeds and the test text (a two-level bootstrap "
            "over seeds, then test chunks)."
        )
    return (
        f"**The training-seed spread was not measured**: each generator was trained once (seed {seeds[0]}), "
        "so intervals and tests compare these trained models on the test text, not what another training "
        "would give. `textgen-bench run --seeds 3` measures it."
    )


def verdict(run: CorpusRun) -> list[str]:
    repetition = cycling_verdict(run) if run.greedy_cycle_temperature is not None else loop_verdict(run)
    sentences = [s for s in (bpc_verdict(run), repetition) if s]
    return [" ".join(sentences), "", seeds_note(run), ""] if sentences else [seeds_note(run), ""]


def pairs_table(table: dict[str, Any], show: Callable[[Any], str]) -> pd.DataFrame:
    rows = []
    for pair in table.get("pairs") or []:
        rows.append(
            {
                "generator": f"{pair['a']} − {pair['b']}",
                "difference [95% CI]": f"{show(pair.get('difference'))} {fmt.interval(pair.get('low'), pair.get('high'))}",
                "p": fmt.p_value(pair.get("p_value")),
                "p (Holm)": fmt.p_value(pair.get("p_holm")),
                "separable": "yes" if pair.get("separable") else "no",
            }
        )
    return pd.DataFrame(rows, columns=["generator", "difference [95% CI]", "p", "p (Holm)", "separable"])


def comparison_lines(table: dict[str, Any], title: str, show: Callable[[Any], str]) -> list[str]:
    if not table.get("pairs"):
        return []
    left_out = table.get("left_out") or []
    note = f" Left out (a seed did not finish): {', '.join(left_out)}." if left_out else ""
    return [f"**{title}**{note}", "", fmt.markdown_table(pairs_table(table, show)), ""]


def headline_tables(run: CorpusRun) -> list[tuple[dict[str, Any], str]]:
    """The repetition tables shown before the fold: the probe's greedy cycling and degenerate shares
    (the sweep's greedy loop rate for results from before the probe), with their titles."""
    greedy = run.greedy_cycle_temperature
    if greedy is None:
        greedy = run.greedy_temperature
        return [(run.comparisons("loop_rate", greedy), f"Loop rate, {fmt.temperature(greedy)}")]
    at = f"{fmt.temperature(greedy)}, {fmt.count(run.cycle_chars)} characters"
    return [
        (run.comparisons(metric, greedy, "cycles"), f"{title.capitalize()}, {at}")
        for metric, title in CYCLE_METRICS.items()
    ]


def detail_tables(run: CorpusRun) -> list[tuple[dict[str, Any], str]]:
    """Every other table, folded: the probe's at its other temperatures, then each sweep metric at
    each temperature (the loop rate named for the sweep's length)."""
    greedy_cycles = run.greedy_cycle_temperature
    tables = [
        (
            run.comparisons(metric, t, "cycles"),
            f"{title.capitalize()}, {fmt.temperature(t)}, {fmt.count(run.cycle_chars)} characters",
        )
        for t in run.cycle_temperatures
        if t != greedy_cycles
        for metric, title in CYCLE_METRICS.items()
    ]
    chars = fmt.count(run.section("config", "sweep").get("max_chars"))
    for temperature in run.temperatures:
        for metric, title in SWEEP_METRICS.items():
            if metric == "loop_rate" and greedy_cycles is None and temperature == run.greedy_temperature:
                continue  # shown before the fold
            named = f"{title} ({chars} characters)" if metric == "loop_rate" else title
            tables.append((run.comparisons(metric, temperature), f"{named}, {fmt.temperature(temperature)}"))
    return tables


def comparisons(run: CorpusRun, depth: str = "##") -> list[str]:
    """The comparisons section: bpc, then greedy cycling (or the loop rate), then the rest folded."""
    lines = [
        f"{depth} Comparisons",
        "",
        "Every pair of generators: the difference (first − second), its 95% interval, the p-value of "
        f"a paired test ({tested_over(run, 'test chunks (bpc) or prompts')}; a two-level t-test, with an "
        "exact sign-flip test over the units as a guard), and the p-value after Holm's correction over "
        "the pairs of the table. *Separable* means Holm-adjusted p < 0.05.",
        "",
    ]
    lines += comparison_lines(run.comparisons("bpc"), "Test bpc", fmt.bpc)
    for table, title in headline_tables(run):
        lines += comparison_lines(table, title, fmt.rate)
    details = [
        line for table, title in detail_tables(run) for line in comparison_lines(table, title, fmt.rate)
    ]
    if details:
        lines += ["<details><summary>Every temperature</summary>", "", *details, "</details>", ""]
    return lines
