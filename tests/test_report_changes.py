"""report --compare: each value beside the earlier run's and the difference, and what is not like
for like. The runs are the fixture of test_report.py, changed."""

from __future__ import annotations

from test_report import cell_of, fixture_results, make_run, regrouped, table_rows

from benchmarks.report import render_report
from benchmarks.report.data import load_run


def test_compare_shows_value_earlier_value_and_difference(tmp_path):
    earlier = fixture_results()
    cell_of(earlier, "markov")["likelihood"]["bpc"] = 3.5
    cell_of(earlier, "char-lstm")["likelihood"]["word_perplexity"] = 2000.0
    make_run(tmp_path / "earlier", regrouped(earlier))
    run_dir = make_run(tmp_path / "now")
    report = render_report(run_dir, compare=tmp_path / "earlier").read_text(encoding="utf-8")
    # 3.412 - 3.5 = -0.088 = -2.51 % of 3.5;  2128.7 - 2000 = +128.7 = +6.4 %
    assert table_rows(report, "markov")[0][9] == "was 3.500; Δ -0.088 (-2.5%)"
    assert ["markov", "bpc", "3.412", "3.500", "-0.088", "-2.5%"] in table_rows(report, "markov")
    assert ["char-lstm", "word perplexity", "2,128.7", "2,000.0", "+128.7", "+6.4%"] in table_rows(
        report, "char-lstm"
    )
    assert "was 2,000.0; Δ +128.7 (+6.4%)" in report
    assert "\n### Changes since the earlier run\n" in report
    assert "Not like for like" not in report
    assert load_run(tmp_path / "earlier" / "results.json") == load_run(tmp_path / "earlier")


def test_compare_warns_when_corpus_or_settings_differ(tmp_path):
    earlier = fixture_results()
    earlier["corpora"][0]["summary"].update(name="shakespeare", sha256="f" * 64)
    earlier["config"]["sweep"]["max_chars"] = 100
    earlier["config"]["sweep"]["test_prompts"] = 8
    earlier["seeds"] = [7]
    del earlier["config"]["sweep"]["top_p"]  # a key an older run did not record is no difference
    make_run(tmp_path / "earlier", earlier)
    report = render_report(make_run(tmp_path / "now"), compare=tmp_path / "earlier").read_text("utf-8")
    corpus = fixture_results()["corpora"][0]["summary"]["name"]
    assert (
        f"**Not like for like:** the runs differ in the corpus (shakespeare then {corpus}); the seeds "
        f"(7 then {fixture_results()['seeds'][0]}); sweep settings (max_chars, test_prompts), "
        "so Δ mixes those in." in report
    )


def test_compare_warns_when_the_machine_or_the_training_work_differ(tmp_path):
    earlier = fixture_results()
    earlier["environment"]["device"] = {"type": "cpu", "name": "AMD EPYC", "cores": 4, "torch_threads": 2}
    cell_of(earlier, "char-lstm")["fit"]["steps"] = 946
    make_run(tmp_path / "earlier", regrouped(earlier))
    report = render_report(make_run(tmp_path / "now"), compare=tmp_path / "earlier").read_text("utf-8")
    now = fixture_results()["environment"]["device"]
    steps = cell_of(fixture_results(), "char-lstm")["fit"]["steps"]
    assert "the machine (AMD EPYC (cpu, 4 cores) then " + f"{now['name']} ({now['type']}, 2 cores)" in report
    assert f"the CPU model (AMD EPYC then {now['name']})" in report
    assert f"char-lstm's training work (946 then {steps:,} steps)" in report
