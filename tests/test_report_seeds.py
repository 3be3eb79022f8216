"""The report of a run with several training seeds: mean ± sd, intervals, tie-aware ranks, the verdict.

The results are built here from constructed cells through the harness's own summaries
(``aggregate_rows``, ``corpus_comparisons``), so the numbers are known: "close" trails "best" by
0.002 bpc with seed noise of 0.02 (not separable), "far" by 0.3 bpc on every chunk (separable).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from benchmarks.report import render_report
from benchmarks.run.aggregate import aggregate_rows
from benchmarks.run.comparisons import corpus_comparisons
from benchmarks.run.layout import SCHEMA_VERSION

LN2 = float(np.log(2))
CHUNKS, CHUNK_CHARS, SEEDS, PROMPTS = 20, 1000, [0, 1, 2], 10
OFFSETS = {"best": 2.0, "close": 2.002, "far": 2.3}  # bpc


def constructed_cell(row: str, seed: int, rng: np.random.Generator) -> dict:
    text_noise = np.linspace(-0.1, 0.1, CHUNKS)  # the same test text for every row and seed
    seed_noise = 0.0 if row == "far" else rng.normal(0, 0.02)
    bpc_chunks = OFFSETS[row] + text_noise + seed_noise
    nll = (bpc_chunks * CHUNK_CHARS * LN2).tolist()
    bpc = float(np.sum(nll) / (CHUNKS * CHUNK_CHARS * LN2))
    looped = [1.0 if row == "far" else 0.0] * PROMPTS  # greedy: "far" loops in every continuation
    per_prompt = {"looped": looped, "seq_rep_4": looped, "self_bleu_4": rng.uniform(0, 0.1, PROMPTS).tolist()}
    plain = {"looped": [0.0] * PROMPTS, "seq_rep_4": [0.0] * PROMPTS, "self_bleu_4": [0.05] * PROMPTS}
    sweep = [
        {"temperature": 0.0, "samples": PROMPTS, "loop_rate": looped[0], "per_prompt": per_prompt},
        {"temperature": 1.0, "samples": PROMPTS, "loop_rate": 0.0, "per_prompt": plain},
    ]
    return {
        "id": f"{row}/corpus/seed-{seed}",
        "row": row,
        "generator": row,
        "corpus": "corpus",
        "seed": seed,
        "budget": {"seconds": None, "steps": 100},
        "status": "ok",
        "error": None,
        "failed_stage": None,
        "describe": {"parameters": 10},
        "fit": {"steps": 100, "stopped_by": "steps", "curve": []},
        "likelihood": {"bpc": bpc, "chunks": {"nll_nats": nll, "chars": [CHUNK_CHARS] * CHUNKS}},
        "sweep": sweep,
        "demo_samples": [],
        "throughput": {},
        "stage_seconds": {},
    }


def cut_short(cell: dict) -> dict:
    """``cell`` as a time cap would have left it: stopped at 40 of its 100 steps."""
    return {
        **cell,
        "budget": {"seconds": 900.0, "steps": 100},
        "fit": {**cell["fit"], "steps": 40, "stopped_by": "seconds"},
    }


def render(tmp_path, cut: frozenset[tuple[str, int]] = frozenset()) -> str:
    """The report of the constructed cells; the (row, seed) cells in ``cut`` were cut short."""
    rng = np.random.default_rng(4)
    rows = list(OFFSETS)
    cells = [constructed_cell(row, seed, rng) for row in rows for seed in SEEDS]
    cells = [cut_short(c) if (c["row"], c["seed"]) in cut else c for c in cells]
    comparisons = corpus_comparisons(cells, rows, [0.0, 1.0], resamples=200)
    results = {
        "schema": SCHEMA_VERSION,
        "created": "2026-12-01T00:00:00+00:00",
        "config": {"run": {"name": "seeds"}, "sweep": {"temperatures": [0.0, 1.0]}},
        "environment": {},
        "rows": rows,
        "seeds": SEEDS,
        "corpora": [
            {
                "name": "corpus",
                "key": "corpus",
                "summary": {"name": "corpus"},
                "prompts": {"test": [], "demo": []},
                "human": {"cells": [{}]},
                "judge": {},
                "rows": aggregate_rows(cells, rows, comparisons["bpc"]["intervals"]),
                "comparisons": comparisons,
            }
        ],
        "cells": cells,
    }
    (tmp_path / "results.json").write_text(json.dumps(results), encoding="utf-8")
    return render_report(tmp_path).read_text(encoding="utf-8")


@pytest.fixture
def report(tmp_path) -> str:
    return render(tmp_path)


def summary_row(report: str, name: str) -> list[str]:
    line = next(line for line in report.splitlines() if line.startswith(f"| {name} "))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_ranks_tie_what_the_tests_cannot_separate(report):
    assert summary_row(report, "best")[1] == "1="
    assert summary_row(report, "close")[1] == "1="
    assert summary_row(report, "far")[1] == "3"


def test_values_are_mean_and_sd_over_seeds_with_an_interval(report):
    assert "bpc, mean ± sd [95% CI]" in report
    assert re.fullmatch(r"2\.300 ± 0\.000 \[2\.2\d\d, 2\.3\d\d\]", summary_row(report, "far")[2])
    assert re.fullmatch(r"2\.0\d\d ± 0\.0\d\d \[1\.9\d\d, 2\.\d\d\d\]", summary_row(report, "best")[2])


def test_the_report_opens_with_a_verdict_as_strong_as_its_tests(report):
    summary = report[report.index("## Verdict") :]
    first = summary.splitlines()[2]
    assert re.match(
        r"\*\*Lowest test bpc: (best|close)\*\* \([12]\.\d\d\d\)\. (best|close) cannot be told apart", first
    )
    assert "far is higher" in first and "3 training seeds" in first
    assert "**Greedy decoding loops most in far** (1.000 of continuations)." in first  # separable from both
    assert "Values are means over 3 training seeds (0, 1, 2)" in summary
    assert "training-seed spread was not measured" not in report


def verdict_line(report: str) -> str:
    return report[report.index("## Verdict") :].splitlines()[2]


def test_a_verdict_ranking_cut_short_rows_says_so_in_the_same_sentence(tmp_path):
    """A winner named against rows a time cap stopped says, in that sentence, which were cut short."""
    first = verdict_line(render(tmp_path, frozenset({("close", 1), ("far", 0), ("far", 2)})))
    winner, rest = first.split(". ", 1)
    assert re.fullmatch(
        r"\*\*Lowest test bpc: (best|close)\*\* \([12]\.\d\d\d\), from a ranking in which close and far "
        r"were cut short by the time cap \(‡\) before their fixed work",
        winner,
    )
    assert "**Greedy decoding loops most in far** (1.000 of continuations), from a ranking in which" in rest
    alone = verdict_line(render(tmp_path, frozenset({("far", 1)})))
    assert "from a ranking in which far was cut short by the time cap (‡) before its fixed work." in alone
    assert "cut short" not in verdict_line(render(tmp_path))


def test_the_comparisons_table_has_every_pair(report):
    start = report.index("**Test bpc**")
    section = report[start : report.index("**Loop rate", start)]
    pairs = re.findall(r"^\| (\w+) − (\w+) ", section, re.M)
    assert len(pairs) == 3 and {frozenset(p) for p in pairs} == {
        frozenset({"best", "close"}),
        frozenset({"best", "far"}),
        frozenset({"close", "far"}),
    }
    far = [line for line in section.splitlines() if "− far" in line]
    assert all(line.rstrip(" |").endswith("yes") for line in far)
    close = next(line for line in section.splitlines() if re.match(r"\| (best − close|close − best) ", line))
    assert close.rstrip(" |").endswith("no")


def test_per_continuation_metrics_are_compared_at_each_temperature(report):
    section = report[report.index("## Comparisons") : report.index("## Three test prompts")]
    greedy = section[section.index("**Loop rate, T=0 (greedy)**") :]
    assert re.search(r"^\| (best|close) − far .*\| yes +\|$", greedy, re.M)
    assert "<details><summary>Every temperature</summary>" in section
    assert "**Self-BLEU-4, T=1**" in section and "**seq-rep-4, T=0 (greedy)**" in section
