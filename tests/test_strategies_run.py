"""Strategies as a sweep axis, a judge that is not a contestant, operating points: a small run.

Rows: markov (count family), and a plugin "nmarkov" (markov declared neural, honouring top-k and
top-p only) with a variant "nmarkov-2", so the two neural rows judge each other and markov, and
nmarkov cannot sample min-p or the repetition penalty.
"""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pandas as pd
import pytest
from support import SMALL_RUN, run_config, small_config, write_corpus, write_plugin

from benchmarks.run.aggregate import strategies_summary
from benchmarks.run.judge import cell_quality, human_quality, quality_fields
from benchmarks.run.stages import sampling_seed
from generators.base import Sampling
from generators.options import merged

STRATEGIES = {
    "greedy": {"temperature": 0.0},
    "top-k 3": {"top_k": 3},
    "min-p 0.2": {"min_p": 0.2},
    "no-repeat 2-gram": {"temperature": 0.0, "no_repeat_ngram": 2},
    "rep. penalty 1.5": {"temperature": 0.0, "repetition_penalty": 1.5},
}
RUN = merged(
    SMALL_RUN,
    {
        "run": {"generators": ["markov", "nmarkov", "nmarkov-2"]},
        "sweep": {"temperatures": [0.0, 0.5, 1.0, 1.5], "test_prompts": 6, "strategies": STRATEGIES},
        "generators": {"nmarkov": {"options": {"state_size": 1}}},
    },
)
RUN["variants"] = {"nmarkov-2": {"generator": "nmarkov", "options": {"state_size": 2}}}


REPORTS: dict[str, str] = {}  # the run's report.md and report.html, filled by the fixture


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("strategies")
    plugins = write_plugin(root / "plugins", "markov-variants", {"nmarkov": "markov_variants:NeuralMarkov"})
    saved = {key: os.environ.get(key) for key in ("PYTHONPATH", "TEXTGEN_BENCH_CACHE")}
    os.environ["PYTHONPATH"] = os.pathsep.join([str(plugins), saved["PYTHONPATH"] or ""])
    os.environ["TEXTGEN_BENCH_CACHE"] = str(root / "cache")
    import sys

    sys.path.insert(0, str(plugins))
    try:
        corpus = write_corpus(root / "corpus.txt")
        run_dir = run_config(small_config(corpus, data=RUN), root / "run")
        REPORTS.update(md=(run_dir / "report.md").read_text(), html=(run_dir / "report.html").read_text())
        REPORTS["csv"] = (run_dir / "results.csv").read_text()
    finally:
        sys.path.remove(str(plugins))
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return json.loads((run_dir / "results.json").read_text())


def cell(results: dict, row: str) -> dict:
    return next(c for c in results["cells"] if c["row"] == row)


def test_every_strategy_is_a_cell_and_unsupported_ones_are_marked(results):
    markov, neural = cell(results, "markov"), cell(results, "nmarkov")
    assert [s["strategy"] for s in markov["strategies"]] == list(STRATEGIES)
    assert all(s["supported"] for s in markov["strategies"])
    supported = {s["strategy"]: s["supported"] for s in neural["strategies"]}
    assert supported == {
        "greedy": True,
        "top-k 3": True,
        "min-p 0.2": False,
        "no-repeat 2-gram": False,
        "rep. penalty 1.5": False,
    }
    unsupported = next(s for s in neural["strategies"] if s["strategy"] == "min-p 0.2")
    assert "distinct_2" not in unsupported and "quality_bpc" not in unsupported  # never sampled otherwise
    row = results["corpora"][0]["rows"]["nmarkov"]
    assert [s["supported"] for s in row["strategies"]] == list(supported.values())


def test_a_strategy_with_a_rungs_settings_is_that_rungs_text(results):
    markov = cell(results, "markov")
    greedy = next(s for s in markov["strategies"] if s["strategy"] == "greedy")
    rung = next(t for t in markov["sweep"] if t["temperature"] == 0.0)
    assert greedy["seed"] == rung["seed"] and greedy["distinct_2"] == rung["distinct_2"]
    top_k = next(s for s in markov["strategies"] if s["strategy"] == "top-k 3")
    assert top_k["seed"] == sampling_seed(markov["seed"], Sampling(top_k=3))
    assert top_k["settings"] == {**vars(Sampling()), "top_k": 3}


def test_history_strategies_change_markovs_greedy_text(results):
    markov = {s["strategy"]: s for s in cell(results, "markov")["strategies"]}
    assert markov["no-repeat 2-gram"]["seq_rep_4"] <= markov["greedy"]["seq_rep_4"]
    assert markov["no-repeat 2-gram"]["distinct_2"] != markov["greedy"]["distinct_2"]


def test_a_generator_never_scores_its_own_samples(results):
    (corpus,) = results["corpora"]
    assert set(corpus["judge"]["judges"]) == {"nmarkov", "nmarkov-2"}  # the neural rows; markov is count
    for row, judges in (
        ("markov", {"nmarkov", "nmarkov-2"}),
        ("nmarkov", {"nmarkov-2"}),
        ("nmarkov-2", {"nmarkov"}),
    ):
        entries = cell(results, row)["sweep"] + [
            s for s in cell(results, row)["strategies"] if s["supported"]
        ]
        for entry in entries:
            assert set(entry["quality_judges"]) == judges, (
                row,
                entry.get("temperature"),
                entry.get("strategy"),
            )
            assert row not in entry["quality_judges"]
            assert entry["quality_bpc"] == pytest.approx(np.mean(list(entry["quality_judges"].values())))
    human = corpus["human"]
    assert set(human["quality_judges"]) == {"nmarkov", "nmarkov-2"}
    entry = cell(results, "nmarkov")["sweep"][2]
    own_human = human["quality_judges"]["nmarkov-2"]
    assert entry["quality_human_bpc"] == pytest.approx(own_human)  # the same judge on both sides
    assert entry["quality_gap"] == pytest.approx(entry["quality_bpc"] - own_human)


def test_human_intervals_and_operating_points(results):
    (corpus,) = results["corpora"]
    human = corpus["human"]
    for key in ("distinct_2", "self_bleu_4"):
        low, high = human["intervals"][key]
        assert low < human["cells"][0][key] < high
    point = corpus["operating_points"]["markov"]
    assert point is not None and 0.0 <= point["temperature"] <= 1.5
    low, high = point["bracket"]
    assert low <= point["temperature"] <= high and {low, high} <= {0.0, 0.5, 1.0, 1.5}
    assert point["matched"] == (point["gap"] <= 1)
    verdict = corpus["strategy_verdicts"]["markov"]
    assert verdict is None or verdict["strategy"] in STRATEGIES


# ---------------------------------------------------------------- the quality rule by hand


PIECE = {
    "judges": {
        "a": {
            "human": 2.0,
            "cells": {
                "c/x/seed-0": {
                    "temperatures": [{"temperature": 1.0, "quality_bpc": 3.0}],
                    "strategies": {"s": 1.0},
                }
            },
        },
        "b": {
            "human": 2.5,
            "cells": {
                "c/x/seed-0": {
                    "temperatures": [{"temperature": 1.0, "quality_bpc": 4.0}],
                    "strategies": {"s": None},
                }
            },
        },
    }
}


def test_quality_is_the_mean_over_judges_and_its_gap_uses_the_same_judges():
    judged = cell_quality(PIECE, "c/x/seed-0")
    at_one = judged["temperatures"][1.0]
    assert (
        at_one["quality_bpc"] == 3.5 and at_one["quality_human_bpc"] == 2.25 and at_one["quality_gap"] == 1.25
    )
    assert at_one["quality_judges"] == {"a": 3.0, "b": 4.0}
    strategy = judged["strategies"]["s"]  # b scored no text: a alone, on both sides
    assert strategy == {
        "quality_bpc": 1.0,
        "quality_judges": {"a": 1.0},
        "quality_human_bpc": 2.0,
        "quality_gap": -1.0,
    }
    assert human_quality(PIECE) == {
        "quality_bpc": 2.25,
        "quality_judges": {"a": 2.0, "b": 2.5},
        "quality_gap": 0.0,
    }
    assert quality_fields({}, {})["quality_bpc"] is None
    assert cell_quality(PIECE, "other/x/seed-0") == {"temperatures": {}, "strategies": {}}


# ---------------------------------------------------------------- the report


def test_the_report_shows_the_strategy_table_guide_and_operating_points(results):
    report = REPORTS["md"]
    start = report.index("## Decoding strategies")
    part = report[start : report.index("\n## ", start + 1)]
    rows = [line for line in part.splitlines() if line.startswith("| nmarkov ")]
    min_p = next(row for row in rows if "min-p 0.2" in row)
    assert min_p.count("not supported") == 10  # every column of an unsupported cell
    assert "| human (test split) |" in part and "judged bpc − human's" in part
    for name, words in [
        ("min-p 0.2", "tokens at least 0.2 × as likely as the most likely one (Nguyen et al. 2024)"),
        ("no-repeat 2-gram", "no token that completes a 2-gram of tokens already in the text"),
        ("rep. penalty 1.5", "divided by 1.5 when positive, multiplied when negative (Keskar et al. 2019"),
    ]:
        assert f"- **{name}**: " in part and words in part
    assert "every judge but itself" in part and "lower is not better" in part
    assert "²" not in report  # no judge scored its own samples
    summary = report[report.index("### Operating points") : report.index("## Likelihood")]
    assert "interpolated, not measured" in summary and "Use markov at T ≈ " in summary
    assert "Decoding strategies" in REPORTS["html"] and "Operating points" in REPORTS["html"]
    csv = pd.read_csv(io.StringIO(REPORTS["csv"]))
    top_k = csv[(csv.generator == "nmarkov") & (csv.strategy == "top-k 3") & (csv.metric == "distinct_2")]
    assert top_k.temperature.item() == 1.0
    assert csv[(csv.generator == "nmarkov") & (csv.strategy == "min-p 0.2")].empty  # not supported: no rows


def test_strategies_are_summarised_over_seeds():
    cells = [
        {
            "strategies": [
                {
                    "strategy": "s",
                    "supported": True,
                    "settings": {"top_k": 3},
                    "seed": 9,
                    "distinct_2": 0.4,
                    "cycling": {"degenerate_share": 0.1},
                }
            ]
        },
        {
            "strategies": [
                {
                    "strategy": "s",
                    "supported": True,
                    "settings": {"top_k": 3},
                    "seed": 8,
                    "distinct_2": 0.6,
                    "cycling": {"degenerate_share": 0.3},
                }
            ]
        },
    ]
    (summary,) = strategies_summary(cells)
    assert summary["strategy"] == "s" and summary["supported"] and summary["settings"] == {"top_k": 3}
    assert summary["distinct_2"]["mean"] == pytest.approx(0.5) and summary["distinct_2"]["n"] == 2
    assert summary["cycling"]["degenerate_share"]["mean"] == pytest.approx(0.2) and "seed" not in summary
    cells[1]["strategies"][0] = {"strategy": "s", "supported": False, "settings": {"top_k": 3}}
    assert not strategies_summary(cells)[0]["supported"]
