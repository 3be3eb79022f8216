"""A number the report states twice is one number: split sizes, chunks, the spelling model's n."""

from __future__ import annotations

import json
import re

import pytest
from support import run_config, small_config, write_corpus


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("consistency")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TEXTGEN_BENCH_CACHE", str(tmp / "cache"))
        run_dir = run_config(small_config(write_corpus(tmp / "corpus.txt")), tmp / "run")
    results = json.loads((run_dir / "results.json").read_text())
    return results, (run_dir / "report.md").read_text(), (run_dir / "report.html").read_text()


def numbers(text: str) -> list[int]:
    return [int(n.replace(",", "")) for n in text]


def test_the_split_rule_and_the_split_sizes_state_the_same_sizes(small_run):
    results, report, _ = small_run
    chars = results["corpora"][0]["summary"]["chars"]
    sizes = re.search(r"split sizes \(chars\)\*\*: train ([\d,]+), valid ([\d,]+), test ([\d,]+)", report)
    assert numbers(sizes.groups()) == [chars["train"], chars["valid"], chars["test"]]
    # the by-work rule's own sizes are checked where it is written (test_corpus_text)


def test_the_chunks_are_counted_as_they_are(small_run):
    results, report, _ = small_run
    (cell,) = results["cells"]
    scored, size = cell["likelihood"]["scored_chars"], results["config"]["likelihood"]["ci_chunk_chars"]
    full, rest = divmod(scored, size)
    expected = (
        f"{full} chunks of {size:,} characters"
        if rest == 0
        else f"{full + 1} chunks ({full} of {size:,} characters, the last of {rest:,})"
    )
    assert expected in report
    assert sum(cell["likelihood"]["chunks"]["chars"]) == scored


def test_the_spelling_model_has_one_n_everywhere(small_run):
    results, report, html = small_run
    for text in (report, html, json.dumps(results, ensure_ascii=False)):
        assert set(re.findall(r"(\d+)-gram Kneser", text)) == {"6"}  # spelling_order 5 + 1


def test_the_card_and_the_likelihood_table_give_one_parameter_count(small_run):
    results, report, _ = small_run
    (cell,) = results["cells"]
    assert cell["card"]["parameters"] == cell["describe"]["parameters"]
    assert f"{cell['describe']['parameters']:,}" in report


def test_the_report_says_what_a_word_is_and_what_holtzmans_rule_flags(small_run):
    _, report, _ = small_run
    assert "counted as lm-evaluation-harness counts them" in report
    assert "Its two-copies clause flags a phrase of three words said twice at the end" in report


def test_report_md_opens_with_the_verdict_and_its_models_and_puts_the_demo_samples_aside(small_run):
    _, report, _ = small_run
    headings = [line for line in report.splitlines() if line.startswith("## ")]
    assert headings[:3] == ["## Verdict", "## Summary", "## How to read this"]
    assert "### Models" in report and "**The budget this ranking holds at**" in report
    assert "## Samples" not in report and "[samples.md](samples.md)" in report
