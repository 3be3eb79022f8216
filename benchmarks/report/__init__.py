"""The Markdown report of a run, rendered from its ``results.json`` alone.

The report never recomputes a metric and never imports torch or a generator: a run folder copied
to another machine renders the same report there. ``render_report`` writes, into the run folder:

* ``report.md`` — summary, likelihood, per-temperature tables, samples, plots, throughput, environment;
* ``results.csv`` — every number in long form (generator, temperature, metric, value);
* ``plots/*.png`` — linked from the report by relative path.

Rendering the same results twice gives the same report.md byte for byte.
"""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.report.data import load_run
from benchmarks.report.longform import long_frame
from benchmarks.report.markdown import report_markdown
from benchmarks.report.plots import draw_plots

__all__ = ["render_report"]


def write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)


def render_report(run_dir: Path, *, compare: Path | None = None) -> Path:
    """Write report.md, results.csv and plots/ for the run in ``run_dir``; return report.md's path.

    ``compare`` is an earlier run folder (or its results.json): the summary and likelihood tables
    then show each value next to the earlier one with the difference, and a section lists them all.
    """
    run_dir = Path(run_dir)
    run = load_run(run_dir)
    earlier = load_run(Path(compare)) if compare is not None else None
    drawn = draw_plots(run, run_dir / "plots")
    long_frame(run).to_csv(run_dir / "results.csv", index=False, lineterminator="\n")
    report = run_dir / "report.md"
    write_text_atomic(report, report_markdown(run, drawn, earlier))
    return report
