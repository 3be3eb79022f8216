"""The report renders from results.json alone: every section, failures, plots, CSV, --compare, determinism.

``tests/data/results_small.json`` is a hand-written run (values typed in, not measured) of the
current schema: one corpus, one seed; markov and char-lstm finished, word-lstm failed in its sweep
(fit and likelihood kept), three temperatures, a human row, greedy loops among the demo samples and
nulls where a metric is undefined. Its row summaries are its cells' (:func:`regrouped`); it holds no
comparisons, so no row is ranked.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.cli import main
from benchmarks.report import markdown, render_report
from benchmarks.run.aggregate import aggregate_rows
from generators.errors import TextgenBenchError

FIXTURE = Path(__file__).parent / "data" / "results_small.json"
SECTIONS = [
    "# textgen-bench: tinyshakespeare · profile quick · 2025-01-15",
    "## Verdict",
    "## Summary",
    "### Models",
    "## How to read this",
    "## Likelihood",
    "## Repetition and diversity across temperatures",
    "### Repetition",
    "### Diversity",
    "### Overlap with the training text, and sample quality",
    "## Three test prompts",
    "## Plots",
    "## Throughput on x86_64 (cpu)",
    "## Where the time went",
    "## Environment",
]
PLOTS = {
    "bpc.png",
    "repetition.png",
    "diversity.png",
    "quality_diversity.png",
    "learning_curves.png",
    "throughput.png",
}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def fixture_results() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def cell_of(results: dict, row: str) -> dict:
    """The fixture's one cell of ``row``."""
    return next(c for c in results["cells"] if c["row"] == row)


def regrouped(results: dict) -> dict:
    """``results`` with each corpus's row summaries made again from its cells, as the harness makes
    them (one seed: a row's bpc interval is its cell's), after a test changed a cell."""
    for corpus in results["corpora"]:
        cells = [c for c in results["cells"] if c["corpus"] == corpus["name"]]
        intervals = {c["row"]: c.get("likelihood", {}).get("bpc_ci95") for c in cells}
        corpus["rows"] = aggregate_rows(cells, results["rows"], intervals)
    return results


def make_run(folder: Path, results: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if results is None:
        shutil.copy(FIXTURE, folder / "results.json")
    else:
        (folder / "results.json").write_text(json.dumps(results, allow_nan=False), encoding="utf-8")
    return folder


FORBIDDEN_MODULES = ("torch", "transformers", "markovify", "benchmarks.metrics", "benchmarks.harness")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, str]:
    """The fixture rendered in a fresh interpreter, which must not have imported torch or a generator."""
    run_dir = make_run(tmp_path_factory.mktemp("run"))
    code = (
        "import sys; from pathlib import Path; from benchmarks.report import render_report; "
        f"render_report(Path({str(run_dir)!r})); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN_MODULES!r} "
        f"or m.startswith({FORBIDDEN_MODULES!r})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"the report imported {result.stdout.strip()}"
    return run_dir, (run_dir / "report.md").read_text(encoding="utf-8")


def table_rows(report: str, first_column: str) -> list[list[str]]:
    """The cells of every table row whose first cell is ``first_column``."""
    rows = []
    for line in report.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] if line.startswith("|") else []
        if cells and cells[0] == first_column:
            rows.append(cells)
    return rows


def test_the_fixture_follows_the_harness_schema():
    from benchmarks.metrics import totals_from_scores
    from benchmarks.run.judge import quality_fields
    from benchmarks.run.layout import SCHEMA_VERSION, cell_id
    from benchmarks.run.stages import likelihood_fields
    from benchmarks.samples import cell_metrics, train_indexes

    results = fixture_results()
    assert results["schema"] == SCHEMA_VERSION
    cell_keys = set(cell_metrics(["a b c d e f", "a b a b a b"], train_indexes("a b c d e f g h i j")))
    cell_keys -= {"per_prompt"}  # the values the harness compares; the report reads the comparisons
    assert {"samples", "pooled_samples"} <= cell_keys
    (corpus,) = results["corpora"]
    assert set(corpus["human"]["cells"][0]) == cell_keys | {"temperature"}
    for name in ("markov", "char-lstm"):
        for cell in cell_of(results, name)["sweep"]:  # the hand-written cells omit the seed of each
            assert set(cell) == cell_keys | {"temperature", "seconds"} | set(quality_fields({}, {}))
    likelihood_keys = set(likelihood_fields(totals_from_scores("ab", [-1.0, -1.0])))
    for cell in results["cells"]:
        assert likelihood_keys <= set(cell["likelihood"])
    assert [c["id"] for c in results["cells"]] == [cell_id(r, corpus["name"], 0) for r in results["rows"]]
    assert corpus["rows"] == regrouped(fixture_results())["corpora"][0]["rows"]
    assert FIXTURE.stat().st_size < 50_000  # each value twice: in its cell and in its row's summary


def test_report_has_every_section_in_order(rendered):
    _, report = rendered
    positions = [
        report.find(f"\n{header}\n") if i else report.find(header) for i, header in enumerate(SECTIONS)
    ]
    assert -1 not in positions, [h for h, p in zip(SECTIONS, positions, strict=True) if p == -1]
    assert positions == sorted(positions)


def test_report_never_prints_nan_or_inf(rendered):
    _, report = rendered
    assert "nan" not in report.lower()  # what the harness's own test checks
    assert not re.search(r"\binf\b|infinity", report, re.I)
    outside_config = re.sub(r"```json\n.*?\n```", "", report, flags=re.S)
    assert not re.search(r"\b(none|null)\b", outside_config, re.I)


def test_failed_generator_shows_stage_and_first_line_of_its_error(rendered):
    _, report = rendered
    (row,) = table_rows(report, "word-lstm (failed)")[:1]
    assert row[-1] == (
        "failed in sweep: generator 'word-lstm' broke the contract in generate(): raised IndexError: "
        "index 8000 is out of bounds \\| size 8000"
    )
    assert "second line of the message" not in report
    assert "No sweep for: word-lstm (failed)." in report


def test_tables_are_well_formed(rendered):
    _, report = rendered
    widths = []
    for line in report.splitlines():
        if line.startswith("|"):
            widths.append(len(re.findall(r"(?<!\\)\|", line)))
        elif widths:
            assert len(set(widths)) == 1, widths
            widths = []


def test_summary_holds_hand_checked_values(rendered):
    _, report = rendered
    header = table_rows(report, "generator")[0]
    assert header[1:5] == ["rank", "bpc [95% CI]", "word perplexity", "loop rate, T=0 (greedy)"]
    assert header[8] == "generation chars/s, batch 16"
    markov = table_rows(report, "markov")[0]
    assert markov[1] == "—"  # the fixture holds no comparisons to rank by
    assert markov[2:9] == ["3.412 [3.351, 3.474]", "565,627.7", "1.000", "0.004", "0.861", "0.121", "21,378"]
    human = table_rows(report, "human (test split)")[0]
    assert human[1:9] == ["—", "—", "—", "0.000", "0.000", "0.952", "0.051", "—"]


def test_likelihood_table_flags_native_perplexity_and_states_the_ci(rendered):
    _, report = rendered
    assert "native token perplexity ¹" in report and "**not comparable across tokenizers**" in report
    char_lstm = table_rows(report[report.index("## Likelihood") :], "char-lstm")[0]
    # native token perplexity of a character model = 2 ** bpc = 2 ** 1.974 = 3.93; oov_rate is null
    assert char_lstm[5:7] == ["3.9", "—"]
    assert (
        "95% interval: a percentile bootstrap over test chunks; 10 chunks of 2,000 characters, 200 resamples"
        in report
    )


def test_how_to_read_states_which_texts_each_kind_of_metric_used(rendered):
    _, report = rendered
    # the fixture: 2 test prompts × 2 samples per cell ("samples": 4, "pooled_samples": 2)
    assert (
        "use all 4 continuations of a cell; the pooled metrics (distinct-n, Self-BLEU-4, Zipf), whose "
        "values depend on how many texts they pool, use the first sample of each prompt only: 2 texts "
        "per cell. The human row has one text per prompt (2)."
    ) in report
    assert "a last word the character limit cut is left out, and must agree with the phrase" in report
    assert "The sweep samples 2 continuations of " in report


def test_one_sample_per_prompt_reads_in_the_singular():
    assert markdown.continuations(1) == "1 continuation"
    assert markdown.continuations(4) == "4 continuations"
    assert markdown.continuations(None) == "? continuations"


def test_results_without_pooled_counts_say_so(tmp_path):
    results = fixture_results()
    for cell in results["cells"]:
        for entry in cell.get("sweep", []):
            del entry["pooled_samples"]
    report = render_report(make_run(tmp_path / "old", regrouped(results))).read_text(encoding="utf-8")
    assert (
        "use all 4 continuations of a cell; distinct-n, Self-BLEU-4 and Zipf were pooled over all of them."
        in report
    )


def test_no_judge_scores_its_own_samples(rendered):
    _, report = rendered
    quality = report[report.index("### Overlap with the training text, and sample quality") :]
    quality = quality[: quality.index("\n## ")]
    header = table_rows(quality, "generator")[0]
    column = header.index("judge bpc (sample quality)")
    # the fixture's one judge is char-lstm: markov's samples are judged, char-lstm's own are not
    assert [row[column] for row in table_rows(quality, "char-lstm")] == ["—", "—", "—"]
    assert [row[column] for row in table_rows(quality, "markov")] == ["1.102", "2.871", "—"]
    assert table_rows(quality, "human (test split)")[0][column] == "2.184"
    assert "sample quality is judged by char-lstm: each generator's continuations are scored by every judge but itself" in report


def test_throughput_notes_say_what_training_speed_and_peak_memory_cover(rendered):
    _, report = rendered
    assert "training chars/s = training characters / training seconds (validation passes excluded)" in report
    assert (
        "Peak memory: peak RSS of the whole worker process, which ran: fit (training), likelihood, sweep, "
        "throughput." in report
    )


def test_gpu_peak_memory_gets_its_own_column_only_when_measured(tmp_path, rendered):
    assert "peak GPU memory (MiB)" not in rendered[1]
    results = fixture_results()
    throughput = cell_of(results, "char-lstm")["throughput"]
    throughput["peak_gpu_memory_bytes"] = 300 * 2**20
    throughput["peak_memory_kind"] = throughput["peak_memory_kind"].replace(
        "peak RSS", "peak RSS and torch.cuda.max_memory_allocated"
    )
    report = render_report(make_run(tmp_path / "gpu", regrouped(results))).read_text(encoding="utf-8")
    speed = report[report.index("## Throughput") :]
    header = table_rows(speed, "generator")[0]
    column = header.index("peak GPU memory (MiB)")
    assert table_rows(speed, "char-lstm")[0][column] == "300"
    assert table_rows(speed, "markov")[0][column] == "—"


def test_greedy_loop_is_shown_verbatim_in_a_code_block(rendered):
    run_dir, _ = rendered
    report = (run_dir / "samples.md").read_text(encoding="utf-8")  # the demo prompts' appendix
    greedy_demo = cell_of(fixture_results(), "char-lstm")["demo_samples"][0]
    assert greedy_demo["temperature"] == 0.0
    loop = greedy_demo["texts"][0]
    assert f"```text\n{loop}\n```" in report
    greedy = report.index("#### T=0 (greedy)")
    assert greedy < report.index(loop) < report.index("#### T=0.5")


def test_samples_with_fences_and_empty_continuations(rendered):
    run_dir, report = rendered
    assert "[samples.md](samples.md)" in report
    report = (run_dir / "samples.md").read_text(encoding="utf-8")
    assert "````text\nWas ever woman in this humour woo'd?\n```\nA fence in the text.\n````" in report
    assert "*(empty: the model ended the text at once)*" in report


def test_plots_are_pngs_linked_by_relative_path(rendered):
    run_dir, report = rendered
    links = re.findall(r"!\[[^\]]+\]\((plots/[^)]+)\)", report)
    assert {Path(link).name for link in links} == PLOTS
    assert {p.name for p in (run_dir / "plots").iterdir()} == PLOTS
    for link in links:
        assert (run_dir / link).read_bytes()[:8] == PNG_MAGIC


def test_results_csv_is_long_form_with_human_rows(rendered):
    run_dir, _ = rendered
    frame = pd.read_csv(run_dir / "results.csv")
    assert list(frame.columns) == [
        "corpus",
        "generator",
        "seed",
        "temperature",
        "metric",
        "value",
        "strategy",
    ]
    assert frame.strategy.isna().all()  # the fixture has no strategies
    assert set(frame.corpus) == {"tinyshakespeare"} and set(frame[frame.generator != "human"].seed) == {0}
    bpc = frame[frame.metric == "bpc"].set_index("generator")["value"]
    assert bpc.to_dict() == {"markov": 3.412, "char-lstm": 1.974, "word-lstm": 2.318}
    assert frame[frame.metric == "bpc"].temperature.isna().all()
    rep4 = frame[frame.metric == "seq_rep_4"]
    assert sorted(rep4[rep4.generator == "markov"].temperature) == [0.0, 0.5, 1.0]
    assert rep4[(rep4.generator == "char-lstm") & (rep4.temperature == 0.5)].value.item() == 0.032
    assert rep4[rep4.generator == "human"].value.item() == 0.0
    assert rep4[rep4.generator == "human"].temperature.isna().all()
    assert "word-lstm" not in set(rep4.generator)
    low = frame[(frame.metric == "bpc_ci95_low") & (frame.generator == "markov")].value.item()
    assert low == 3.351
    assert frame[(frame.generator == "human") & (frame.metric == "quality_bpc")].value.item() == 2.184
    onset = frame[(frame.generator == "markov") & (frame.metric == "loop_onset_median")]
    assert onset.set_index("temperature")["value"].isna().to_dict() == {0.0: False, 0.5: False, 1.0: True}


def test_rendering_twice_gives_the_same_report(rendered):
    run_dir, report = rendered
    csv = (run_dir / "results.csv").read_bytes()
    assert render_report(run_dir).read_text(encoding="utf-8") == report
    assert (run_dir / "results.csv").read_bytes() == csv


def test_a_sparser_run_still_renders_and_says_what_is_missing(tmp_path):
    """A generator failed before any stage, no judge, no learning curves."""
    results = fixture_results()
    (corpus,) = results["corpora"]
    results["config"]["run"]["generators"].append("gpt2")
    results["rows"].append("gpt2")
    failed = {"status": "failed", "error": "out of memory", "failed_stage": "fit"}
    results["cells"].append(
        {"id": "gpt2/tinyshakespeare/seed-0", "row": "gpt2", "generator": "gpt2", **failed}
        | {"corpus": corpus["name"], "seed": 0}
    )
    corpus["judge"] = {"judges": {}, "error": "no judge available (requested 'auto')"}
    corpus["human"]["quality_bpc"] = None
    for cell in results["cells"]:
        cell.get("fit", {})["curve"] = []
        for entry in cell.get("sweep", []):
            entry["quality_bpc"] = None
    run_dir = make_run(tmp_path / "run", regrouped(results))
    (run_dir / "plots").mkdir()
    (run_dir / "plots" / "learning_curves.png").write_bytes(PNG_MAGIC)  # left by an earlier render
    report = render_report(run_dir).read_text(encoding="utf-8")
    assert table_rows(report, "gpt2 (failed)")[0][-1] == "failed in fit: out of memory"
    assert "not judged (no judge available (requested 'auto'))" in report
    for file, caption in [
        (
            "learning_curves.png",
            "Validation bpc against training characters, a panel per generator, each on its own validation text",
        ),
        (
            "quality_diversity.png",
            "Quality against diversity: judged bpc against Self-BLEU-4, as distances from the human text",
        ),
    ]:
        assert file not in report and not (run_dir / "plots" / file).exists()
        assert f"*{caption}: no data to plot.*" in report
    assert "nan" not in report.lower()


def test_an_interval_that_misses_its_point_estimate_still_plots(tmp_path):
    """A percentile bootstrap over one chunk can land a rounding error above the point estimate."""
    results = fixture_results()
    likelihood = cell_of(results, "markov")["likelihood"]
    likelihood["bpc_ci95"] = [likelihood["bpc"] + 1e-12, likelihood["bpc"] + 1e-12]
    run_dir = make_run(tmp_path / "run", regrouped(results))
    render_report(run_dir)
    assert (run_dir / "plots" / "bpc.png").read_bytes().startswith(PNG_MAGIC)


def test_wrong_schema_or_missing_results_is_a_clear_error(tmp_path):
    results = fixture_results()
    results["schema"] = 3
    with pytest.raises(TextgenBenchError, match="schema 3"):
        render_report(make_run(tmp_path / "new", results))
    with pytest.raises(TextgenBenchError, match=r"no results\.json"):
        render_report(tmp_path / "absent")


def test_a_run_folder_of_an_older_schema_is_one_line_and_exit_2(tmp_path, capsys):
    """What the first textgen-bench wrote: results by generator name, one corpus, no cells."""
    old = make_run(tmp_path / "old", {"schema": 1, "corpus": {"name": "tinyshakespeare"}, "generators": {}})
    assert main(["report", str(old)]) == 2
    assert capsys.readouterr().err == (
        f"textgen-bench: error: {old / 'results.json'} has results schema 1; this textgen-bench reads schema 2 only: "
        "run it again, or report it with the version that wrote it\n"
    )
    assert sorted(p.name for p in old.iterdir()) == ["results.json"]  # nothing written
