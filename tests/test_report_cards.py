"""The report's model cards read what results.json stores, and dashes where it stores nothing."""

from __future__ import annotations

from benchmarks.report import cards
from benchmarks.report.data import Run


def run_with(card: dict | None, fit_seconds: float = 240.0, profile: str = "quick") -> Run:
    row = {
        "card": card,
        "fit": {"seconds": {"mean": fit_seconds, "sd": None, "n": 1, "values": [fit_seconds]}},
    }
    corpus = {
        "name": "c",
        "summary": {"chars": {"train": 4_000_000, "valid": 383_981, "test": 531_538}},
        "rows": {"gpt2": row},
    }
    return Run(
        {
            "schema": 2,
            "rows": ["gpt2"],
            "device": "cpu",
            "config": {"run": {"name": profile}},
            "corpora": [corpus],
            "cells": [{"row": "gpt2", "corpus": "c", "seed": 0}],
        }
    )


def stat(value: float) -> dict:
    return {"mean": value, "sd": None, "n": 1, "values": [value]}


CARD = {
    "architecture": "transformer 4×128, 4 heads, context 128",
    "pretrained": None,
    "tokenizer": "byte-level BPE",
    "vocabulary": 2048,
    "valid_chars": 100_000,
    "notes": "",
    "parameters": stat(1_071_872),
    "train_chars": stat(4_169_250),
    "epochs": stat(1.0066),
    "steps": stat(750),
    "end_change_bpc": stat(-0.045),
    "end_verdict": "still improving",
}


def test_a_card_row_names_size_tokens_training_and_its_ending():
    view = run_with(CARD).views[0]
    (row,) = cards.cards_table(view).to_dict("records")
    assert row == {
        "generator": "gpt2",
        "model": "transformer 4×128, 4 heads, context 128, from scratch",
        "parameters": "1.07 M",
        "tokens": "byte-level BPE (2,048)",
        "trained": "4.17 M characters (1.01 epochs), 750 steps",
        "training ended": "still improving (-0.045 bpc over the last fifth)",
    }
    assert cards.validation_text(view, "gpt2") == "first 100,000 characters of valid"
    assert cards.budget_line(view) == "quick profile: about 4 minutes of CPU training each"


def test_a_pretrained_model_and_a_whole_validation_split_are_said_so():
    view = run_with({**CARD, "pretrained": "gpt2-medium", "valid_chars": 383_981}).views[0]
    assert cards.model(cards.row_card(view, "gpt2")).endswith(", pretrained gpt2-medium")
    assert cards.validation_text(view, "gpt2") == "all 383,981 characters of valid"


def test_results_without_cards_show_dashes():
    view = run_with(None).views[0]
    (row,) = cards.cards_table(view).to_dict("records")
    assert set(row.values()) == {"gpt2", "—"}
    assert cards.validation_text(view, "gpt2") == "validation text not recorded"
    assert cards.budget_line(view) == "quick profile"


def test_the_verdict_states_the_budget_and_which_models_were_still_learning():
    (line, _) = cards.scope_lines(run_with(CARD).views[0])
    assert line.startswith(
        "**The budget this ranking holds at**: quick profile: about 4 minutes of CPU training each, "
        "1.01 passes over the train split; models of 1.07 M parameters, every one trained "
        "from scratch. 1 of the 1 trained models (gpt2) was still improving when training stopped"
    )
    assert line.endswith(
        "it does not claim which architecture is better at other sizes, with longer training or on other text."
    )
    unknown = cards.scope_lines(run_with({**CARD, "end_verdict": "no trend (one validation)"}).views[0])[0]
    assert (
        "Too few validations to tell how training ended for gpt2." in unknown
        and "still improving" not in unknown
    )
    assert cards.scope_lines(run_with(None).views[0]) == []


def test_each_learning_curve_has_a_panel_naming_its_validation_text():
    from benchmarks.report.curves import learning_figure

    view = run_with(CARD).views[0]
    assert learning_figure(view) is None  # the fixture's cell holds no curve
    view.run.data["cells"][0]["fit"] = {
        "train_chars": 1_000,
        "steps": 10,
        "curve": [{"step": 5, "valid_bpc": 3.0, "train_chars": 500}, {"step": 10, "valid_bpc": 2.5}],
    }
    figure = learning_figure(view)
    titles = [ax.get_title() for ax in figure.axes if ax.get_visible()]
    assert titles == ["gpt2: first 100,000 characters of valid\nstill improving"]
    (line,) = figure.axes[0].get_lines()
    assert list(line.get_xdata()) == [500, 1_000] and list(line.get_ydata()) == [3.0, 2.5]
