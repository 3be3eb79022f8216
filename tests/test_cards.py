"""Model cards: the ending trend by hand on constructed curves, epochs, rows, the built-ins' cards."""

from __future__ import annotations

import pytest
from support import TINY_NEURAL_OPTIONS, VERSE

from benchmarks.run import contract
from benchmarks.run.aggregate import row_card
from benchmarks.run.cards import cell_card, row_verdict, training_end
from generators.base import CARD_KEYS, Budget, Corpus
from generators.errors import TextgenBenchError
from generators.registry import create_generator


def curve(*points: tuple[float, float]) -> list[dict[str, float]]:
    return [{"step": step, "valid_bpc": bpc, "seconds": 1.0} for step, bpc in points]


def test_a_curve_still_falling_in_its_last_fifth_is_still_improving():
    # last fifth of 1,000 steps: the points at 800, 900, 1000. By hand: mean step 900, mean bpc 2.21667;
    # Sxy = (−100)(0.08333) + 0 + (100)(−0.06667) = −15, Sxx = 20,000: slope −0.00075 per step
    end = training_end(curve((200, 3.0), (400, 2.6), (600, 2.4), (800, 2.3), (900, 2.2), (1000, 2.15)))
    assert end["end_points"] == 3
    assert end["end_change_bpc"] == pytest.approx(-0.00075 * 200)  # −0.15 bpc over the last fifth
    assert end["end_verdict"] == "still improving"


def test_a_flat_end_is_converged_and_a_rising_one_getting_worse():
    flat = training_end(curve((0, 3.0), (800, 2.0), (1000, 1.995)))  # −0.005 over the fifth
    assert flat["end_change_bpc"] == pytest.approx(-0.005)
    assert flat["end_verdict"] == "converged"
    rising = training_end(curve((0, 3.0), (800, 2.0), (1000, 2.02)))
    assert rising["end_change_bpc"] == pytest.approx(0.02) and rising["end_verdict"] == "getting worse"


def test_the_threshold_is_a_hundredth_of_a_bpc_over_the_last_fifth():
    assert training_end(curve((800, 2.0), (1000, 1.989)))["end_verdict"] == "still improving"
    assert training_end(curve((800, 2.0), (1000, 1.991)))["end_verdict"] == "converged"


def test_fewer_than_two_points_in_the_last_fifth_use_the_last_two():
    # gpt2's shape: checks at 200, 400, 600 and 750; 600 < 0.8 × 750 = 600? equal, so it is in
    assert training_end(curve((200, 2.69), (400, 2.50), (600, 2.365), (750, 2.32)))["end_points"] == 2
    # checks every 400 of 1,000 steps: only 1,000 lies in the fifth, so (800 is absent) 400 and 1,000
    end = training_end(curve((400, 2.5), (1000, 2.2)))
    assert end["end_points"] == 2
    assert end["end_change_bpc"] == pytest.approx(-0.3 / 600 * 200)


def test_a_single_validation_has_no_trend():
    one = {"end_change_bpc": None, "end_verdict": "no trend (one validation)", "end_points": 1}
    assert training_end(curve((1, 2.02))) == one
    assert training_end([])["end_points"] == 0
    stepless = [{"seconds": 3.0, "valid_bpc": 2.0}, {"seconds": 4.0, "valid_bpc": 1.9}]
    assert training_end(stepless)["end_points"] == 0


def test_a_cell_card_counts_epochs_over_the_train_split_and_the_validation_text_it_really_scored():
    card = {"architecture": "LSTM 2×8", "valid_chars": 20_000}
    fit = {"train_chars": 2_500, "steps": 10, "stopped_by": "steps", "curve": curve((5, 3.0), (10, 2.0))}
    out = cell_card(card, fit, {"train": 1_000, "valid": 300, "test": 400})
    assert out["epochs"] == 2.5 and out["steps"] == 10 and out["train_chars"] == 2_500
    assert out["valid_chars"] == 300  # the split is shorter than the prefix the model asks for
    assert out["end_verdict"] == "still improving" and out["architecture"] == "LSTM 2×8"
    assert (
        cell_card({**card, "valid_chars": None}, fit, {"train": 1, "valid": 77, "test": 1})["valid_chars"]
        == 77
    )
    assert cell_card(card, fit, {"train": 1_000, "valid": 50_000, "test": 1})["valid_chars"] == 20_000


def test_a_row_card_summarises_its_seeds_and_names_disagreeing_verdicts():
    def cell(seed, end):
        fit = {"train_chars": 1_000 + seed, "steps": 10, "curve": curve((5, 3.0), (10, end))}
        card = cell_card({"architecture": "x", "parameters": 7}, fit, {"train": 1_000, "valid": 9})
        return {"seed": seed, "card": card}

    row = row_card([cell(0, 2.0), cell(1, 2.0), cell(2, 3.0)])
    assert row["architecture"] == "x" and row["parameters"]["mean"] == 7
    assert row["train_chars"]["values"] == [1_000, 1_001, 1_002]
    assert row["end_verdict"] == "2 still improving, 1 converged"
    assert row_verdict(["converged"] * 3) == "converged"
    assert row_card([{"seed": 0, "card": None}]) is None


def test_the_built_in_generators_give_full_cards_that_name_their_size():
    corpus = Corpus("t", VERSE * 40, VERSE * 2, VERSE, "0")
    markov = create_generator("markov")
    markov.fit(corpus)
    card = contract.card(markov)
    assert set(CARD_KEYS) <= set(card)
    assert card["architecture"].startswith("word Markov chain, state size 2 (")
    assert "character 6-gram Kneser–Ney" in card["notes"] and card["pretrained"] is None
    assert "character 6-gram Kneser–Ney" in contract.describe(markov)["tokenizer"]  # the spelling model named
    lstm = create_generator("char-lstm", TINY_NEURAL_OPTIONS["char-lstm"])
    assert lstm.card()["architecture"] == "LSTM 1×32, embedding 16" and lstm.card()["valid_chars"] == 500
    gpt2 = create_generator("gpt2", TINY_NEURAL_OPTIONS["gpt2"])
    gpt2.fit(corpus, budget=Budget(steps=1))
    card = contract.card(gpt2)
    assert card["architecture"] == "transformer 2×32, 2 heads, context 32"
    assert card["parameters"] == contract.describe(gpt2)["parameters"] and card["vocabulary"] > 256


def test_a_card_lacking_a_key_breaks_the_contract():
    markov = create_generator("markov")
    markov.card = lambda: {"architecture": "x"}
    with pytest.raises(TextgenBenchError, match="card"):
        contract.card(markov)
