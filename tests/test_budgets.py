"""The budget axis: run.budgets expands each neural row into one row per budget (markov along its
own axis), the cells train for the scaled work, resume by piece, and rank per budget."""

from __future__ import annotations

import json

import pytest
from support import SMALL_RUN, TINY_RECURRENT, plan_of, small_config

from benchmarks.run.harness import run_benchmark
from benchmarks.run.plan import plan_rows
from benchmarks.run.scaling import crossings
from benchmarks.run.settings import load_config
from benchmarks.run.store import RunStore
from generators.errors import ConfigError
from generators.options import merged

AXIS = ["run.budgets=[4, 0.25, 1]", "generators.markov.budget_axis={state_size=[1, 2, 3]}"]


def test_the_quick_profile_expands_into_one_row_per_budget():
    config, _ = load_config("quick", AXIS)
    rows = {row.name: row for row in plan_rows(config)}
    assert list(rows) == [
        "markov@state_size=1",
        "markov@state_size=2",
        "markov@state_size=3",
        *[f"{g}@{m}x" for g in ("char-lstm", "word-lstm", "gpt2") for m in ("0.25", "1", "4")],
    ]
    assert [rows[f"markov@state_size={s}"].options["state_size"] for s in (1, 2, 3)] == [1, 2, 3]
    assert rows["markov@state_size=1"].multiplier is None and rows["markov@state_size=1"].series == "markov"
    gpt2 = rows["gpt2@0.25x"]  # 750 steps, schedule 5,000, warm-up 200, validation every 200; 8 h cap
    assert (gpt2.budget_steps, gpt2.budget_seconds, gpt2.multiplier, gpt2.series) == (
        188,
        7200.0,
        0.25,
        "gpt2",
    )
    optim = gpt2.options["optim"]
    assert (optim["max_steps"], optim["warmup_steps"], optim["eval_every"]) == (1250, 50, 50)
    char = rows["char-lstm@4x"]
    assert (char.budget_steps, char.budget_seconds, char.options["optim"]["max_steps"]) == (
        16000,
        115200.0,
        40000,
    )


def test_at_one_times_the_budget_a_row_is_the_profile_row():
    config, _ = load_config("quick", AXIS)
    quick, _ = load_config("quick")
    profile = {row.name: row for row in plan_rows(quick)}
    for row in plan_rows(config):
        if row.multiplier == 1:  # the same options and budget: the same model in the cache
            base = profile[row.series]
            assert (row.options, row.budget_steps, row.budget_seconds) == (
                base.options,
                base.budget_steps,
                base.budget_seconds,
            )


def test_without_budgets_nothing_expands():
    config, _ = load_config("quick", ["generators.markov.budget_axis={state_size=[1, 2]}"])
    assert [row.name for row in plan_rows(config)] == ["markov", "char-lstm", "word-lstm", "gpt2"]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("run.budgets=[1, 0]", "run.budgets must be distinct numbers > 0"),
        ("run.budgets=[1, 1]", "run.budgets must be distinct numbers > 0"),
        ("generators.markov.budget_axis={state_size=[1], seed=[2]}", "budget_axis must name one option"),
        ("generators.markov.budget_axis={state_size=[1, 1]}", "distinct values"),
    ],
)
def test_budget_settings_are_checked_where_they_are_read(setting, message):
    with pytest.raises(ConfigError, match=message):
        load_config("quick", [setting])


def test_an_axis_value_the_generator_refuses_names_its_row():
    config, _ = load_config("quick", ["run.budgets=[1]", "generators.markov.budget_axis={state_size=[0]}"])
    with pytest.raises(ConfigError, match="markov@state_size=0"):
        plan_rows(config)


def table(*pairs: tuple[str, str, bool]) -> dict:
    return {"pairs": [{"a": a, "b": b, "separable": separable} for a, b, separable in pairs]}


def test_a_crossing_needs_a_separable_order_on_both_sides():
    rankings = [
        {"multiplier": 0.25, "rows": {"x": 0, "y": 0}, "bpc": table(("x", "y", True))},
        {"multiplier": 1.0, "rows": {"x": 0, "y": 0}, "bpc": table(("y", "x", False))},
        {"multiplier": 4.0, "rows": {"x": 0, "y": 0}, "bpc": table(("y", "x", True))},
    ]
    assert crossings(rankings) == [{"passes": "y", "passed": "x", "after": 0.25, "by": 4.0}]
    rankings[2]["bpc"] = table(("y", "x", False))  # better on the point estimate only: no crossing
    assert crossings(rankings) == []


@pytest.fixture
def scaling_config(corpus_file, model_cache):
    generators = {
        "char-lstm": {"budget_steps": 20, "options": TINY_RECURRENT},
        "markov": {"budget_axis": {"state_size": [1, 2]}},
    }
    data = merged(SMALL_RUN, {"generators": generators})
    return small_config(corpus_file, data=data, generators=["markov", "char-lstm"], budgets=[1, 0.5])


def test_a_budget_axis_runs_one_cell_per_budget_and_resumes_by_cell(tmp_path, scaling_config):
    plan, corpora = plan_of(scaling_config)
    assert plan.rows == ["markov@state_size=1", "markov@state_size=2", "char-lstm@0.5x", "char-lstm@1x"]
    run_dir = run_benchmark(plan, corpora, run_dir=tmp_path / "run", log=lambda message: None)
    results = json.loads((run_dir / "results.json").read_text())
    cells = {c["row"]: c for c in results["cells"]}
    assert {c["status"] for c in cells.values()} == {"ok"}
    half, whole = cells["char-lstm@0.5x"], cells["char-lstm@1x"]
    assert (half["fit"]["steps"], whole["fit"]["steps"]) == (10, 20)
    assert (half["multiplier"], half["series"], half["budget"]["steps"]) == (0.5, "char-lstm", 10)
    assert whole["fit"]["training_flops"] == 2 * half["fit"]["training_flops"] > 0
    assert cells["markov@state_size=1"]["fit"]["training_flops"] is None
    scaling = results["corpora"][0]["scaling"]
    assert scaling["budgets"] == [0.5, 1.0]
    assert scaling["series"] == {
        "markov": ["markov@state_size=1", "markov@state_size=2"],
        "char-lstm": ["char-lstm@0.5x", "char-lstm@1x"],
    }
    first = scaling["rankings"][0]
    assert first["rows"] == {
        "markov@state_size=1": "markov@state_size=1",
        "markov@state_size=2": "markov@state_size=2",
        "char-lstm": "char-lstm@0.5x",
    }
    assert {g["generator"] for g in first["bpc"]["generators"]} == set(first["rows"])

    report = (run_dir / "report.md").read_text()
    assert "## Which generator wins at what budget" in report
    assert "| char-lstm " in report and "0.5× budget" in report
    assert (run_dir / "plots" / "scaling.png").read_bytes().startswith(b"\x89PNG")
    assert "id='budgets'" in (run_dir / "report.html").read_text()

    store = RunStore(run_dir)
    pieces = {p: p.read_bytes() for p in sorted(store.pieces_dir.rglob("*.json"))}
    store.discard(half["id"], "sweep")  # an interrupted cell: its other pieces are kept
    run_benchmark(plan, corpora, run_dir=run_dir, log=lambda message: None)
    changed = [p for p in pieces if p.read_bytes() != pieces[p]]
    sweep, samples = store.piece_path(half["id"], "sweep"), store.piece_path(half["id"], "samples")
    judged = store.pieces_dir / "_judge"  # the samples changed, so they are judged again
    assert set(changed) - {sweep, samples} == {p for p in pieces if p.is_relative_to(judged)}
    assert sweep.exists()
