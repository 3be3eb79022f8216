"""word-lstm: lossless tokens, UNK + spelling costs, oov rate, sampling, save/load."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import RARE, TINY_WORD_LSTM, VERSE

from generators.base import Budget, Corpus, Sampling
from generators.errors import ConfigError
from generators.openvocab.vocabulary import detokenize, tokenize_words
from generators.recurrent.word_lstm import WordLSTMGenerator
from generators.registry import create_generator

STRANGE = "Zß☃ 😀 the \x00cat\u200b नमस्ते 𝔘 unheard-of words!!\n"


def tiny_corpus() -> Corpus:
    return Corpus("tiny", VERSE * 30 + RARE, VERSE * 3, VERSE, "0" * 64)


def fitted(options: dict | None = None, steps: int = 60, seed: int = 0) -> WordLSTMGenerator:
    generator = WordLSTMGenerator.from_options({**TINY_WORD_LSTM, **(options or {})})
    generator.fit(tiny_corpus(), seed=seed, budget=Budget(steps=steps))
    return generator


@pytest.fixture(scope="module")
def model() -> WordLSTMGenerator:
    return fitted()


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_tokenizer_round_trips_every_string(text):
    tokens = tokenize_words(text)
    assert detokenize(tokens) == text
    assert all(tokens)  # no empty tokens


def test_vocabulary_is_the_most_frequent_tokens(model):
    assert len(model.tokens) == 12 and model.vocabulary_size() == 13
    assert model.tokens[:3] == [" ", "the", "a"]  # by count: " " 600, "the" 120, "a" 90
    assert "zebra" not in model.index


def test_training_reduces_validation_bpc(model):
    curve = [p["valid_bpc"] for p in model.fit_report.curve]
    assert curve[-1] < curve[0] - 0.3


def test_scores_are_finite_and_sit_on_token_ends(model):
    for text in [STRANGE, "x", VERSE, "   \n\n"]:
        scores = model.score(text)
        assert scores.shape == (len(text),)
        assert np.all(np.isfinite(scores)) and np.all(scores <= 0)
        ends = np.cumsum([len(t) for t in tokenize_words(text)]) - 1
        assert np.all(scores[np.setdiff1d(np.arange(len(text)), ends)] == 0)
        assert np.all(scores[ends] < 0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=60), context=st.text(max_size=20))
def test_random_unicode_always_gets_finite_scores(model, text, context):
    scores = model.score(text, context=context)
    assert scores.shape == (len(text),)
    assert np.all(np.isfinite(scores)) and np.all(scores <= 0)
    # on each token's last character, and on the first when the context's last token ends there
    assert np.count_nonzero(scores) <= len(tokenize_words(text)) + 1


def test_unknown_token_costs_unk_probability_times_spelling(model):
    context, word = "the cat sat on ", "zebra"
    net = model.model
    with torch.no_grad():
        ids = [net.bos, *model.encode(context).ids.tolist()]
        logits, _ = net(torch.tensor([ids]))
        log_unk = float(torch.log_softmax(logits[0, -1].double(), -1)[model.unknown_id])
    expected = log_unk + model.spelling.logprob(word)
    scores = model.score(word + " ", context=context)  # the space ends the word: it cannot go on
    assert scores[len(word) - 1] == pytest.approx(expected, abs=1e-5)
    assert scores[1 : len(word) - 1].tolist() == [0.0] * 3
    # the context's last token, " ", could have gone on ("  "): that it did not is charged on "z"
    assert scores[0] < 0
    # at the end of a text the word may go on ("zebras"): P(a token starting with it)
    opened = log_unk + model.spelling.open_end_logprob(word)  # no vocabulary token starts with "zebra"
    assert model.score(word, context=context)[-1] == pytest.approx(opened, abs=1e-5)


def test_spelling_model_is_fit_on_the_out_of_vocabulary_tokens(model):
    outside = [t for t in tokenize_words(tiny_corpus().train) if t not in model.index]
    assert {"zebra", "1234"} <= set(outside)
    assert set(model.spelling.alphabet) == set("".join(outside + model.tokens))  # every training character
    assert model.spelling.excluded == set(model.tokens)  # in-vocabulary strings never stand behind UNK
    assert model.spelling.logprob("the") == -math.inf
    assert model.spelling.logprob("zebra") > model.spelling.logprob("zzzzz")
    assert model.describe()["spelling_ngrams"] == model.spelling.ngram_count > 0


def test_oov_rate_and_native_token_count(model):
    assert model.native_token_count("the zebra.") == 4  # the, " ", zebra, .
    assert model.oov_rate("the zebra.") == pytest.approx(1 / 4)
    assert model.oov_rate(VERSE) == pytest.approx(
        np.mean([t not in model.index for t in tokenize_words(VERSE)])
    )
    assert model.oov_rate("") == 0.0


def test_generation_spells_unknown_tokens_and_is_exact_and_deterministic(model):
    prompts = ["the ", "", "zebra ☃", "a dog"]
    sampling = Sampling(temperature=1.5)  # hot: UNK comes up often
    out = model.generate(prompts, max_chars=60, sampling=sampling, seed=3)
    assert [len(t) for t in out] == [60] * 4
    assert out == model.generate(prompts, max_chars=60, sampling=sampling, seed=3)
    spelled_only = set(model.spelling.alphabet) - set("".join(model.tokens))  # e.g. z, q, x, 1
    assert spelled_only & set("".join(out)), "hot sampling should have hit UNK and spelled a token"


def test_batched_generation_equals_one_prompt_at_a_time(model):
    prompts = ["the cat", "", "a", "on the mat. the dog sat"]
    sampling = Sampling(temperature=1.3)
    batched = model.generate(prompts, max_chars=50, sampling=sampling, seed=21)
    single = [
        model.generate([p], max_chars=50, sampling=sampling, seed=21 + i)[0] for i, p in enumerate(prompts)
    ]
    assert batched == single


def test_save_and_load_give_identical_scores_and_text(model, tmp_path):
    model.save(tmp_path / "w")
    loaded = WordLSTMGenerator.load(tmp_path / "w")
    assert np.array_equal(loaded.score(STRANGE, context="the "), model.score(STRANGE, context="the "))
    sampling = Sampling(temperature=1.2)
    assert loaded.generate(["a"], max_chars=40, sampling=sampling, seed=4) == model.generate(
        ["a"], max_chars=40, sampling=sampling, seed=4
    )
    assert loaded.tokens == model.tokens


def test_a_save_with_the_older_bigram_spelling_model_is_refused_clearly(model, tmp_path):
    model.save(tmp_path / "w")
    meta_path = tmp_path / "w" / "generator.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["config"]["spelling_alpha"] = 0.5  # the old format: an add-alpha bigram
    del meta["config"]["spelling_order"], meta["config"]["spelling_discount"]
    meta["vocabulary"]["spelling"] = {"alphabet": "ab", "alpha": 0.5, "counts": [[0] * 4] * 4}
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ValueError, match="older character-bigram spelling model; train it again"):
        WordLSTMGenerator.load(tmp_path / "w")


def test_same_seed_same_model():
    a, b = fitted(steps=6), fitted(steps=6)
    assert np.array_equal(a.score(STRANGE), b.score(STRANGE))


def test_describe(model):
    info = model.describe()
    assert info["name"] == "word-lstm"
    assert info["vocabulary_size"] == 13
    assert "UNK" in info["tokenizer"]


def test_config_errors():
    with pytest.raises(ConfigError, match="did you mean 'vocab_size'"):
        create_generator("word-lstm", {"vocab_sise": 10})
    with pytest.raises(ConfigError, match="vocab_size"):
        create_generator("word-lstm", {"vocab_size": 0})


def test_top_k_one_and_a_tiny_top_p_are_greedy(model):
    prompts = ["the ", "", "a dog"]
    greedy = model.generate(prompts, max_chars=50, sampling=Sampling(0.0))
    for seed, temperature in [(1, 0.3), (2, 1.0), (3, 1.8)]:  # top_k = 1 and a tiny top_p are greedy
        assert (
            model.generate(prompts, max_chars=50, sampling=Sampling(temperature, top_k=1), seed=seed)
            == greedy
        )
        tiny = Sampling(temperature, top_p=1e-9)
        assert model.generate(prompts, max_chars=50, sampling=tiny, seed=seed) == greedy


NAMES = [a + b for a in ("Al", "Bo", "Ca", "Da") for b in ("ric", "mon", "nez", "sul", "tha", "dor")]


@pytest.fixture(scope="module")
def stage_directions() -> WordLSTMGenerator:
    # 24 names, ten times each, and a vocabulary of the six other tokens: after "[Enter " the model
    # puts nearly all its mass on UNK, and the spelling model knows the names
    train = "".join(f"[Enter {name}.]\n" for name in NAMES) * 10
    corpus = Corpus("names", train, train[:600], "", "0" * 64)
    options = {**TINY_WORD_LSTM, "vocab_size": 6, "optim": {**TINY_WORD_LSTM["optim"], "lr": 3e-2}}
    generator = WordLSTMGenerator.from_options(options)
    generator.fit(corpus, seed=0, budget=Budget(steps=150))
    return generator


def test_greedy_follows_the_argmax_and_spells_unk_greedily(stage_directions):
    model = stage_directions
    net = model.model
    with torch.no_grad():
        ids = [net.bos, *model.encode("[Enter ").ids.tolist()]
        logits, state = net(torch.tensor([ids]))
        text = ""
        while len(text) < 60:  # the argmax with UNK ranked as the word greedy spells
            ranked = logits[0, -1].clone()
            ranked[model.unknown_id] += model.log_best_spelling
            token = int(torch.argmax(ranked))
            spelled = model.spelling.sample(np.random.default_rng(0), Sampling(0.0))
            text += model.tokens[token] if token < len(model.tokens) else spelled
            logits, state = net(torch.tensor([[token]]), state)
    greedy = model.generate(["[Enter "], max_chars=60, sampling=Sampling(temperature=0))[0]
    assert greedy == text[:60]
    assert greedy[0] not in ".]", greedy  # the unknown name is spelled, not dropped


@pytest.mark.parametrize("temperature", [0.0, 0.3, 0.5, 1.0, 1.3, 1.8])
def test_an_unknown_name_is_spelled_at_every_temperature(stage_directions, temperature, monkeypatch):
    """The model puts most of its mass on UNK after "[Enter ": a name is written, with at least one
    character, never dropped (greedy blocked UNK and wrote "[Enter .]")."""
    g = stage_directions
    net = g.model
    with torch.no_grad():
        logits, _ = net(torch.tensor([[net.bos, *g.encode("[Enter ").ids.tolist()]]))
    assert int(torch.argmax(logits[0, -1])) == g.unknown_id and len(g.tokens) == 6
    spelled, sample = [], g.spelling.sample
    monkeypatch.setattr(g.spelling, "sample", lambda *a, **k: spelled.append(sample(*a, **k)) or spelled[-1])
    texts = g.generate(["[Enter "] * 8, max_chars=12, sampling=Sampling(temperature), seed=0)
    assert spelled and all(spelled), f"T={temperature}: spellings {spelled}"
    if temperature <= 1:
        assert all(text[0] not in " .]\n" for text in texts), f"T={temperature}: {texts}"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("the cat sat", " on the mat."),  # a word boundary
        ("the cat sat on the ", "mat."),  # after a space
        ("the mat.\n", "\nthe dog"),  # inside a whitespace run
        ("a cat and a", "!"),  # before punctuation
        ("the ze", "bra sat"),  # inside a word
    ],
)
def test_score_follows_the_chain_rule(model, a, b):
    """score(a) + score(b | a) == score(a + b): context and text are tokenized together, the context's
    last token charged once (a word split at the boundary counted as two tokens)."""
    assert model.score(a).sum() + model.score(b, context=a).sum() == pytest.approx(
        model.score(a + b).sum(), abs=1e-4
    )


def test_temperature_below_one_sharpens_each_unknown_word_above_one_unk_as_a_token(model):
    unknown = len(model.tokens)
    log_n = model.log_spelling_perplexity
    assert log_n > 0
    assert model.logit_bias(Sampling(temperature=1.0)) == {}  # T = 1: the model's own distribution
    assert model.logit_bias(Sampling(temperature=0.0)) == {}  # greedy ranks by rank_bias
    # (logit + b) / T = logit / T + (1 - 1/T) log N  <=>  b = (T - 1) log N
    assert model.logit_bias(Sampling(temperature=0.5))[unknown] == pytest.approx(-0.5 * log_n)
    assert model.logit_bias(Sampling(temperature=2.0)) == {}  # no tempered sum to follow
    model._log_spelling_perplexity = None
    assert model.logit_bias(Sampling(temperature=1.3)) == {}
    assert model._log_spelling_perplexity is None  # the 2,000-spelling estimate is not drawn
    best = model.spelling.sample(np.random.default_rng(5), Sampling(0.0))
    assert model.rank_bias() == {unknown: pytest.approx(model.spelling.logprob(best))}
