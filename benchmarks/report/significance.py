"""What the report says holds: the verdict in words, and the comparisons tables behind it.

Everything here reads the comparisons stored in results.json (``benchmarks.run.comparisons``):
paired tests over the same test chunks (bpc) or prompts (per-continuation metrics) and training
seeds, Holm-adjusted over each table's pairs. A claim is made only as strongly as its test allows:
rows not separable at α share a rank and are named together; a table whose units are too few for
any pair to be separable says so, and names the setting that gives it more; a pair whose 95%
interval excludes 0 although it is not separable is named under its table, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from benchmarks.report import formatting as fmt
from benchmarks.report.data import CorpusRun

SWEEP_METRICS = {"loop_rate": "loop rate", "seq_rep_4": "seq-rep-4", "self_bleu_4": "Self-BLEU-4"}
CHUNKS, PROMPTS = "test chunks", "prompts"  # the units a table pairs over
CYCLE_METRICS = {"looped_share": "cycling share", "degenerate_share": "degenerate share"}


@dataclass(frozen=True)
class ComparisonTable:
    """One comparisons table as the report shows it."""

    title: str
    table: dict[str, Any]  # as stored in results.json
    show: Callable[[Any], str]  # formats the differences
    units: str  # CHUNKS or PROMPTS
    folded: bool  # under "Every temperature"


def comparison_tables(run: CorpusRun) -> list[ComparisonTable]:
    """bpc and the probe's greedy cycling and degenerate shares (the sweep's greedy loop rate for
    results without the probe), then every other probe and sweep table (folded)."""
    greedy, greedy_cycles = run.greedy_temperature, run.greedy_cycle_temperature
    found = [ComparisonTable("Test bpc", run.comparisons("bpc"), fmt.bpc, CHUNKS, False)]
    for t in run.cycle_temperatures:
        at = f"{fmt.temperature(t)}, {fmt.count(run.cycle_chars)} characters"
        for metric, title in CYCLE_METRICS.items():
            table = run.comparisons(metric, t, "cycles")
            found.append(ComparisonTable(f"{title.capitalize()}, {at}", table, fmt.rate, PROMPTS, t != greedy_cycles))
    chars = run.section("config", "sweep").get("max_chars")
    for temperature in run.temperatures:
        for metric, title in SWEEP_METRICS.items():
            named = f"{title} ({fmt.count(chars)} characters)" if metric == "loop_rate" and chars else title
            headline = metric == "loop_rate" and greedy_cycles is None and temperature == greedy
            named = named[0].upper() + named[1:] if headline else named
            table = run.comparisons(metric, temperature)
            found.append(
                ComparisonTable(f"{named}, {fmt.temperature(temperature)}", table, fmt.rate, PROMPTS, not headline)
            )
    return [entry for entry in found if entry.table.get("pairs")]


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


def cut_short_clause(run: CorpusRun, ranked: list[str]) -> str:
    """', from a ranking in which X was cut short …' when a time cap stopped any ranked row's fixed
    work (‡), so the sentence naming a winner says so itself; '' when every row finished."""
    cut = [name for name in ranked if run.row_flags(name).get("cut_short_seeds")]
    if not cut:
        return ""
    was, its = ("was", "its") if len(cut) == 1 else ("were", "their")
    return (
        f", from a ranking in which {names(cut)} {was} cut short by the time cap (‡) before {its} fixed work"
    )


def bpc_verdict(run: CorpusRun) -> str | None:
    table = run.comparisons("bpc")
    ranked = [g["generator"] for g in table.get("generators") or []]
    if not ranked:
        return None
    best, rest = ranked[0], ranked[1:]
    value = run.value(best, "likelihood", "bpc")
    sentence = f"**Lowest test bpc: {best}** ({fmt.bpc(value)}){cut_short_clause(run, ranked)}."
    if rest and table.get("can_separate") is False:
        return f"{sentence} {cannot_separate(run, table, CHUNKS)}"
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
    if tied and table.get("can_separate") is False:
        return f"{sentence}. {cannot_separate(run, table, PROMPTS)}"
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
    sentence += cut_short_clause(run, ranked)
    if tied and table.get("can_separate") is False:
        return f"{sentence}. {cannot_separate(run, table, PROMPTS)}"
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


def more_units(run: CorpusRun, units: str) -> str:
    """The settings that give a table more units, with their values in this run."""
    if units == CHUNKS:
        likelihood = run.section("config", "likelihood")
        scored = likelihood.get("max_test_chars") or 0
        more_text = (
            f"raise `likelihood.max_test_chars` (now {fmt.count(scored)}; 0 scores the whole test split) or "
            if scored
            else ""
        )
        return f"{more_text}lower `likelihood.ci_chunk_chars` (now {fmt.count(likelihood.get('ci_chunk_chars'))})"
    return f"raise `sweep.test_prompts` (now {fmt.count(run.test_prompt_count)})"


def cannot_separate(run: CorpusRun, table: dict[str, Any], units: str) -> str:
    """Why no pair of the table can be separable whatever the data, and what fixes it."""
    pairs = len(table.get("pairs") or [])
    sentence = (
        f"No pair can be told apart here, whatever the data: with {fmt.count(table.get('units'))} {units} "
        f"the sign-flip test's p cannot go below {fmt.p_value(table.get('smallest_p'))}, and Holm's "
        f"correction over {pairs} pairs raises that to {fmt.p_value(table.get('smallest_p_holm'))}, "
        f"not below α = {table.get('alpha', 0.05):g}"
    )
    needed = table.get("units_needed")
    if needed is None:
        return f"{sentence}; compare fewer generators at once."
    return f"{sentence}; it takes at least {fmt.count(needed)} {units}: {more_units(run, units)}."


def interval_notes(table: dict[str, Any], units: str) -> list[str]:
    """A sentence for each pair whose interval excludes 0 although it is not separable."""
    alpha = table.get("alpha", 0.05)
    notes = []
    for pair in table.get("pairs") or []:
        low, high = fmt.finite(pair.get("low")), fmt.finite(pair.get("high"))
        if pair.get("separable") or low is None or high is None or low <= 0.0 <= high:
            continue
        name = f"{pair['a']} − {pair['b']}"
        if (fmt.finite(pair.get("p_value")) or 0.0) >= alpha:
            notes.append(
                f"{name}: the interval (the t-test's, p {fmt.p_value(pair.get('p_t'), alpha)}) excludes 0, but "
                f"the sign-flip test over the same {units} does not confirm it "
                f"(p {fmt.p_value(pair.get('p_sign_flip'), alpha)}): not separable."
            )
        else:
            notes.append(
                f"{name}: the interval excludes 0 (p {fmt.p_value(pair.get('p_value'), alpha)}), but Holm's "
                f"correction over the table's {len(table['pairs'])} pairs raises p to "
                f"{fmt.p_value(pair.get('p_holm'), alpha)}: not separable."
            )
    return notes


def table_notes(run: CorpusRun, entry: ComparisonTable) -> list[str]:
    """The sentences under a table: that it cannot separate anything, else which intervals disagree."""
    if entry.table.get("can_separate") is False:
        return [cannot_separate(run, entry.table, entry.units)]
    return interval_notes(entry.table, entry.units)


def pairs_table(table: dict[str, Any], show: Callable[[Any], str]) -> pd.DataFrame:
    alpha = table.get("alpha", 0.05)
    rows = []
    for pair in table.get("pairs") or []:
        rows.append(
            {
                "generator": f"{pair['a']} − {pair['b']}",
                "difference [95% CI]": f"{show(pair.get('difference'))} {fmt.interval(pair.get('low'), pair.get('high'))}",
                "p": fmt.p_value(pair.get("p_value"), alpha),
                "p (Holm)": fmt.p_value(pair.get("p_holm"), alpha),
                "separable": "yes" if pair.get("separable") else "no",
            }
        )
    return pd.DataFrame(rows, columns=["generator", "difference [95% CI]", "p", "p (Holm)", "separable"])


def left_out_note(table: dict[str, Any]) -> str:
    left_out = table.get("left_out") or []
    return f" Left out (a seed did not finish): {', '.join(left_out)}." if left_out else ""


def all_zero(table: dict[str, Any]) -> bool:
    """Whether every pair of a table differs by exactly 0 (all generators gave one value)."""
    pairs = table.get("pairs") or []
    return bool(pairs) and all(fmt.finite(pair.get("difference")) == 0 for pair in pairs)


def all_zero_line(entry: ComparisonTable) -> str:
    """The one line an all-zero table collapses to."""
    return f"**{entry.title}**: every generator gives the same value (every difference 0).{left_out_note(entry.table)}"


def comparison_lines(run: CorpusRun, entry: ComparisonTable) -> list[str]:
    if all_zero(entry.table):
        return [all_zero_line(entry), ""]
    notes = table_notes(run, entry)
    lines = [
        f"**{entry.title}**{left_out_note(entry.table)}",
        "",
        fmt.markdown_table(pairs_table(entry.table, entry.show)),
        "",
    ]
    return lines + ([" ".join(notes), ""] if notes else [])


def span(values: list[str]) -> str:
    """'a', or 'a to b' for the first and last of sorted values."""
    return values[0] if len(values) == 1 else f"{values[0]} to {values[-1]}"


def floors_here(entries: list[ComparisonTable]) -> str:
    """'0.00020 in every table (54 test chunks; 62 to 64 prompts)', or the floor of each kind of unit."""
    kinds = {}
    for units in dict.fromkeys(e.units for e in entries):
        tables = [e.table for e in entries if e.units == units]
        counts = span([fmt.count(n) for n in sorted({t["units"] for t in tables})])
        kinds[units] = (span([fmt.p_value(p) for p in sorted({t["smallest_p"] for t in tables})]), counts)
    if len({floor for floor, _ in kinds.values()}) == 1:
        where = "; ".join(f"{counts} {units}" for units, (_, counts) in kinds.items())
        return f"{next(iter(kinds.values()))[0]} in every table ({where})"
    return "; ".join(f"{floor} with {counts} {units}" for units, (floor, counts) in kinds.items())


def p_floor_guide(run: CorpusRun) -> str:
    """How small the tables' p-values can get, and why: the reading guide's paragraph on p ("" when
    the results hold no comparisons that record their floor)."""
    entries = [e for e in comparison_tables(run) if fmt.finite(e.table.get("smallest_p")) is not None]
    if not entries:
        return ""
    first = entries[0].table
    patterns = first.get("sign_flip_resamples")
    return (
        "**p-values** are shown to two significant figures. Each is the larger of a two-level t-test's and "
        "a sign-flip test's, and the sign-flip test cannot go below a floor set by its number of units U: "
        f"2/2^U when 2^U ≤ {fmt.count(patterns)} (every sign pattern is tried), else 2/{fmt.count(patterns + 1)} "
        f"({fmt.count(patterns)} random patterns, none as extreme as the data); here {floors_here(entries)}. "
        "A p at the floor means \"this small or smaller\". Holm's correction multiplies a table's smallest p "
        f"by its number of pairs (here {len(first['pairs'])} pairs: {fmt.p_value(first['smallest_p'])} "
        f"becomes {fmt.p_value(first['smallest_p_holm'])}), so a table with too few units cannot separate "
        "anything; such a table says so."
    )


def comparisons_intro(run: CorpusRun) -> list[str]:
    """What the comparisons tables hold, and how small their p-values can get."""
    lines = [
        "Every pair of generators: the difference (first − second), its 95% interval, the p-value of "
        f"a paired test ({tested_over(run, 'test chunks (bpc) or prompts')}; a two-level t-test, with a "
        "sign-flip test over the units as a guard), and the p-value after Holm's correction over the pairs "
        "of the table. *Separable* means Holm-adjusted p < 0.05. The interval is the t-test's, for the pair "
        "alone; the intervals of rates, seq-rep-4 and Self-BLEU-4 are cut to [−1, 1], the differences such "
        "values can have. Under a table: the pairs whose interval excludes 0 but which are not separable. "
        "A table whose every difference is 0 is one line.",
        "",
    ]
    guide = p_floor_guide(run)
    return lines + ([guide, ""] if guide else [])


def comparisons(run: CorpusRun, depth: str = "##") -> list[str]:
    """The comparisons section: bpc, then greedy cycling (or the loop rate), then the rest folded."""
    lines = [f"{depth} Comparisons", "", *comparisons_intro(run)]
    entries = comparison_tables(run)
    for entry in entries:
        if not entry.folded:
            lines += comparison_lines(run, entry)
    details = [line for entry in entries if entry.folded for line in comparison_lines(run, entry)]
    if details:
        lines += ["<details><summary>Every temperature</summary>", "", *details, "</details>", ""]
    return lines
