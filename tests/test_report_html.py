"""report.html without a browser: self-contained, the Markdown report's tables cell for cell, the plots
inline, the samples (and their stored spans) embedded, the --format flag.

The browser tests are in ``test_report_browser.py``; here the page is read as text.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_report import PNG_MAGIC, make_run

from benchmarks.cli import main
from benchmarks.report import render_report, tables
from benchmarks.report.data import load_run
from benchmarks.report.significance import pairs_table
from benchmarks.samples import annotate, train_indexes

TRAIN = "We were not born to sue, but to command; which since we cannot do to make you friends.\n"
TEST_TEXTS = [
    "friends, be ready, friends, be ready, friends, be ready, friends, be ready, friends, be ",
    "We were not born to sue, but to command; yes",
    "O, then, I see Queen Mab hath been with you.",
    "",
]
MAX_BYTES = 2 * 2**20  # a committed example report.html must stay below 2 MB


class Tables(HTMLParser):
    """Every table of a page as rows of cell texts (header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.row: list[str] | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[-1].append(self.row)
            self.row = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def page_tables(page: str) -> list[list[list[str]]]:
    parser = Tables()
    parser.feed(page)
    return parser.tables


def frame_rows(frame) -> list[list[str]]:
    return [list(map(str, frame.columns)), *[list(map(str, row)) for row in frame.itertuples(index=False)]]


def embedded_samples(page: str) -> dict:
    payload = re.search(r'<script type="application/octet-stream" id="sample-data"[^>]*>([^<]*)<', page)
    return json.loads(gzip.decompress(base64.b64decode(payload.group(1))))


def write_samples(run_dir: Path, annotated: bool = True) -> dict:
    """A samples.json.gz for the fixture run: 4 texts per temperature (2 prompts × 2 samples)."""
    indexes = train_indexes(TRAIN)
    run = load_run(run_dir)
    view = run.views[0]
    prompts = view.corpus["prompts"]
    corpus = {"name": view.name, "prompts": prompts}
    if annotated:
        corpus["human_annotations"] = annotate([p["human"] for p in prompts["test"]], indexes)
    cells = []
    for name in view.names:
        entries = []
        for temperature in view.temperatures:
            entry = {"temperature": temperature, "test": TEST_TEXTS, "demo": [f"{name} at {temperature}", ""]}
            if annotated:
                entry["annotations"] = annotate(entry["test"], indexes)
                entry["demo_annotations"] = annotate(entry["demo"], indexes)
            entries.append(entry)
        cells.append({"id": name, "row": name, "corpus": view.name, "seed": 0, "temperatures": entries})
    samples = {"samples_per_prompt": 2, "corpora": [corpus], "cells": cells}
    (run_dir / "samples.json.gz").write_bytes(gzip.compress(json.dumps(samples).encode(), mtime=0))
    return samples


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[Path, str]:
    run_dir = make_run(tmp_path_factory.mktemp("html"))
    write_samples(run_dir)
    render_report(run_dir)
    return run_dir, (run_dir / "report.html").read_text(encoding="utf-8")


def test_the_page_loads_nothing_from_anywhere(page):
    _, html = page
    assert not re.search(r"(?i)\b(?:src|href)\s*=\s*['\"](?!data:|#)", html)
    assert "http://" not in html and "https://" not in html and "<link" not in html
    assert "default-src 'none'" in html  # and the page's policy forbids any load
    assert html.count("<style>") == 1 and html.count("<script>") == 1


def test_every_table_is_the_markdown_reports_dataframe_cell_for_cell(page):
    run_dir, html = page
    view = load_run(run_dir).views[0]
    expected = [
        tables.summary_table(view),
        tables.likelihood_table(view),
        pairs_table(view.comparisons("bpc"), tables.fmt.bpc),
        *[tables.sweep_table(view, metrics) for metrics in tables.SWEEP_GROUPS.values()],
        tables.throughput_table(view),
        tables.time_table(load_run(run_dir)),
    ]
    found = page_tables(html)
    shown = [frame for frame in expected if len(frame)]  # this schema-1 run has no comparisons
    assert len(shown) == len(expected) - 1
    for frame in shown:
        assert frame_rows(frame) in found


def test_the_human_row_is_marked_to_stay_last_when_sorted(page):
    _, html = page
    summary = re.search(r"<table class='sortable'>.*?</table>", html, re.S).group(0)
    assert summary.count("class='reference'") == 1
    assert re.search(r"<tr data-order='\d+' class='reference'><td>human \(test split\)</td>", summary)


def test_the_plots_are_inline_pngs(page):
    run_dir, html = page
    images = re.findall(r"src='data:image/png;base64,([^']+)'", html)
    assert len(images) == len(list((run_dir / "plots").glob("*.png"))) > 0
    assert all(base64.b64decode(image).startswith(PNG_MAGIC) for image in images)


def test_the_samples_and_their_stored_spans_are_embedded(page):
    _, html = page
    corpus = embedded_samples(html)["corpora"][0]
    assert [p["kind"] for p in corpus["prompts"]] == ["test", "test", "demo", "demo"]
    assert [t["label"] for t in corpus["temperatures"]] == ["T=0 (greedy)", "T=0.5", "T=1"]
    markov = next(c for c in corpus["cells"] if c["row"] == "markov")
    first, second = markov["texts"][0][0]  # T=0, test prompt 1: its two samples
    assert first["text"] == TEST_TEXTS[0] and second["text"] == TEST_TEXTS[1]
    onset, end, period = first["loop"]
    assert (end, period) == (len(TEST_TEXTS[0]), len("friends, be ready, "))
    assert ["loop", f"chars {onset}–{end}, period {period}"] in first["metrics"]
    assert second["copied"] == [[0, len("We were not born to sue, but to command;")]]
    assert markov["texts"][0][2] == [
        {"text": "markov at 0.0", "loop": None, "copied": [], "metrics": markov["texts"][0][2][0]["metrics"]}
    ]
    human = corpus["prompts"][0]["human"]
    assert human["text"].startswith("friends,") and human["metrics"] is not None


def test_texts_without_stored_spans_are_shown_plainly(tmp_path):
    run_dir = make_run(tmp_path / "plain")
    write_samples(run_dir, annotated=False)
    render_report(run_dir, formats=("html",))
    corpus = embedded_samples((run_dir / "report.html").read_text(encoding="utf-8"))["corpora"][0]
    entry = corpus["cells"][0]["texts"][0][0][0]
    assert entry == {"text": TEST_TEXTS[0], "loop": None, "copied": [], "metrics": None}


def test_without_a_samples_file_the_demo_continuations_of_results_json_are_shown(tmp_path):
    run_dir = make_run(tmp_path / "old")
    render_report(run_dir, formats=("html",))
    corpus = embedded_samples((run_dir / "report.html").read_text(encoding="utf-8"))["corpora"][0]
    assert [p["label"] for p in corpus["prompts"]] == ["demo 1", "demo 2"]
    assert "has no samples.json.gz" in corpus["note"]
    view = load_run(run_dir).views[0]
    markov = next(c for c in corpus["cells"] if c["row"] == "markov")
    for index, temperature in enumerate(view.temperatures):
        shown = [prompt[0]["text"] for prompt in markov["texts"][index]]
        assert shown == view.demo_samples("markov", temperature)


def test_rendering_twice_gives_the_same_page(page):
    run_dir, html = page
    render_report(run_dir)
    assert (run_dir / "report.html").read_text(encoding="utf-8") == html


def test_format_flag_writes_the_reports_asked_for(tmp_path, capsys):
    run_dir = make_run(tmp_path / "run")
    assert main(["report", str(run_dir), "--format", "md"]) == 0
    assert (run_dir / "report.md").exists() and not (run_dir / "report.html").exists()
    assert capsys.readouterr().out == f"report: {run_dir / 'report.md'}\n"
    (run_dir / "report.md").unlink()
    assert main(["report", str(run_dir), "--format", "html"]) == 0
    assert (run_dir / "report.html").exists() and not (run_dir / "report.md").exists()
    assert main(["report", str(run_dir)]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == [
        f"report: {run_dir / 'report.md'}",
        f"report: {run_dir / 'report.html'}",
    ]


def test_unknown_formats_are_refused(tmp_path):
    with pytest.raises(ValueError, match="formats must be some of md, html"):
        render_report(make_run(tmp_path / "run"), formats=("pdf",))


def test_compare_adds_the_changes_to_the_page(tmp_path):
    make_run(tmp_path / "earlier")
    run_dir = make_run(tmp_path / "now")
    render_report(run_dir, compare=tmp_path / "earlier", formats=("html",))
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    view, earlier = load_run(run_dir).views[0], load_run(tmp_path / "earlier").views[0]
    assert "Changes since the earlier run" in html
    assert frame_rows(tables.comparison_table(view, earlier)) in page_tables(html)
    assert frame_rows(tables.summary_table(view, earlier)) in page_tables(html)


@pytest.mark.parametrize("report", sorted(Path(__file__).parents[1].glob("reports/*/report.html")))
def test_committed_example_reports_stay_light(report):
    assert report.stat().st_size < MAX_BYTES


def test_a_number_its_spread_and_its_interval_each_stay_on_one_line():
    from benchmarks.report.html_blocks import number_cell

    assert number_cell("2.157 ± 0.009 [2.117, 2.199]") == (
        "<span class=nb>2.157</span> <span class=nb>± 0.009</span> <span class=nb>[2.117, 2.199]</span>"
    )
    assert number_cell("0.5 [0.1, 0.9]") == "<span class=nb>0.5</span> <span class=nb>[0.1, 0.9]</span>"
    assert number_cell("4,728") == "<span class=nb>4,728</span>"
    assert number_cell("<5") == "<span class=nb>&lt;5</span>"
