"""``report.html``: the report as one self-contained page, with a sample browser.

The page holds everything inline (CSS, JavaScript, the plots as base64 PNGs, the samples as
gzip + base64 JSON) and loads nothing, so it opens from a disk or an e-mail attachment. Its tables
are the Markdown report's DataFrames (:mod:`benchmarks.report.tables`,
:mod:`benchmarks.report.significance`) and its prose the Markdown report's own lines: no number is
computed twice. The template, style and script are package data in ``static/``; the sample
browser's data comes from :mod:`benchmarks.report.browser`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape
from itertools import takewhile
from pathlib import Path

from benchmarks.report import cards, cycling, markdown, scaling, significance, strategies, tables
from benchmarks.report.browser import browser_data, encoded
from benchmarks.report.changes import comparison
from benchmarks.report.data import CorpusRun, Run
from benchmarks.report.html_blocks import figure, prose, section, table
from benchmarks.report.plots import device_name

STATIC = Path(__file__).parent / "static"
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def before_first_table(lines: Iterable[str]) -> list[str]:
    return list(takewhile(lambda line: not line.startswith("|"), lines))


def after_last_table(lines: list[str]) -> list[str]:
    last = max((i for i, line in enumerate(lines) if line.startswith("|")), default=-1)
    return lines[last + 1 :]


def anchor(view: CorpusRun, several: bool, name: str) -> str:
    return f"{view.key}-{name}" if several else name


def summary_block(view: CorpusRun, earlier: CorpusRun | None) -> str:
    """The verdict, the summary table and its notes; with an earlier run, the changes since it."""
    frame = tables.summary_table(view, earlier)
    elsewhere = frozenset(c for c in frame.columns if c == "word perplexity" or c.startswith("generation chars/s"))
    body = [
        prose(significance.verdict(view) + cards.scope_lines(view)),
        table(frame, f"Summary of {view.name}", elsewhere),
        "<p class='note narrow-only'>At this width the summary leaves out word perplexity and generation "
        "speed: the Likelihood and Throughput tables give them.</p>",
        prose([*markdown.budget_notes(view), markdown.RANK_NOTE]),
        "<h3>Models</h3>",
        table(cards.cards_table(view), f"Models of {view.name}"),
        prose([cards.cards_note(view)]),
    ]
    if strategies.operating_points_section(view):
        body += [
            "<h3>Operating points</h3>",
            prose(strategies.operating_point_lines(view)),
            table(strategies.operating_point_table(view), "Operating points"),
        ]
    if earlier is not None:
        changes = comparison(earlier, view)
        body += [f"<h3>Changes since the earlier run</h3>{prose(before_first_table(changes))}"]
        body += [table(tables.comparison_table(view, earlier), "Changes since the earlier run")]
    return "\n".join(body)


def likelihood_block(view: CorpusRun, earlier: CorpusRun | None) -> str:
    lines = markdown.likelihood(view, earlier)
    return table(tables.likelihood_table(view, earlier), "Likelihood") + prose(after_last_table(lines))


def pairs(view: CorpusRun, entry: significance.ComparisonTable) -> list[str]:
    """One comparisons table under its title, with the sentences under it (one line when all zero)."""
    if significance.all_zero(entry.table):
        return [prose([significance.all_zero_line(entry)])]
    title = f"<strong>{escape(entry.title)}</strong>{escape(significance.left_out_note(entry.table))}"
    notes = significance.table_notes(view, entry)
    shown = [
        f"<p class='table-title'>{title}</p>",
        table(significance.pairs_table(entry.table, entry.show), entry.title),
    ]
    return shown + ([prose([" ".join(notes)])] if notes else [])


def comparisons_block(view: CorpusRun) -> str:
    """bpc and greedy cycling, then every other table (folded), as the Markdown report has them."""
    entries = significance.comparison_tables(view)
    parts = [prose(significance.comparisons_intro(view))]
    parts += [html for entry in entries if not entry.folded for html in pairs(view, entry)]
    details = [html for entry in entries if entry.folded for html in pairs(view, entry)]
    if details:
        parts.append(f"<details><summary>Every temperature</summary>{''.join(details)}</details>")
    return "\n".join(parts)


def sweep_block(view: CorpusRun) -> str:
    parts = [prose(before_first_table(markdown.sweep(view)))]
    for group, metrics in tables.SWEEP_GROUPS.items():
        parts += [f"<h4>{escape(group)}</h4>", table(tables.sweep_table(view, metrics), group)]
    return "\n".join(parts)


def strategies_block(view: CorpusRun) -> str:
    """The decoding-strategy table, its reading guide and the verdicts (as in the Markdown report)."""
    lines = strategies.strategies_section(view)
    if not lines:
        return ""
    intro = before_first_table(lines[2:])
    return prose(intro) + table(strategies.strategy_table(view), "Decoding strategies") + prose(
        after_last_table(lines)
    )


def cycling_block(view: CorpusRun) -> str:
    lines = cycling.cycling_lines(view)
    if not lines:
        return "<p class='note'>This run has no cycling probe.</p>"
    return prose(before_first_table(lines)) + table(cycling.cycles_table(view), "Cycling")


def scaling_part(view: CorpusRun) -> list[tuple[str, str, str]]:
    """The budget section, as in the Markdown report (nothing without a budget axis)."""
    lines = scaling.section(view)
    if not lines:
        return []
    tables_at = [i for i, line in enumerate(lines) if line.startswith("|")]
    between = [line for line in lines[tables_at[0] :] if not line.startswith("|")]
    body = [
        prose(lines[2 : tables_at[0]]),
        table(scaling.ranking_table(view), "Ranking at each budget"),
        prose(between),
        table(scaling.compute_table(view), "Training compute"),
    ]
    return [("budgets", lines[0].lstrip("# "), "\n".join(body))]


def plots_block(drawn: dict[str, tuple[str, bool]], folder: Path) -> str:
    figures = [figure(folder / file, caption) for file, (caption, ok) in drawn.items() if ok]
    missing = [caption for caption, ok in drawn.values() if not ok]
    note = f"<p class='note'>No data to plot: {escape(', '.join(missing))}.</p>" if missing else ""
    return f"<div class='plots'>{''.join(figures)}</div>{note}"


def throughput_block(view: CorpusRun) -> str:
    lines = markdown.throughput(view)
    return table(tables.throughput_table(view), "Throughput") + prose(after_last_table(lines))


def corpus_details(
    view: CorpusRun,
    drawn: dict[str, tuple[str, bool]],
    folder: Path,
    earlier: CorpusRun | None,
    several: bool,
) -> str:
    """The sections of one corpus after its summary, as in the Markdown report."""
    level = 3 if several else 2
    parts = [
        ("likelihood", "Likelihood", likelihood_block(view, earlier)),
        ("sweep", "Repetition and diversity across temperatures", sweep_block(view)),
        ("cycling", f"Cycling at {cycling.horizon(view)}", cycling_block(view)),
        ("strategies", "Decoding strategies", strategies_block(view)),
        ("comparisons", "Comparisons", comparisons_block(view)),
        *scaling_part(view),
        ("plots", "Plots", plots_block(drawn, folder)),
        ("throughput", f"Throughput on {device_name(view)}", throughput_block(view)),
    ]
    body = "\n".join(
        section(anchor(view, several, key), title, html, level) for key, title, html in parts if html
    )
    return section(view.key, view.name, body) if several else body


def summaries(run: Run, earlier: Run | None) -> str:
    several = len(run.views) > 1
    parts = []
    if several:
        parts.append(
            section(
                "across-corpora", "Across corpora", table(tables.cross_corpus_table(run), "Across corpora")
            )
        )
    for view in run.views:
        before = markdown.paired_view(earlier, view) if earlier is not None else None
        title = f"Summary: {view.name}" if several else "Summary"
        parts.append(section(anchor(view, several, "summary"), title, summary_block(view, before)))
    return "\n".join(parts)


def how_to_read(run: Run) -> str:
    if not run.views:
        return ""
    body = prose(markdown.how_to_read(run.views[0]))
    return f"<details class='how-to-read'><summary>How to read this report</summary>{body}</details>"


def closing(run: Run) -> str:
    time = markdown.where_the_time_went(run)
    parts = [
        section(
            "time",
            "Where the time went",
            prose(before_first_table(time)) + table(tables.time_table(run), "Time"),
        ),
        section("environment", "Environment", prose(markdown.environment(run))),
    ]
    return "\n".join(parts)


def navigation(run: Run) -> str:
    several = len(run.views) > 1
    links = [("summary" if not several else "across-corpora", "Summary"), ("samples", "Sample browser")]
    links += [(view.key, view.name) for view in run.views] if several else [("likelihood", "Details")]
    links += [("time", "Time"), ("environment", "Environment")]
    return "".join(f"<a href='#{escape(target)}'>{escape(text)}</a>" for target, text in links)


def report_html(
    run: Run,
    drawn: dict[str, dict[str, tuple[str, bool]]],
    folders: dict[str, str],
    run_dir: Path,
    earlier: Run | None = None,
) -> str:
    """The whole page. ``drawn`` and ``folders`` (keyed by corpus name) are the plots drawn for the
    Markdown report, read here from ``run_dir``; the samples come from ``run_dir``'s samples file."""
    several = len(run.views) > 1
    details = []
    for view in run.views:
        before = markdown.paired_view(earlier, view) if earlier is not None else None
        folder = Path(run_dir) / folders[view.name]
        details.append(corpus_details(view, drawn[view.name], folder, before, several))
    parts = {
        "title": escape(markdown.title(run)[0].lstrip("# ")),
        "style": static("report.css"),
        "script": static("report.js"),
        "nav": navigation(run),
        "intro": how_to_read(run) + summaries(run, earlier),
        "details": "\n".join(details),
        "closing": closing(run),
        "samples": encoded(browser_data(run, Path(run_dir))),
    }
    return PLACEHOLDER.sub(lambda match: parts[match.group(1)], static("report.html"))
