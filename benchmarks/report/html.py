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
from collections.abc import Callable, Iterable
from html import escape
from itertools import takewhile
from pathlib import Path
from typing import Any

from benchmarks.report import cycling, markdown, significance, tables
from benchmarks.report import formatting as fmt
from benchmarks.report.browser import browser_data, encoded
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
    body = [
        prose(significance.verdict(view)),
        table(tables.summary_table(view, earlier), f"Summary of {view.name}"),
        prose(after_last_table(markdown.summary(view, None))),
    ]
    if earlier is not None:
        changes = markdown.comparison(earlier, view)
        body += [f"<h3>Changes since the earlier run</h3>{prose(before_first_table(changes))}"]
        body += [table(tables.comparison_table(view, earlier), "Changes since the earlier run")]
    return "\n".join(body)


def likelihood_block(view: CorpusRun, earlier: CorpusRun | None) -> str:
    lines = markdown.likelihood(view, earlier)
    return table(tables.likelihood_table(view, earlier), "Likelihood") + prose(after_last_table(lines))


def pairs(table_data: dict[str, Any], title: str, show: Callable[[Any], str]) -> list[str]:
    """One comparisons table under its title; nothing when the table has no pairs."""
    if not table_data.get("pairs"):
        return []
    left_out = table_data.get("left_out") or []
    note = f" Left out (a seed did not finish): {', '.join(left_out)}." if left_out else ""
    head = f"<p class='table-title'><strong>{escape(title)}</strong>{escape(note)}</p>"
    return [head, table(significance.pairs_table(table_data, show), title)]


def comparisons_block(view: CorpusRun) -> str:
    """bpc and greedy cycling, then every other table (folded), as the Markdown report has them."""
    intro = takewhile(lambda line: not line.startswith("**"), significance.comparisons(view))
    parts = [prose(list(intro))]
    parts += pairs(view.comparisons("bpc"), "Test bpc", fmt.bpc)
    for table_data, title in significance.headline_tables(view):
        parts += pairs(table_data, title, fmt.rate)
    details = [
        part for data, title in significance.detail_tables(view) for part in pairs(data, title, fmt.rate)
    ]
    if details:
        parts.append(f"<details><summary>Every temperature</summary>{''.join(details)}</details>")
    return "\n".join(parts)


def sweep_block(view: CorpusRun) -> str:
    parts = [prose(before_first_table(markdown.sweep(view)))]
    for group, metrics in tables.SWEEP_GROUPS.items():
        parts += [f"<h4>{escape(group)}</h4>", table(tables.sweep_table(view, metrics), group)]
        if group == tables.QUALITY_GROUP and view.judge:
            parts.append(prose([markdown.JUDGE_FOOTNOTE]))
    return "\n".join(parts)


def cycling_block(view: CorpusRun) -> str:
    lines = cycling.cycling_lines(view)
    if not lines:
        return "<p class='note'>This run has no cycling probe.</p>"
    return prose(before_first_table(lines)) + table(cycling.cycles_table(view), "Cycling")


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
        ("comparisons", "Comparisons", comparisons_block(view)),
        ("sweep", "Repetition and diversity across temperatures", sweep_block(view)),
        ("cycling", f"Cycling at {cycling.horizon(view)}", cycling_block(view)),
        ("plots", "Plots", plots_block(drawn, folder)),
        ("throughput", f"Throughput on {device_name(view)}", throughput_block(view)),
    ]
    body = "\n".join(section(anchor(view, several, key), title, html, level) for key, title, html in parts)
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
        "details": "\n".join(details) + closing(run),
        "samples": encoded(browser_data(run, Path(run_dir))),
    }
    return PLACEHOLDER.sub(lambda match: parts[match.group(1)], static("report.html"))
