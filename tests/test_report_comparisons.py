"""The comparisons as the report shows them: intervals against "separable", tables that cannot
separate anything, p-values at the sign-flip floor, and numbers that the report repeats.

Results are built from constructed cells through the harness's own ``corpus_comparisons``, one
training seed, 40 prompts at T=0 with known loops: "steady" never loops, "rare" on 5 prompts,
"drifty" on 6 others, "loopy" on all. So steady − rare has p_t < 0.05 but a sign-flip p of about
2/2^5 (the guard holds it back), steady − drifty p ≈ 2/2^6 = 0.031 with a Holm factor of 3 (Holm
holds it back). The test text has 3 chunks (likelihood.max_test_chars = 25,000): no bpc pair can
be separable, however far apart.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from benchmarks.report import formatting as fmt
from benchmarks.report import html, markdown, significance
from benchmarks.report.data import Run
from benchmarks.run.aggregate import aggregate_rows
from benchmarks.run.comparisons import corpus_comparisons
from benchmarks.run.layout import SCHEMA_VERSION

LN2 = float(np.log(2))
PROMPTS = 40
CHUNK_CHARS = [10_000, 10_000, 5_000]  # likelihood.max_test_chars = 25,000 in chunks of 10,000
LOOPS = {"steady": [], "rare": range(10, 15), "drifty": range(6), "loopy": range(PROMPTS)}
BPC = {"steady": 2.0, "rare": 2.4, "drifty": 2.83, "loopy": 3.1}


def cell(row: str, prompts: int) -> dict:
    nll = [(BPC[row] + 0.05 * i + 0.02 * np.sin(i + len(row))) * c * LN2 for i, c in enumerate(CHUNK_CHARS)]
    looped = [1.0 if p in LOOPS[row] else 0.0 for p in range(prompts)]
    per_prompt = {"looped": looped, "seq_rep_4": looped, "self_bleu_4": [0.1] * prompts}
    return {
        "id": f"{row}/corpus/seed-0",
        "row": row,
        "generator": row,
        "corpus": "corpus",
        "seed": 0,
        "status": "ok",
        "describe": {},
        "fit": {},
        "likelihood": {
            "bpc": float(sum(nll) / (sum(CHUNK_CHARS) * LN2)),
            "scored_chars": sum(CHUNK_CHARS),
            "chunks": {"nll_nats": nll, "chars": [float(c) for c in CHUNK_CHARS]},
        },
        "sweep": [{"temperature": 0.0, "loop_rate": float(np.mean(looped)), "per_prompt": per_prompt}],
        "throughput": {},
    }


def view_of(prompts: int = PROMPTS):
    rows = list(LOOPS)
    cells = [cell(row, prompts) for row in rows]
    comparisons = corpus_comparisons(cells, rows, [0.0], resamples=200)
    corpus = {
        "name": "corpus",
        "key": "corpus",
        "summary": {"name": "corpus", "chars": {"test": 531_538}},
        "prompts": {"test": [{"text": "x"}] * prompts, "demo": []},
        "rows": aggregate_rows(cells, rows, comparisons["bpc"]["intervals"]),
        "comparisons": comparisons,
    }
    config = {
        "likelihood": {"max_test_chars": 25_000, "ci_chunk_chars": 10_000, "bootstrap_resamples": 200},
        "sweep": {"temperatures": [0.0], "test_prompts": prompts},
    }
    data = {"schema": SCHEMA_VERSION, "config": config, "rows": rows, "seeds": [0], "corpora": [corpus]}
    return Run({**data, "cells": cells}).views[0]


@pytest.fixture(scope="module")
def view():
    return view_of()


def table_of(lines: list[str], title: str) -> tuple[list[list[str]], str]:
    """The rows of the table under **title**, and the paragraph after it ("" when none)."""
    lines = "\n".join(lines).splitlines()
    start = lines.index(f"**{title}**")
    end = next(i for i in range(start + 2, len(lines)) if not lines[i].startswith("|"))
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines[start + 4 : end]]
    after = lines[end + 1] if end + 1 < len(lines) and not lines[end + 1].startswith(("**", "<")) else ""
    return rows, after


def interval(cell: str) -> tuple[float, float]:
    low, high = re.search(r"\[(-?[\d.]+), (-?[\d.]+)\]", cell).groups()
    return float(low), float(high)


def test_every_interval_agrees_with_separable_or_a_sentence_says_why(view):
    lines = markdown.significance.comparisons(view)
    rows, note = table_of(lines, "Loop rate, T=0 (greedy)")
    named = {row[0]: row for row in rows}
    disagree = []
    for name, row in named.items():
        low, high = interval(row[1])
        assert -1.0 <= low <= high <= 1.0
        excludes_zero = not low <= 0.0 <= high
        if row[4] == "yes":
            assert excludes_zero
        elif excludes_zero:
            disagree.append(name)
            assert f"{name}: the interval" in note
    assert sorted(disagree) == ["steady − drifty", "steady − rare"]
    assert (
        "steady − rare: the interval (the t-test's, p 0.0" in note
        and "the sign-flip test over the same prompts does not confirm it" in note
    )
    assert (
        "steady − drifty: the interval excludes 0 (p 0.03" in note
        and "Holm's correction over the table's 6 pairs raises p to 0.10" in note
    )
    assert named["steady − loopy"][1] == "-1.000 [-1.000, -1.000]"  # all-0 against all-1


def test_a_table_that_cannot_separate_says_so_and_names_the_setting(view):
    lines = markdown.significance.comparisons(view)
    rows, note = table_of(lines, "Test bpc")
    assert all(row[4] == "no" and float(row[2]) >= 0.25 for row in rows)
    assert any(interval(row[1])[1] < 0.0 for row in rows)  # the t intervals alone exclude 0
    assert note.startswith("No pair can be told apart here, whatever the data: with 3 test chunks")
    assert "cannot go below 0.25" in note and "over 6 pairs raises that to 1.0" in note
    assert "at least 8 test chunks: raise `likelihood.max_test_chars` (now 25,000;" in note
    assert "lower `likelihood.ci_chunk_chars` (now 10,000)" in note
    verdict = significance.verdict(view)[0]
    assert (
        verdict.startswith("**Lowest test bpc: steady** (2.") and "No pair can be told apart here" in verdict
    )
    shown = re.sub(r"</?code>", "`", html.comparisons_block(view)).replace("&#x27;", "'")
    assert note in shown  # the HTML page says it under the same table


def test_too_few_prompts_name_the_sweep_setting():
    small = view_of(prompts=5)  # 5 prompts: the sign flip's floor 2/32, times 6 pairs
    entry = next(e for e in significance.comparison_tables(small) if e.title.startswith("Loop rate"))
    (note,) = significance.table_notes(small, entry)
    assert "with 5 prompts the sign-flip test's p cannot go below 0.062" in note
    assert note.endswith("it takes at least 8 prompts: raise `sweep.test_prompts` (now 5).")
    assert "No pair can be told apart here" in significance.verdict(small)[0]


def test_p_values_at_the_floor_read_the_same_in_the_table_and_the_guide(view):
    rows, _ = table_of(markdown.significance.comparisons(view), "Loop rate, T=0 (greedy)")
    steady_loopy = next(row for row in rows if row[0] == "steady − loopy")
    assert steady_loopy[2:4] == ["0.00020", "0.0012"]  # 2/10,001, and 6 × that after Holm
    assert not any("<" in cell for row in rows for cell in row[2:4])
    guide = significance.p_floor_guide(view)
    assert "2/2^U when 2^U ≤ 10,000" in guide and "else 2/10,001" in guide
    assert "here 0.25 with 3 test chunks; 0.00020 with 40 prompts" in guide
    assert "(here 6 pairs: 0.25 becomes 1.0)" in guide
    assert guide in significance.comparisons(view)  # beside the tables whose p it explains


@pytest.mark.parametrize(
    ("p", "shown"),
    [(2 / 10_001, "0.00020"), (6 * 2 / 10_001, "0.0012"), (0.036, "0.036"), (0.255, "0.26"), (1.0, "1.0")],
)
def test_p_values_show_two_significant_figures(p, shown):
    assert fmt.p_value(p) == shown


@pytest.mark.parametrize(("p", "shown"), [(0.0496, "0.0496"), (0.04999, "0.04999"), (0.0503, "0.050")])
def test_a_p_value_is_never_rounded_across_alpha(p, shown):
    assert fmt.p_value(p, 0.05) == shown


def test_chunk_counting_is_stated_as_it_is_and_agrees_wherever_repeated(view):
    note = markdown.likelihood(view, None)[-2]
    assert "3 chunks (2 of 10,000 characters, the last of 5,000)" in note
    count, full, size, last = map(
        lambda n: int(n.replace(",", "")),
        re.search(
            r"([\d,]+) chunks \(([\d,]+) of ([\d,]+) characters, the last of ([\d,]+)\)", note
        ).groups(),
    )
    assert count == full + 1 == view.comparisons("bpc")["units"]
    assert full * size + last == view.entry("steady")["likelihood"]["scored_chars"]
    assert f"{count} test chunks" in significance.p_floor_guide(view)


@pytest.mark.parametrize(
    ("chars", "said"),
    [
        ([10_000.0] * 53 + [1_538.0], "54 chunks (53 of 10,000 characters, the last of 1,538)"),
        ([2_000.0] * 10, "10 chunks of 2,000 characters"),
        ([7.0], "1 chunk of 7 characters"),
    ],
)
def test_chunk_layout(chars, said):
    assert fmt.chunk_layout(chars) == said


def test_a_table_whose_every_difference_is_zero_is_one_line():
    pair = {"a": "x", "b": "y", "difference": 0.0, "low": 0.0, "high": 0.0, "p_value": 1.0, "p_holm": 1.0}
    zero = significance.ComparisonTable("Loop rate, T=1.8", {"pairs": [pair, {**pair, "b": "z"}]}, str, "prompts", True)
    assert significance.all_zero(zero.table)
    assert significance.comparison_lines(None, zero) == [
        "**Loop rate, T=1.8**: every generator gives the same value (every difference 0).",
        "",
    ]
    assert not significance.all_zero({"pairs": [pair, {**pair, "difference": 0.01}]})
    assert not significance.all_zero({"pairs": []})
