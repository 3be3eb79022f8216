"""The reports of a run, rendered from its ``results.json`` (and stored samples) alone.

The report never recomputes a metric and never imports torch or a generator: a run folder copied
to another machine renders the same report there. ``render_report`` writes, into the run folder:

* ``report.md`` — verdict, summary with model cards, likelihood, per-temperature tables, cycling,
  strategies, comparisons, three test prompts beside their human text, plots, throughput,
  environment; with several corpora, a table across them and these sections for each;
* ``samples.md`` — its appendix: the demo prompts' continuations at every temperature;
* ``report.html`` — the same tables (sortable) and plots in one self-contained page, with a
  sample browser over every stored continuation (:mod:`benchmarks.report.html`);
* ``results.csv`` — every number in long form (corpus, generator, seed, temperature, metric, value);
* ``plots/*.png`` (``plots/<corpus>/*.png`` with several corpora) — linked from the report.

Rendering the same results twice gives the same report.md and report.html byte for byte.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmarks.console import Log
from benchmarks.files import write_text_atomic
from benchmarks.report.browser import load_samples
from benchmarks.report.data import Run, load_run
from benchmarks.report.html import report_html
from benchmarks.report.longform import long_frame
from benchmarks.report.markdown import report_markdown
from benchmarks.report.markdown import title as markdown_title
from benchmarks.report.plots import draw_plots
from benchmarks.report.provenance import environment_differences
from benchmarks.report.samples_md import SAMPLES_APPENDIX, samples_markdown

__all__ = ["FORMATS", "REPORT_FILES", "render_report"]

REPORT_FILES = {"md": "report.md", "html": "report.html"}
FORMATS = tuple(REPORT_FILES)  # every report, in the order they are written


def plot_folders(run: Run) -> dict[str, str]:
    """Each corpus's plot folder, relative to the run folder."""
    if len(run.views) == 1:
        return {run.views[0].name: "plots"}
    return {view.name: f"plots/{view.key}" for view in run.views}


def render_report(
    run_dir: Path,
    *,
    compare: Path | None = None,
    formats: tuple[str, ...] = FORMATS,
    warn: Log = lambda line: None,
) -> Path:
    """Write the reports named in ``formats`` ("md", "html"), results.csv and plots/ for the run in
    ``run_dir``; return the path of the first report written (report.md when it is one of them).

    ``compare`` is an earlier run folder (or its results.json): the summary and likelihood tables
    then show each value next to the earlier one with the difference, and a section lists them all;
    ``warn`` is told, a line each, the library versions, lock, CPU capability and CPU model in
    which the two runs differ (any of them can move the numbers).
    """
    unknown = [f for f in formats if f not in REPORT_FILES]
    if unknown or not formats:
        raise ValueError(f"formats must be some of {', '.join(REPORT_FILES)}, got {formats!r}")
    run_dir = Path(run_dir)
    run = load_run(run_dir)
    earlier = load_run(Path(compare)) if compare is not None else None
    if earlier is not None:
        for difference in environment_differences(earlier.section("environment"), run.section("environment")):
            warn(f"the runs differ in {difference}")
    folders = plot_folders(run)
    shutil.rmtree(run_dir / "plots", ignore_errors=True)  # plots of corpora no longer in the run go too
    drawn = {view.name: draw_plots(view, run_dir / folders[view.name]) for view in run.views}
    long_frame(run).to_csv(run_dir / "results.csv", index=False, lineterminator="\n")
    samples = load_samples(run_dir)
    if "md" in formats:
        write_text_atomic(run_dir / SAMPLES_APPENDIX, samples_markdown(run, markdown_title(run)))
    pages = {
        "md": lambda: report_markdown(run, drawn, folders, earlier, samples),
        "html": lambda: report_html(run, drawn, folders, run_dir, earlier),
    }
    written = [f for f in FORMATS if f in formats]
    for format_ in written:
        write_text_atomic(run_dir / REPORT_FILES[format_], pages[format_]())
    return run_dir / REPORT_FILES[written[0]]
