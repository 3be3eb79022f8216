"""The markov generator: hand-computed Kneser–Ney, normalisation, open vocabulary, persistence.

Its text (greedy, sampling, batches) is tested in test_markov_generation.py."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markov_support import char_model, closed_logprob, corpus_of, fitted, last_logprob, word_model

from generators.base import UNICODE_SCALAR_COUNT, Corpus, Sampling
from generators.errors import ConfigError, CorpusError
from generators.markov.generator import MarkovGenerator, split_stream
from generators.registry import get_generator_class
from generators.testing.texts import make_text

D = 0.75  # the Kneser–Ney discount the generator uses


# ---------------------------------------------------------------- Kneser–Ney by hand


def test_bigram_kneser_ney_by_hand():
    g = fitted("a b a c", state_size=1, unk_base=0.4)
    # vocab a, b, c + UNK; base: (1 - 0.4) / 3 per word, 0.4 for UNK.
    base = 0.6 / 3
    # level 0 continuation counts N1+(• w): a <- {BEGIN, b} = 2, b <- {a} = 1, c <- {a} = 1; total 4, 3 types
    p0 = {w: (n - D) / 4 + D * 3 / 4 * base for w, n in {"a": 2, "b": 1, "c": 1}.items()}
    # level 1 raw counts after "a": b 1, c 1 (total 2, 2 types)
    p1_b_after_a = (1 - D) / 2 + D * 2 / 2 * p0["b"]
    p1_a_after_a = 0 / 2 + D * 2 / 2 * p0["a"]
    assert closed_logprob(g, " b", "a b a") == pytest.approx(math.log(p1_b_after_a), abs=1e-12)
    assert closed_logprob(g, " a", "a") == pytest.approx(math.log(p1_a_after_a), abs=1e-12)
    # "c" is only followed by END (not scored): an unseen context passes level 0 through (λ = 1)
    assert closed_logprob(g, " a", "a b a c") == pytest.approx(math.log(p0["a"]), abs=1e-12)
    # unknown word: P(UNK | a) times its spelling, renormalised to strings outside the vocabulary
    p1_unk = D * 2 / 2 * (D * 3 / 4 * 0.4)
    spelling = g.spelling
    outside = 1 - float(np.exp(spelling.raw_logprobs(list("abc"))).sum())  # unconditional P_spell
    expected = math.log(p1_unk) + spelling.raw_logprobs(["zz"])[0] - math.log(outside)
    assert closed_logprob(g, " zz", "a") == pytest.approx(expected, abs=1e-12)


def test_trigram_kneser_ney_uses_continuation_counts_by_hand():
    g = fitted("a b a b a b c", state_size=2, unk_base=0.5)
    base = 0.5 / 3
    # padded B B a b a b a b c. Trigram counts: (a b a) 2, (b a b) 2, (B B a) 1, (B a b) 1, (a b c) 1.
    # Bigram continuation counts N1+(• h w): (a b) 2 [B, b] (its raw count is 3), (b a) 1, (b c) 1, (B a) 1.
    # Unigram continuation counts from bigram types (B a) (a b) (b a) (b c): a 2, b 1, c 1 (total 4, 3 types).
    p0 = {w: (n - D) / 4 + D * 3 / 4 * base for w, n in {"a": 2, "b": 1, "c": 1}.items()}
    # bigram level after "b": (b a) 1, (b c) 1 -> total 2, 2 types
    p1 = {w: (1 - D) / 2 + D * 2 / 2 * p0[w] for w in "ac"}
    # trigram level after "a b": a 2, c 1 -> total 3, 2 types
    p2 = {w: (n - D) / 3 + D * 2 / 3 * p1[w] for w, n in {"a": 2, "c": 1}.items()}
    assert closed_logprob(g, " c", "a b a b") == pytest.approx(math.log(p2["c"]), abs=1e-12)
    assert closed_logprob(g, " a", "b a b") == pytest.approx(math.log(p2["a"]), abs=1e-12)
    # bigram level after "a": only (a b), continuation count 2 -> total 2, 1 type
    p1_b_after_a = (2 - D) / 2 + D * 1 / 2 * p0["b"]
    # the context "c a" is unseen at the trigram level, so the bigram level decides
    assert closed_logprob(g, " b", "c a") == pytest.approx(math.log(p1_b_after_a), abs=1e-12)


def reference_logprobs(train: list[str], text: list[str], k: int, unk_base: float, g: MarkovGenerator):
    """Interpolated KN written plainly with dicts over the training token stream (not the chain)."""
    vocab = sorted(set(train))
    padded = ["<s>"] * k + train
    levels = [Counter() for _ in range(k + 1)]  # level m: (context of m tokens, word) -> KN count
    levels[k] = Counter((tuple(padded[i : i + k]), padded[i + k]) for i in range(len(train)))
    for m in range(k - 1, -1, -1):
        levels[m] = Counter((h[1:], w) for h, w in levels[m + 1])  # one per distinct left extension
    totals = [Counter() for _ in range(k + 1)]
    types = [Counter() for _ in range(k + 1)]
    for m in range(k + 1):
        for (h, _), c in levels[m].items():
            totals[m][h] += c
            types[m][h] += 1
    history = ["<s>"] * k
    out = []
    for w in text:
        known = w in vocab
        p = (1 - unk_base) / len(vocab) if known else unk_base
        for m in range(k + 1):
            h = tuple(history[len(history) - m :]) if m else ()
            if totals[m][h]:
                c = levels[m][(h, w)] if known else 0
                p = (max(c - D, 0) + D * types[m][h] * p) / totals[m][h]
        out.append(math.log(p) + (0.0 if known else float(g._unknown_costs([w])[0])))
        history.append(w)
    return np.array(out)


def test_kneser_ney_matches_a_plain_reference():
    train = make_text(1500, seed=4).replace(" the ", "  the ").replace(".", ".\t")
    for k in (1, 3):
        g = fitted(train, state_size=k, unk_base=0.3)
        tokens, _ = split_stream(train, "word")
        text, _ = split_stream(make_text(400, seed=5) + " zebra  quux\n\n the", "word")
        reference = reference_logprobs(tokens, text, k, 0.3, g)
        assert np.allclose(g.token_logprobs(text), reference, rtol=0, atol=1e-10)


# ---------------------------------------------------------------- normalisation and open vocabulary


@pytest.mark.parametrize("context", ["", "The", "The king", "the sea where the", "unseen words here", "x\n"])
def test_word_distribution_sums_to_one(context):
    g = word_model()
    history, _ = split_stream(context, "word")
    known = sum(math.exp(g.token_logprobs([*history, w], first=len(history))[0]) for w in g.vocab)
    # P(UNK | context): the spelling's logprob is already conditional on lying outside the vocabulary
    unknown = g.token_logprobs([*history, "zzq"], first=len(history))[0] - g.spelling.logprob("zzq")
    assert known + math.exp(unknown) == pytest.approx(1.0, abs=1e-9)
    if context:  # the same numbers through score(): a word after the context, glued by one space
        glue = "" if context[-1].isspace() else " "
        assert closed_logprob(g, glue + "king", context) == pytest.approx(
            g.token_logprobs([*history, "king"], len(history))[0], abs=1e-12
        )


@pytest.mark.parametrize("context", ["", "T", "The ki", "\n", "😀", "qqqq"])
def test_char_distribution_sums_to_one_and_matches_score(context):
    g = char_model()
    dist = g.next_char_distribution(context)
    assert len(dist.logprobs) + dist.rest_count == UNICODE_SCALAR_COUNT
    assert dist.total() == pytest.approx(1.0, abs=1e-6)
    for char in ["e", " ", "\n", "Ж", "😀"]:
        expected = dist.logprobs.get(char, dist.rest_logprob)
        assert last_logprob(g, char, context) == pytest.approx(expected, abs=1e-12)


def test_word_level_has_no_next_char_distribution():
    with pytest.raises(NotImplementedError):
        word_model().next_char_distribution("The")


ODD_TEXTS = [
    "",
    " ",
    "😀🎉",
    "日本語の文",
    "e\u0301\u0302",
    "\x00\x07\x1b",
    "\t \n\r\n",
    "zzqx wwv ÿÿ",
    "the",
]


@pytest.mark.parametrize("model", [word_model, char_model])
@pytest.mark.parametrize("text", ODD_TEXTS)
def test_scores_are_finite_on_odd_text(model, text):
    for context in ("", "the king", "😀"):
        scores = model().score(text, context)
        assert scores.shape == (len(text),)
        assert np.isfinite(scores).all() and (scores <= 0).all()


@settings(max_examples=40, deadline=None)
@given(text=st.text(max_size=40), context=st.text(max_size=10))
def test_scores_are_finite_on_any_unicode(text, context):
    for g in (word_model(), char_model()):
        scores = g.score(text, context)
        assert scores.shape == (len(text),)
        assert np.isfinite(scores).all() and (scores <= 0).all()


def test_context_conditions_the_score():
    g = word_model()
    whole = g.score("the king and queen")  # "and" is charged on its "d" (index 11), "queen" on its "n"
    conditional = g.score(" queen", "the king and")
    # the context's last piece could have gone on ("andes"); here it is complete: P("and") over the
    # mass of every token starting with "and" goes on the text's first character
    opened = g.open_end_logprob(["the", "king", "and"], 2)
    assert conditional[0] == pytest.approx(whole[11] - opened, abs=1e-12)
    assert np.array_equal(conditional[1:], whole[-5:])
    assert conditional[-1] != g.score("queen")[-1]
    # a text's last piece may go on too: "the ki" is charged P(the next token starts with "ki")
    assert g.score("the ki")[-1] == pytest.approx(g.open_end_logprob(["the", "ki"], 1), abs=1e-12)
    # a token that starts in the context and ends in the text is charged in full on the text's side
    assert last_logprob(g, "ng", "the ki") == pytest.approx(
        g.open_end_logprob(["the", "king"], 1) - g.open_end_logprob(["the", "ki"], 1), abs=1e-12
    )
    c = char_model()
    assert np.allclose(np.concatenate([c.score("the k"), c.score("ing", "the k")]), c.score("the king"))


SPLITS = [  # at a word boundary, after a space, in a whitespace run, after punctuation, inside a word
    ("The king went to the", " sea where the wind"),
    ("The king went to the ", "sea where the wind"),
    ("the sea.\n", "\nThe king went"),
    ("the sea", ",  and the\n\n"),
    ("The king went to the se", "a where"),
    ("", "the sea"),
    ("the sea ", " x"),
]


@pytest.mark.parametrize("model", [word_model, char_model])
@pytest.mark.parametrize(("a", "b"), SPLITS)
def test_score_follows_the_chain_rule_at_every_split(model, a, b):
    """score(a) + score(b | a) == score(a + b): the context's last piece is charged once (it was twice)."""
    g = model()
    parts = g.score(a).sum() + g.score(b, context=a).sum()
    assert parts == pytest.approx(g.score(a + b).sum(), abs=1e-9)
    assert (g.score(b, context=a) <= 1e-12).all()


@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet="ab \n.", max_size=30), cut=st.integers(0, 30))
def test_chain_rule_on_any_split(text, cut):
    g = word_model()
    a, b = text[:cut], text[cut:]
    assert g.score(a).sum() + g.score(b, context=a).sum() == pytest.approx(g.score(text).sum(), abs=1e-9)


def test_a_lone_space_is_not_charged_as_an_unseen_character():
    g = word_model()
    # a trailing space after a word is the separator before whatever comes next: cheap (it cost
    # 25 nats as an unknown word spelled with a character the spelling model had never seen)
    assert g.score("the sea ").sum() - g.score("the sea").sum() > -1.0
    # the space is in the spelling alphabet, so a leading or double space is spelled with it
    assert " " in g.spelling.index
    spelled = g.spelling.logprob("  ")
    assert g.score("the  sea").sum() - g.score("the sea").sum() > spelled - 10.0


def test_continuations_of_a_context_never_share_probability():
    """A context ending inside a token: "a" complete or extended to "ab"/"aa" are distinct futures."""
    g = MarkovGenerator.from_options({"state_size": 1})
    g.fit(Corpus("t", "a\nab\n" * 200, "a\nab\n" * 20, "a\nab\n" * 20, ""))
    total = sum(math.exp(g.score(c, "a\na").sum()) for c in ["\n", "a", "b"])
    assert 0.5 < total <= 1.0  # charging "ab" in full but "a" not at all summed to 1.497


def test_token_logprob_sits_on_last_character():
    scores = word_model().score("the king\n")
    assert np.flatnonzero(scores).tolist() == [2, 7, 8]


def test_split_stream_is_lossless():
    text = " lead  two\tspaces\n\nend. x "
    tokens, ends = split_stream(text, "word")
    assert tokens == [" ", "lead", "  ", "two", "\t", "spaces", "\n\n", "end.", "x", " "]
    assert ends[-1] == len(text) and ends[-2] == len(text) - 1


def test_native_tokens_and_oov_rate():
    g = fitted("the cat sat\nthe dog", state_size=1)
    assert g.native_token_count("the cat\n\nran") == 4
    assert g.oov_rate("the cat ran away") == 0.5


# ---------------------------------------------------------------- fit, persistence, config


def test_fit_report():
    g = MarkovGenerator.from_options({"state_size": 2})
    report = g.fit(corpus_of(make_text(3000, seed=2), valid=make_text(500, seed=3)))
    assert report.steps == 1 and report.stopped_by == "complete" and report.train_chars > 0
    (point,) = report.curve
    assert point["step"] == 1 and 0 < point["valid_bpc"] < 10


@pytest.mark.parametrize("train", ["", "one two", "   "])
def test_too_small_corpus(train):
    with pytest.raises(CorpusError):
        MarkovGenerator.from_options({"state_size": 2}).fit(corpus_of(train))


@pytest.mark.parametrize("model", [word_model, char_model])
def test_save_load_is_identical(model, tmp_path):
    g = model()
    g.save(tmp_path)
    loaded = MarkovGenerator.load(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chain.json", "markov.json"]
    for text, context in [("The king went to sea. 😀 zzz", ""), ("and the moon", "The queen ")]:
        assert np.array_equal(g.score(text, context), loaded.score(text, context))
    for sampling in (Sampling(0.0), Sampling(1.0), Sampling(0.7, top_k=3)):
        prompts = ["The", "", "unseen qq"]
        assert g.generate(prompts, max_chars=120, sampling=sampling, seed=2) == loaded.generate(
            prompts, max_chars=120, sampling=sampling, seed=2
        )
    assert loaded.describe() == g.describe()


def test_describe():
    info = word_model().describe()
    assert info["name"] == "markov" and info["parameters"] >= info["transitions"] > 0
    assert info["config"]["state_size"] == 2


def test_config_errors():
    with pytest.raises(ConfigError, match="did you mean 'state_size'"):
        MarkovGenerator.from_options({"state_sise": 3})
    for bad in ({"state_size": 0}, {"discount": 1.0}, {"level": "byte"}, {"unk_base": 0}):
        with pytest.raises(ConfigError):
            MarkovGenerator.from_options(bad)


def test_registered():
    assert get_generator_class("markov") is MarkovGenerator
    assert char_model().char_level and not word_model().char_level
