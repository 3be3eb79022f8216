"""The decoding strategies and the operating points in the report, read from results.json only.

:func:`strategy_table` is Holtzman et al. 2020's Table 1 across generator families: one row per
generator × strategy, with the human text's row; :func:`operating_point_table` shows each generator
at T = 0, at its operating point and at T = 1; :func:`reading_guide` defines every strategy of the
run and says what a "token" is for each generator; :func:`judge_note` states the judging rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from benchmarks.report import formatting as fmt
from benchmarks.report.data import CorpusRun, dig
from benchmarks.report.tables import HUMAN_LABEL, label

NOT_SUPPORTED = "not supported"
NOT_MEASURED = "—"
GAP_TITLE = "judged bpc − human's"

# key, title, format; "cycling.KEY" reads the long-horizon hook's measures (benchmarks.run.stages)
STRATEGY_COLUMNS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("cycling.looped_share", "cycling share", fmt.rate),
    ("cycling.degenerate_share", "degenerate share", fmt.rate),
    ("loop_rate", "loop rate", fmt.rate),
    ("seq_rep_4", "seq-rep-4", fmt.rate),
    ("distinct_2", "distinct-2", fmt.rate),
    ("self_bleu_4", "Self-BLEU-4", fmt.rate),
    ("zipf", "Zipf", lambda v: fmt.fixed(v, 3)),
    ("valid_word_rate", "valid-word rate", fmt.rate),
    ("quality_bpc", "judged bpc", fmt.bpc),
    ("quality_gap", GAP_TITLE, fmt.signed),
]
SETTING_WORDS: dict[str, Callable[[Any], str]] = {  # how each Sampling setting reads
    "top_k": lambda k: f"top-k {k}: only the {k} most likely tokens (Fan et al. 2018)",
    "top_p": lambda p: (
        f"nucleus {p:g}: the fewest most likely tokens holding {p:g} of the mass (Holtzman et al. 2020)"
    ),
    "min_p": lambda p: (
        f"min-p {p:g}: tokens at least {p:g} × as likely as the most likely one (Nguyen et al. 2024)"
    ),
    "typical_p": lambda p: (
        f"typical {p:g}: the tokens whose surprisal is closest to the entropy, until they hold {p:g} of "
        "the mass (Meister et al. 2023)"
    ),
    "repetition_penalty": lambda r: (
        f"repetition penalty {r:g}: the logit of every token already in the text (the prompt's "
        f"included) divided by {r:g} when positive, multiplied when negative (Keskar et al. 2019, CTRL)"
    ),
    "no_repeat_ngram": lambda n: (
        f"no-repeat {n}-gram: no token that completes a {n}-gram of tokens already in the text, the "
        "prompt's included (Paulus et al. 2017)"
    ),
}
DEFAULTS = {
    "top_k": 0,
    "top_p": 1.0,
    "min_p": 0.0,
    "typical_p": 1.0,
    "repetition_penalty": 1.0,
    "no_repeat_ngram": 0,
}


def strategy_names(run: CorpusRun) -> list[str]:
    """The run's strategies in config order, then any a row holds that the config does not."""
    names = list(run.section("config", "sweep").get("strategies") or {})
    for name in run.names:
        names += [s.get("strategy") for s in row_strategies(run, name)]
    return list(dict.fromkeys(n for n in names if isinstance(n, str)))


def row_strategies(run: CorpusRun, name: str) -> list[dict[str, Any]]:
    entries = dig(run.corpus, "rows", name).get("strategies") or []
    return [e for e in entries if isinstance(e, dict)]


def strategy_entry(run: CorpusRun, name: str, strategy: str) -> dict[str, Any]:
    return next((e for e in row_strategies(run, name) if e.get("strategy") == strategy), {})


def entry_summary(entry: dict[str, Any], key: str) -> dict[str, Any]:
    """One key's {mean, sd, …} over seeds in a summarised entry ("cycling.KEY" reads the probe's)."""
    if key.startswith("cycling."):
        return dig(entry, "cycling", key.split(".", 1)[1])
    return dig(entry, key)


def entry_value(entry: dict[str, Any], key: str) -> float | None:
    """The mean over seeds of one key of a summarised entry."""
    return fmt.finite(entry_summary(entry, key).get("mean"))


def shown(entry: dict[str, Any], key: str, show: Callable[[Any], str]) -> str:
    summary = entry_summary(entry, key)
    return fmt.with_spread(show, summary.get("mean"), summary.get("sd"))


def human_row(run: CorpusRun) -> dict[str, str]:
    human = run.human
    values = {"quality_gap": 0.0 if fmt.finite(human.get("quality_bpc")) is not None else None}
    return {title: show(values.get(key, human.get(key))) for key, title, show in STRATEGY_COLUMNS}


def strategy_table(run: CorpusRun) -> pd.DataFrame:
    """Rows: each generator × strategy, then the human text; a strategy a generator does not support
    reads "not supported" in every column."""
    rows = []
    for name in run.names:
        for strategy in strategy_names(run):
            entry = strategy_entry(run, name, strategy)
            if not entry:
                continue
            row = {"generator": label(run, name), "strategy": strategy}
            for key, title, show in STRATEGY_COLUMNS:
                row[title] = shown(entry, key, show) if entry.get("supported") else NOT_SUPPORTED
            rows.append(row)
    rows.append({"generator": HUMAN_LABEL, "strategy": fmt.DASH, **human_row(run)})
    return pd.DataFrame(rows)


POINT_KEYS = [  # the operating-point table's columns: key, title, format
    ("distinct_2", "distinct-2", fmt.rate),
    ("self_bleu_4", "Self-BLEU-4", fmt.rate),
    ("quality_gap", GAP_TITLE, fmt.signed),
    ("loop_rate", "loop rate", fmt.rate),
    ("seq_rep_4", "seq-rep-4", fmt.rate),
    ("cycling.looped_share", "cycling share", fmt.rate),
]


def operating_point(run: CorpusRun, name: str) -> dict[str, Any]:
    return dig(run.corpus, "operating_points", name)


def point_words(point: dict[str, Any]) -> str:
    """'T ≈ 0.83 (between 0.8 and 1; matched)'."""
    low, high = point.get("bracket") or [None, None]
    where = f"T={low:g}" if low == high else f"between {low:g} and {high:g}"
    match = "matched" if point.get("matched") else f"closest, {point.get('gap', 0):.1f} half-widths off"
    return f"T ≈ {point['temperature']:.2f} ({where}; {match})"


def operating_point_table(run: CorpusRun) -> pd.DataFrame:
    """Each generator at T = 0, at its operating point (interpolated) and at T = 1; the human row."""
    rows = []
    for name in run.names:
        point = operating_point(run, name)
        settings = [
            (fmt.temperature(0.0), 0.0),
            (point_words(point) if point else fmt.DASH, None),
            ("T=1", 1.0),
        ]
        for title, temperature in settings:
            row = {"generator": label(run, name), "setting": title}
            for key, column, show in POINT_KEYS:
                if temperature is None:
                    row[column] = show((point.get("values") or {}).get(key)) if point else fmt.DASH
                else:
                    row[column] = show(sweep_mean(run, name, temperature, key))
            rows.append(row)
    human = run.human
    values = {**human, "quality_gap": 0.0 if fmt.finite(human.get("quality_bpc")) is not None else None}
    rows.append(
        {"generator": HUMAN_LABEL, "setting": fmt.DASH, **{c: s(values.get(k)) for k, c, s in POINT_KEYS}}
    )
    return pd.DataFrame(rows)


def sweep_mean(run: CorpusRun, name: str, temperature: float, key: str) -> float | None:
    if temperature not in run.temperatures:
        return None
    if key.startswith("cycling."):
        return fmt.finite(
            dig(run.sweep_summary(name, temperature, "cycling"), key.split(".", 1)[1]).get("mean")
        )
    return run.sweep_value(name, temperature, key)


def operating_point_lines(run: CorpusRun) -> list[str]:
    """'use char-lstm at T ≈ 0.83' for each generator with an operating point, and how it is found."""
    intervals = run.human.get("intervals") or {}
    shown_intervals = ", ".join(
        f"{key.replace('_', '-').replace('self-bleu-4', 'Self-BLEU-4')} {fmt.interval(*interval)}"
        for key, interval in intervals.items()
        if interval
    )
    uses = [
        f"{name} at {point_words(operating_point(run, name))}"
        for name in run.names
        if operating_point(run, name)
    ]
    if not uses:
        return ["No operating point: the run has too few temperatures or no human diversity interval.", ""]
    return [
        "Each generator's **operating point** is the temperature at which its diversity matches the human "
        "text's: distinct-2 and Self-BLEU-4 each within the human value's 95% interval over prompts "
        f"(a delete-one jackknife: {shown_intervals}). Between the ladder's rungs every metric is "
        "interpolated linearly, so the values at an operating point are **interpolated, not measured**; "
        "*matched* means both metrics fall in their intervals there, else the closest temperature is "
        "given with its distance in half-widths of the interval.",
        "",
        "Use " + "; ".join(uses) + ".",
        "",
    ]


def describe_settings(settings: dict[str, Any]) -> str:
    """The words for one strategy's Sampling settings, temperature first."""
    temperature = fmt.finite(settings.get("temperature", 1.0))  # a strategy's settings list what it changes
    parts = ["the most likely token at every step (greedy)" if temperature == 0 else f"T = {temperature:g}"]
    for key, words in SETTING_WORDS.items():
        if key in settings and settings[key] != DEFAULTS[key]:
            parts.append(words(settings[key]))
    return "; ".join(parts)


def reading_guide(run: CorpusRun) -> list[str]:
    """Each strategy's definition, the order the rules act in, and what a token is for each row."""
    lines = ["**The strategies.**", ""]
    for strategy in strategy_names(run):
        settings = next(
            (e.get("settings") for n in run.names if (e := strategy_entry(run, n, strategy))), None
        )
        settings = settings or (run.section("config", "sweep").get("strategies") or {}).get(strategy) or {}
        lines.append(f"- **{strategy}**: {describe_settings(settings)}.")
    lines += [
        "",
        "The rules act in transformers' `generate` order: repetition penalty, n-gram blocking, then "
        "temperature, top-k, top-p, min-p, typical (greedy takes the argmax after the first two). The "
        "repetition penalty and n-gram blocking read each generator's **own tokens**: "
        + "; ".join(f"{name}: {token_words(run, name)}" for name in run.names)
        + ". A strategy a generator does not honour is marked *not supported*, never sampled with other "
        "settings.",
        "",
    ]
    return lines


def token_words(run: CorpusRun, name: str) -> str:
    """The row's tokenizer as it describes itself (an unknown-word token is one token to the rules)."""
    tokenizer = (run.entry(name).get("describe") or {}).get("tokenizer")
    if not tokenizer:
        return "its tokens"
    return (
        f"{tokenizer}, every unknown word being the one UNK token"
        if "UNK" in str(tokenizer)
        else str(tokenizer)
    )


def judge_note(run: CorpusRun) -> str:
    """The judging rule in words ("" when nothing was judged and no error says why)."""
    judges = run.judges
    if not judges:
        return f"sample quality not judged ({fmt.first_line(run.judge_error)})" if run.judge_error else ""
    return (
        f"sample quality is judged by {', '.join(judges)}: each generator's continuations are scored by "
        "every judge but itself (a model finds its own samples likely), the judged bpc is the mean over "
        f"those judges, and *{GAP_TITLE}* subtracts the same judges' bpc of the human continuations: "
        "0 is as likely to the judges as human text, below 0 more predictable than people write "
        "(greedy, looping text), above 0 less; closer to 0 is closer to human, lower is not better"
    )


MEASURE_WORDS = {
    "cycling.looped_share": "cycling share",
    "loop_rate": "loop rate",
}  # a verdict's loop measure
PROBED_MEASURES = ("cycling.looped_share",)  # measures the probe gives for some strategies only


def verdict_lines(run: CorpusRun) -> list[str]:
    """For each generator: which strategy removes greedy loops closest to human quality."""
    lines = []
    for name in run.names:
        verdict = dig(run.corpus, "strategy_verdicts", name)
        if not verdict:
            continue
        measure = MEASURE_WORDS.get(verdict.get("measure", "loop_rate"), "loop rate")
        greedy, rate = fmt.rate(verdict.get("greedy_rate")), fmt.rate(verdict.get("rate"))
        if not verdict.get("greedy_loops"):
            lines.append(f"- **{name}**: greedy decoding does not loop ({measure} {greedy}).")
        elif verdict.get("removes"):
            among = (
                " of the strategies the probe measured" if verdict.get("measure") in PROBED_MEASURES else ""
            )
            lines.append(
                f"- **{name}**: *{verdict['strategy']}* removes the greedy loops ({measure} {greedy} → {rate}) "
                f"with judged quality closest to human text's{among} ({fmt.signed(verdict.get('quality_gap'))} bpc)."
            )
        else:
            lines.append(
                f"- **{name}**: no strategy removes the greedy loops; the fewest are left by "
                f"*{verdict['strategy']}* ({measure} {rate})."
            )
    return [*lines, ""] if lines else []


def strategies_section(run: CorpusRun, depth: str = "##") -> list[str]:
    """The decoding-strategy table with its reading guide and verdicts; nothing without strategies."""
    if not strategy_names(run):
        return []
    cycling = any(
        entry_value(e, "cycling.looped_share") is not None for n in run.names for e in row_strategies(run, n)
    )
    note = (
        f" The cycling and degenerate shares are the cycling probe's, at {fmt.count(run.cycle_chars)} characters, "
        f"for the strategies sampling no hotter than its highest temperature ({fmt.temperature(max(run.cycle_temperatures, default=0.0))}); "
        "— marks a strategy sampled hotter, where cycles do not form, read at the sweep's length only."
        if cycling
        else " The long-horizon cycling and degenerate shares are not measured in this run (—)."
    )
    return [
        f"{depth} Decoding strategies",
        "",
        "Each generator with each named decoding strategy, on the same prompts and "
        f"{run.section('config', 'sweep').get('max_chars', '?')}-character continuations as the "
        "temperatures (Holtzman et al. 2020's Table 1, across generator families); "
        f"{judge_note(run) or 'no sample quality'}.{note}",
        "",
        fmt.markdown_table(strategy_table(run)),
        "",
        *reading_guide(run),
        *verdict_lines(run),
    ]


def operating_points_section(run: CorpusRun, depth: str = "##") -> list[str]:
    """The summary's operating points: the table and how they are found."""
    if not run.temperatures or not dig(run.corpus, "operating_points"):
        return []
    return [
        f"{depth}# Operating points",
        "",
        *operating_point_lines(run),
        fmt.markdown_table(operating_point_table(run)),
        "",
    ]
