"""The report's tables as DataFrames of formatted strings, built from a :class:`CorpusRun` only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from benchmarks.report import formatting as fmt
from benchmarks.report import references
from benchmarks.report.data import CorpusRun, Run

HUMAN_LABEL = "human (test split)"
QUALITY_GROUP = "Overlap with the training text, and sample quality"  # the sweep table with judge bpc


@dataclass(frozen=True)
class Column:
    """One numeric column: where its value comes from and how it reads."""

    title: str  # header, with units
    value: Callable[[CorpusRun, str], float | None]  # the raw value for one generator
    show: Callable[[Any], str]  # formats a raw value (and a difference, for --compare)
    human: Callable[[CorpusRun], float | None] | None = None  # the human row's value; None = not applicable
    cell: Callable[[CorpusRun, str], str] | None = None  # what the cell shows, when more than show(value)
    spread: Callable[[CorpusRun, str], float | None] | None = None  # the sd over seeds, shown as "± sd"


LOAD_MARK = "†"  # trained for a wall-clock budget: its numbers depend on the machine and its load
CUT_MARK = "‡"  # a time cap stopped a fixed-work training early on some seed


def label(run: CorpusRun, name: str) -> str:
    """The row's name, marked when one of its cells did not finish."""
    status = run.status(name)
    return name if status == "ok" else f"{name} ({status})"


def budget_label(run: CorpusRun, name: str) -> str:
    """``label``, and † or ‡ when the row's training was bounded by time instead of fixed work."""
    flags = run.row_flags(name)
    marks = (LOAD_MARK if flags.get("load_dependent") else "") + (
        CUT_MARK if flags.get("cut_short_seeds") else ""
    )
    return f"{label(run, name)} {marks}" if marks else label(run, name)


def likelihood(key: str) -> Callable[[CorpusRun, str], float | None]:
    return lambda run, name: run.value(name, "likelihood", key)


def section_column(title: str, section: str, key: str, show: Callable[[Any], str]) -> Column:
    """A number of one cell section: its mean over seeds, ± its sd."""
    return Column(
        title,
        lambda run, name: run.value(name, section, key),
        show,
        spread=lambda run, name: run.spread(name, section, key),
    )


def bpc_with_ci(run: CorpusRun, name: str) -> str:
    """The bpc (mean ± sd over seeds, with several) and its 95% interval over seeds and test chunks."""
    value, sd = run.value(name, "likelihood", "bpc"), run.spread(name, "likelihood", "bpc")
    shown = f"{fmt.bpc(value)} ± {fmt.bpc(sd)}" if sd is not None else fmt.bpc(value)
    return f"{shown} {fmt.interval(*run.bpc_interval(name))}".strip()


BPC = Column("bpc [95% CI]", likelihood("bpc"), fmt.bpc, cell=bpc_with_ci)
BPC_OVER_SEEDS = Column("bpc, mean ± sd [95% CI]", likelihood("bpc"), fmt.bpc, cell=bpc_with_ci)


def bpc_column(run: CorpusRun) -> Column:
    return BPC_OVER_SEEDS if len(run.run.seeds) > 1 else BPC


WORD_PPL = section_column("word perplexity", "likelihood", "word_perplexity", fmt.perplexity)


def sweep_column(title: str, key: str, temperature: float | None, show) -> Column:
    return Column(
        f"{title}, {fmt.temperature(temperature)}",
        lambda run, name: run.sweep_value(name, temperature, key),
        show,
        human=lambda run: run.human_value(key),
        spread=lambda run, name: fmt.finite(run.sweep_summary(name, temperature, key).get("sd")),
    )


def cycle_column(title: str, key: str, temperature: float | None, show) -> Column:
    """A number of the cycling probe at one temperature: its mean over seeds, ± its sd."""
    return Column(
        title,
        lambda run, name: run.cycle_value(name, temperature, key),
        show,
        human=lambda run: fmt.finite(run.human_cycles().get(key)),
        spread=lambda run, name: fmt.finite(run.sweep_summary(name, temperature, key, "cycles").get("sd")),
    )


def attractors_cell(run: CorpusRun, name: str) -> str:
    """'1 (1.000)': the attractors greedy continuations end in, and the largest one's share of prompts."""
    greedy = run.greedy_cycle_temperature
    count = run.sweep_summary(name, greedy, "attractors", "cycles")
    largest = run.cycle_value(name, greedy, "largest_attractor_share")
    shown = fmt.with_spread(lambda v: fmt.fixed(v, 1), count.get("mean"), count.get("sd"))
    return f"{shown} ({fmt.rate(largest)})" if shown != fmt.DASH else shown


def cycling_columns(run: CorpusRun) -> list[Column]:
    """The summary's cycling columns: the probe's greedy cycling and degenerate shares and its
    attractors; the sweep's greedy loop rate for results written before the probe."""
    greedy = run.greedy_cycle_temperature
    if greedy is None:
        return [sweep_column("loop rate", "loop_rate", run.greedy_temperature, fmt.rate)]
    at = f"{fmt.temperature(greedy)}, {fmt.count(run.cycle_chars)} chars"
    attractors = cycle_column(f"attractors (largest's share), {at}", "attractors", greedy, fmt.rate)
    return [
        cycle_column(f"cycling, {at}", "looped_share", greedy, fmt.rate),
        cycle_column(f"degenerate, {at}", "degenerate_share", greedy, fmt.rate),
        Column(
            attractors.title, attractors.value, lambda v: fmt.fixed(v, 1), attractors.human, attractors_cell
        ),
    ]


def summary_columns(run: CorpusRun) -> list[Column]:
    sampled = run.sampling_temperature
    return [
        bpc_column(run),
        WORD_PPL,
        *cycling_columns(run),
        sweep_column("seq-rep-4", "seq_rep_4", sampled, fmt.rate),
        sweep_column("distinct-2", "distinct_2", sampled, fmt.rate),
        sweep_column("Self-BLEU-4", "self_bleu_4", sampled, fmt.rate),
        section_column(
            f"generation chars/s, batch {run.batch}",
            "throughput",
            f"generate_chars_per_s_batch{run.batch}",
            fmt.speed,
        ),
    ]


def likelihood_columns(run: CorpusRun) -> list[Column]:
    return [
        bpc_column(run),
        section_column("bits per byte", "likelihood", "bpb", fmt.bpc),
        WORD_PPL,
        section_column("native token perplexity ¹", "likelihood", "native_token_perplexity", fmt.perplexity),
        section_column("OOV rate", "likelihood", "oov_rate", fmt.rate),
        section_column("parameters", "describe", "parameters", fmt.count),
        section_column("training time (s)", "fit", "seconds", fmt.seconds),
        section_column("steps", "fit", "steps", fmt.count),
        section_column("scored characters", "likelihood", "scored_chars", fmt.count),
    ]


def shown(column: Column, run: CorpusRun, name: str) -> str:
    if column.cell:
        return column.cell(run, name)
    spread = column.spread(run, name) if column.spread else None
    return fmt.with_spread(column.show, column.value(run, name), spread)


def earlier_cell(column: Column, run: CorpusRun, earlier: CorpusRun, name: str) -> str:
    """The earlier value and the change, "was X; Δ d (p%)"; a dash when the earlier run lacks it."""
    old = column.value(earlier, name) if name in earlier.names else None
    if old is None:
        return fmt.DASH
    change, percent = fmt.delta(column.value(run, name), old, column.show)
    return f"was {column.show(old)}; Δ {change} ({percent})"


def text_value(run: CorpusRun, name: str, section: str, key: str) -> str:
    """A text field of the row's first cell (the same for every seed, or that seed's)."""
    value = (run.entry(name).get(section) or {}).get(key)
    return fmt.DASH if value in (None, "") else str(value)


def summary_table(run: CorpusRun, earlier: CorpusRun | None = None) -> pd.DataFrame:
    columns = summary_columns(run)
    rows = []
    for name in run.names:
        row = {"generator": budget_label(run, name), "rank": run.rank(name) or fmt.DASH}
        row.update({c.title: shown(c, run, name) for c in columns})
        if earlier is not None:
            row["bpc vs earlier run"] = earlier_cell(BPC, run, earlier, name)
        rows.append(row)
    human = {c.title: c.show(c.human(run)) if c.human else fmt.DASH for c in columns}
    rows.append(
        {
            "generator": HUMAN_LABEL,
            "rank": fmt.DASH,
            **human,
            **({"bpc vs earlier run": fmt.DASH} if earlier else {}),
        }
    )
    frame = pd.DataFrame(rows)
    failures = [run.status_line(name) or "ok" for name in run.names]
    if any(status != "ok" for status in failures):
        frame["status"] = [*failures, fmt.DASH]
    return frame


def likelihood_table(run: CorpusRun, earlier: CorpusRun | None = None) -> pd.DataFrame:
    columns = likelihood_columns(run)
    rows = []
    for name in run.names:
        row = {
            "generator": budget_label(run, name),
            "tokenizer": text_value(run, name, "describe", "tokenizer"),
        }
        row.update({c.title: shown(c, run, name) for c in columns})
        row["stopped by"] = text_value(run, name, "fit", "stopped_by")
        if earlier is not None:
            row["bpc vs earlier run"] = earlier_cell(BPC, run, earlier, name)
            row["word perplexity vs earlier run"] = earlier_cell(WORD_PPL, run, earlier, name)
        rows.append(row)
    titles = list(rows[0]) if rows else ["generator", "tokenizer", *(c.title for c in columns)]
    rows += references.likelihood_rows(run, titles, bpc_column(run).title)
    return pd.DataFrame(rows)


def comparison_table(run: CorpusRun, earlier: CorpusRun) -> pd.DataFrame:
    """Every headline metric side by side with the earlier run, as pytest-benchmark's compare shows."""
    columns = {c.title: c for c in summary_columns(run) + likelihood_columns(run)}.values()
    rows = []
    for name in [n for n in run.names if n in earlier.names]:
        for column in columns:
            new, old = column.value(run, name), column.value(earlier, name)
            if new is None and old is None:
                continue
            change, percent = fmt.delta(new, old, column.show)
            rows.append(
                {
                    "generator": name,
                    "metric": column.title.replace(" [95% CI]", "").replace(" ¹", ""),
                    "this run": column.show(new),
                    "earlier run": column.show(old),
                    "Δ": change,
                    "Δ%": percent,
                }
            )
    return pd.DataFrame(rows, columns=["generator", "metric", "this run", "earlier run", "Δ", "Δ%"])


SWEEP_GROUPS: dict[str, list[tuple[str, str, Callable[[Any], str]]]] = {
    "Repetition": [
        *[(f"seq_rep_{n}", f"seq-rep-{n}", fmt.rate) for n in range(1, 5)],
        ("loop_rate", "loop rate, {chars} chars", fmt.rate),
        ("loop_rate_holtzman", "loop rate (Holtzman), {chars} chars", fmt.rate),
        ("loop_span_count", "looped texts", fmt.tally),
        ("loop_onset_median", "loop onset, median (chars)", lambda v: fmt.fixed(v, 1)),
        ("loop_period_median", "loop period, median (chars)", lambda v: fmt.fixed(v, 1)),
    ],
    "Diversity": [
        *[(f"distinct_{n}", f"distinct-{n}", fmt.rate) for n in range(1, 5)],
        ("self_bleu_4", "Self-BLEU-4", fmt.rate),
        ("zipf", "Zipf coefficient", lambda v: fmt.fixed(v, 3)),
    ],
    QUALITY_GROUP: [
        ("copy_rate_8", "copy rate (8-gram)", fmt.rate),
        ("valid_word_rate", "valid-word rate", fmt.rate),
        ("quality_bpc", "judge bpc (sample quality)", fmt.bpc),
        ("quality_gap", "judged bpc − human's", fmt.signed),
        ("mean_chars", "mean length (chars)", lambda v: fmt.fixed(v, 1)),
    ],
}


def sweep_table(run: CorpusRun, metrics: list[tuple[str, str, Callable[[Any], str]]]) -> pd.DataFrame:
    """Rows: each swept generator at each temperature, then the human text; columns: ``metrics``."""
    chars = fmt.count(run.section("config", "sweep").get("max_chars"))
    metrics = [(key, title.format(chars=chars), show) for key, title, show in metrics]
    rows = []
    for name in run.names:
        for temperature in [t for t in run.temperatures if run.has_cell(name, t)]:
            row = {"generator": label(run, name), "temperature": fmt.temperature(temperature)}
            for key, title, show in metrics:
                summary = run.sweep_summary(name, temperature, key)
                value = fmt.with_spread(show, summary.get("mean"), summary.get("sd"))
                row[title] = value
            rows.append(row)
    human = {title: show(run.human_value(key)) for key, title, show in metrics}
    rows.append({"generator": HUMAN_LABEL, "temperature": fmt.DASH, **human})
    return pd.DataFrame(rows)


def throughput_table(run: CorpusRun) -> pd.DataFrame:
    rows = []
    for name in run.names:

        def speed(key: str, name: str = name) -> tuple[Any, Any]:
            summary = run.summary(name, "throughput", key)
            return summary.get("mean"), summary.get("sd")

        rows.append(
            {
                "generator": label(run, name),
                "training chars/s": fmt.with_spread(fmt.speed, *speed("train_chars_per_s")),
                "scoring chars/s": fmt.with_spread(fmt.speed, *speed("score_chars_per_s")),
                "generation chars/s, batch 1": fmt.with_spread(
                    fmt.speed, *speed("generate_chars_per_s_batch1")
                ),
                f"generation chars/s, batch {run.batch}": fmt.with_spread(
                    fmt.speed, *speed(f"generate_chars_per_s_batch{run.batch}")
                ),
                "ms/char, batch 1": fmt.with_spread(fmt.significant, *speed("ms_per_char_batch1")),
                "peak memory (MiB)": fmt.with_spread(fmt.mebibytes, *speed("peak_memory_bytes")),
            }
        )
    frame = pd.DataFrame(rows)
    places = {name: ran_on(run, name) for name in run.names}
    if any(places.values()):
        frame["measured on (node: device)"] = [places[name] or fmt.DASH for name in run.names]
    gpu_peaks = [run.value(n, "throughput", "peak_gpu_memory_bytes") for n in run.names]
    if any(peak is not None for peak in gpu_peaks):
        frame["peak GPU memory (MiB)"] = [fmt.mebibytes(peak) for peak in gpu_peaks]
    kinds = memory_kinds(run)
    if len(set(kinds.values())) > 1:
        frame["peak memory measured as"] = [kinds.get(name, fmt.DASH) for name in run.names]
    return frame


def ran_on(run: CorpusRun, name: str) -> str:
    """Each node and device the row's cells were measured on, once: ``vm (Ray node 3f2a9c1e): cpu (…)``."""
    places = []
    for cell in run.seed_cells(name):
        throughput = cell.get("throughput") or {}
        node, device = throughput.get("node") or {}, throughput.get("device")
        if node or device:
            ray_node = f" (Ray node {node['ray_node_id'][:8]})" if node.get("ray_node_id") else ""
            places.append(f"{node.get('hostname', '?')}{ray_node}: {device or '?'}")
    return "; ".join(dict.fromkeys(places))


def memory_kinds(run: CorpusRun) -> dict[str, str]:
    kinds = {n: (run.entry(n).get("throughput") or {}).get("peak_memory_kind") for n in run.names}
    return {name: str(kind) for name, kind in kinds.items() if kind}


def cross_corpus_table(run: Run) -> pd.DataFrame:
    """Rows: generators and variants; columns: each corpus's test bpc (as the summary shows it)."""
    rows = []
    for name in run.rows:
        row = {"generator": name}
        for view in run.views:
            row[f"bpc, {view.name}"] = bpc_with_ci(view, name) if name in view.names else fmt.DASH
        rows.append(row)
    return pd.DataFrame(rows)


STAGE_COLUMNS = ("fit", "likelihood", "sweep", "cycles", "throughput")


def time_table(run: Run) -> pd.DataFrame:
    """Seconds spent in each stage, summed over each row's seeds, on each corpus; then each judge."""
    rows: list[tuple[dict[str, str], dict[str, float]]] = []
    for view in run.views:
        for name in view.names:
            seconds = {stage: 0.0 for stage in STAGE_COLUMNS}
            for cell in view.seed_cells(name):
                for stage, value in (cell.get("stage_seconds") or {}).items():
                    seconds[stage] = seconds.get(stage, 0.0) + (fmt.finite(value) or 0.0)
            rows.append(({"corpus": view.name, "generator": name}, seconds))
        judge = fmt.finite(view.corpus.get("judge", {}).get("seconds"))
        rows.append(({"corpus": view.name, "generator": "the judge"}, {"judge": judge or 0.0}))
    total = sum(sum(seconds.values()) for _, seconds in rows)
    frame = []
    for where, seconds in rows:
        spent = sum(seconds.values())
        stages = {f"{stage} (s)": fmt.seconds(seconds.get(stage)) for stage in (*STAGE_COLUMNS, "judge")}
        share = f"{100 * spent / total:.0f}%" if total else fmt.DASH
        frame.append({**where, **stages, "total (s)": fmt.seconds(spent), "share": share})
    return pd.DataFrame(frame)
