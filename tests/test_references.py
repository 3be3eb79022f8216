"""Reference rows: compressors measured once per corpus and cached, published figures, and both in
the report's likelihood table, bpc plot and reading guide."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from support import plan_of, run_config, small_config, write_corpus
from test_report import fixture_results, make_run, table_rows

from benchmarks.metrics.compressors import COMPRESSORS, conditional_bpc
from benchmarks.report import render_report
from benchmarks.run.references import compressor_rows, published_rows


@pytest.fixture
def small_plan(tmp_path, model_cache):
    config = small_config(write_corpus(tmp_path / "corpus.txt", chars=8_000))
    plan, corpora = plan_of(config)
    return plan, next(iter(corpora.values()))


def test_compressor_rows_are_the_conditional_code_length_and_are_cached(small_plan):
    plan, corpus = small_plan
    said: list[str] = []
    first = compressor_rows(plan, corpus, said.append)
    assert [row["name"] for row in first["rows"]] == [c.name for c in COMPRESSORS] and not first["cached"]
    for row, compressor in zip(first["rows"], COMPRESSORS, strict=True):
        assert row["bpc"] == conditional_bpc(compressor.compress, corpus.train, corpus.test)
        assert row["chars"] == len(corpus.test) and row["bits"] / len(corpus.test) == row["bpc"]
    said.clear()
    again = compressor_rows(plan, corpus, said.append)  # another run on the same corpus: read back
    assert again["cached"] and again["rows"] == first["rows"] and said == []


def test_compressors_code_the_text_the_generators_are_scored_on(small_plan):
    plan, corpus = small_plan
    plan.config.likelihood.max_test_chars = 500
    (xz, *_) = compressor_rows(plan, corpus, lambda message: None)["rows"]
    assert xz["chars"] == 500
    assert xz["bpc"] == conditional_bpc(COMPRESSORS[0].compress, corpus.train, corpus.test[:500])


def test_nanogpt_figures_are_in_bits_per_character_on_tinyshakespeare_only():
    a100, cpu = published_rows("tinyshakespeare")
    assert a100["bpc"] == pytest.approx(2.1203, abs=5e-5) and a100["nats"] == 1.4697
    assert cpu["bpc"] == pytest.approx(1.88 / math.log(2)) == pytest.approx(2.712, abs=5e-4)
    assert "karpathy/nanoGPT" in a100["source"]
    assert published_rows("shakespeare") == []


def with_references(results: dict) -> dict:
    """The report fixture (tinyshakespeare) with hand-typed compressor rows and the published ones."""
    results["corpora"][0]["references"] = {
        "compressors": [
            {"name": "bz2", "bpc": 2.306, "method": "bzip2, level 9", "library": "bz2 (Python 3.11.7)"},
            {"name": "ppmd", "bpc": 1.868, "method": "PPMd variant I, order 8", "library": "pyppmd 1.3.1"},
        ],
        "published": published_rows("tinyshakespeare"),
    }
    return results


def test_reference_rows_appear_in_the_likelihood_table_plot_and_reading_guide(tmp_path):
    run_dir = make_run(tmp_path / "run", with_references(fixture_results()))
    render_report(run_dir)
    report = (run_dir / "report.md").read_text(encoding="utf-8")
    (ppmd,) = table_rows(report, "ppmd (compressor)")
    assert ppmd[1] == "UTF-8 bytes" and ppmd[2] == "1.868" and set(ppmd[3:]) == {"—"}
    (a100,) = table_rows(report, "nanoGPT shakespeare-char, A100 (published)")
    assert a100[2] == "2.120"
    assert table_rows(report, "nanoGPT shakespeare-char, CPU (published)")[0][2] == "2.712"
    start = report.index("## How to read this")
    guide = report[start : report.index("\n## ", start + 1)]
    assert "(len(C(train + test)) − len(C(train))) · 8" in guide and "pyppmd 1.3.1" in guide
    assert "adapts to the test text as it reads it" in guide and "Krause et al. 2018" in guide
    likelihood = report[report.index("## Likelihood") : report.index("## Comparisons")]
    assert "Source: karpathy/nanoGPT README" in likelihood and "first 90% train" in likelihood
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "ppmd (compressor)" in html and "karpathy/nanoGPT" in html
    assert (run_dir / "plots" / "bpc.png").exists() and not (run_dir / "plots" / "scaling.png").exists()


def test_a_run_without_reference_rows_shows_none(tmp_path):
    run_dir = make_run(tmp_path / "run")
    report = (render_report(run_dir)).read_text(encoding="utf-8")
    assert "(compressor)" not in report and "(published)" not in report
    assert not re.search(r"Compressor rows", report)


def test_results_record_each_corpus_reference_rows(tmp_path, model_cache):
    corpus = write_corpus(tmp_path / "corpus.txt", chars=8_000)
    run_dir = run_config(small_config(corpus), tmp_path / "run")
    results = json.loads((Path(run_dir) / "results.json").read_text())
    references = results["corpora"][0]["references"]
    assert [row["name"] for row in references["compressors"]] == ["xz", "bz2", "zstd", "ppmd"]
    assert references["published"] == []
    assert "| ppmd (compressor)" in (Path(run_dir) / "report.md").read_text()
