"""The Markdown report of a run, rendered from its ``results.json`` alone.

The report never recomputes a metric and never imports torch or a generator: a run folder copied
to another machine renders the same report there. ``render_report`` writes, into the run folder:

* ``report.md`` — summary, likelihood, per-temperature tables, samples, plots, throughput,
  environment; with several corpora, a table across them and these sections for each;
* ``results.csv`` — every number in long form (corpus, generator, seed, temperature, metric, value);
* ``plots/*.png`` (``plots/<corpus>/*.png`` with several corpora) — linked from the report.

Rendering the same results twice gives the same report.md byte for byte.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmarks.files import write_text_atomic
from benchmarks.report.data import Run, load_run
from benchmarks.report.longform import long_frame
from benchmarks.report.markdown import report_markdown
from benchmarks.report.plots import draw_plots

__all__ = ["render_report"]


def plot_folders(run: Run) -> dict[str, str]:
    """Each corpus's plot folder, relative to the run folder."""
    if len(run.views) == 1:
        return {run.views[0].name: "plots"}
    return {view.name: f"plots/{view.key}" for view in run.views}


def render_report(run_dir: Path, *, compare: Path | None = None) -> Path:
    """Write report.md, results.csv and plots/ for the run in ``run_dir``; return report.md's path.

    ``compare`` is an earlier run folder (or its results.json): the summary and likelihood tables
    then show each value next to the earlier one with the difference, and a section lists them all.
    """
    run_dir = Path(run_dir)
    run = load_run(run_dir)
    earlier = load_run(Path(compare)) if compare is not None else None
    folders = plot_folders(run)
    shutil.rmtree(run_dir / "plots", ignore_errors=True)  # plots of corpora no longer in the run go too
    drawn = {view.name: draw_plots(view, run_dir / folders[view.name]) for view in run.views}
    long_frame(run).to_csv(run_dir / "results.csv", index=False, lineterminator="\n")
    report = run_dir / "report.md"
    write_text_atomic(report, report_markdown(run, drawn, folders, earlier))
    return report
