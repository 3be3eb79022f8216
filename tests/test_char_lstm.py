"""char-lstm: open-vocabulary scores, next-character distribution, sampling, save/load, training."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import TINY_CHAR_LSTM, VERSE

from generators.base import UNICODE_SCALAR_COUNT, Budget, Corpus, Sampling
from generators.errors import ConfigError, TrainingError
from generators.openvocab.vocabulary import unseen_char_logprob
from generators.recurrent import char_lstm
from generators.recurrent import model as recurrent
from generators.recurrent.char_lstm import CharLSTMGenerator
from generators.recurrent.model import RecurrentLM, TokenStreams, plan_chunks
from generators.registry import create_generator
from generators.training import OptimConfig

STRANGE = "Zß☃ 😀 the \x00cat\u200b नमस्ते 𝔘 \n"


def tiny_corpus(repeats: int = 30) -> Corpus:
    text = VERSE * repeats
    return Corpus("tiny", text, VERSE * 3, VERSE, "0" * 64)


def fitted(options: dict | None = None, steps: int = 60, seed: int = 0) -> CharLSTMGenerator:
    generator = CharLSTMGenerator.from_options({**TINY_CHAR_LSTM, **(options or {})})
    generator.fit(tiny_corpus(), seed=seed, budget=Budget(steps=steps))
    return generator


@pytest.fixture(scope="module")
def model() -> CharLSTMGenerator:
    return fitted()


def test_training_reduces_validation_bpc(model):
    curve = [p["valid_bpc"] for p in model.fit_report.curve]
    assert len(curve) == 3
    assert curve[-1] < curve[0] - 0.5
    assert curve[-1] < 2.5  # uniform over the 20 known characters would be 4.4 bits


def test_scores_are_finite_per_character_for_any_unicode(model):
    for text in [STRANGE, "x", "\U0010ffff" * 3, VERSE]:
        scores = model.score(text)
        assert scores.shape == (len(text),)
        assert np.all(np.isfinite(scores)) and np.all(scores <= 0)
    assert model.score("").shape == (0,)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=60), context=st.text(max_size=20))
def test_random_unicode_always_gets_finite_scores(model, text, context):
    scores = model.score(text, context=context)
    assert scores.shape == (len(text),)
    assert np.all(np.isfinite(scores)) and np.all(scores <= 0)


def test_unseen_character_costs_unknown_symbol_spread_over_unseen_unicode(model):
    dist = model.next_char_distribution("the c")
    known = len(model.chars)
    assert dist.rest_count == UNICODE_SCALAR_COUNT - known
    assert model.score("☃", context="the c")[0] == pytest.approx(dist.rest_logprob, abs=1e-5)
    assert model.score("a", context="the c")[0] == pytest.approx(dist.logprobs["a"], abs=1e-5)
    logits_unk = dist.rest_logprob - unseen_char_logprob(known)  # log P(unknown symbol)
    assert logits_unk < 0


def test_next_char_distribution_sums_to_one(model):
    for context in ["", "the ", "☃☃", VERSE[:40]]:
        assert model.next_char_distribution(context).total() == pytest.approx(1.0, abs=1e-6)


def test_score_matches_the_next_char_distribution_position_by_position(model):
    text = "a dog sat"
    scores = model.score(text)
    for i, char in enumerate(text):
        assert scores[i] == pytest.approx(model.next_char_distribution(text[:i]).logprobs[char], abs=1e-6)


def test_context_conditions_the_scores(model):
    context, text = "the cat sat on ", "the mat."
    joint = model.score(context + text)
    assert np.allclose(model.score(text, context=context), joint[len(context) :], atol=1e-6)
    assert model.score(text, context=context).sum() > model.score(text).sum()


def test_chunked_scoring_is_exact_when_the_priming_reaches_the_start(model):
    text = (VERSE * 5)[:320]
    exact = model.score(text)
    model.config.score_chunk, model.config.score_batch = 16, 8  # 8 chunks of 40 characters
    try:
        model.config.score_prime = 10_000  # every chunk primed from the very start: exact again
        assert np.allclose(model.score(text), exact, atol=1e-5)
        model.config.score_prime = 0  # chunks start cold: the numbers change (a little)
        cold = model.score(text)
        assert not np.allclose(cold, exact, atol=1e-5)
        assert np.allclose(cold[:40], exact[:40], atol=1e-5)  # the first chunk is always exact
    finally:
        model.config.score_chunk, model.config.score_batch, model.config.score_prime = 2048, 64, 256


def test_small_chunks_never_start_past_the_end_of_the_text(model):
    model.config.score_chunk, model.config.score_prime = 2, 0  # 17 tokens: 8 chunks of 3 overshot
    try:
        scores = model.score("x" * 17)
        assert scores.shape == (17,) and np.all(np.isfinite(scores))
    finally:
        model.config.score_chunk, model.config.score_prime = 2048, 256
    for n in range(1, 120):
        for min_chunk in (1, 2, 3, 7):
            for max_chunks in (1, 5, 8, 64):
                plan = plan_chunks(n, max_chunks=max_chunks, min_chunk=min_chunk, prime=0)
                assert (plan.chunks - 1) * plan.chunk_tokens < n <= plan.chunks * plan.chunk_tokens
                assert plan.chunks <= max_chunks


def test_same_seed_same_model_and_rng_left_alone():
    torch.manual_seed(99)
    expected = torch.rand(2)
    torch.manual_seed(99)
    a = fitted(steps=8)
    assert torch.equal(torch.rand(2), expected)  # fit did not consume the caller's RNG
    b = fitted(steps=8)
    c = fitted(steps=8, seed=1)
    assert np.array_equal(a.score(VERSE), b.score(VERSE))
    assert not np.array_equal(a.score(VERSE), c.score(VERSE))


def test_generate_exact_length_and_determinism(model):
    prompts = ["the ", "", "☃ unseen", "a dog"]
    sampling = Sampling(temperature=1.0)
    out = model.generate(prompts, max_chars=37, sampling=sampling, seed=5)
    assert [len(t) for t in out] == [37] * 4
    assert all(set(t) <= set(model.chars) for t in out)  # the unknown symbol is never printed
    assert out == model.generate(prompts, max_chars=37, sampling=sampling, seed=5)
    assert out != model.generate(prompts, max_chars=37, sampling=sampling, seed=6)
    assert model.generate(prompts, max_chars=0) == [""] * 4
    assert model.generate([], max_chars=5) == []


def test_batched_generation_equals_one_prompt_at_a_time(model):
    prompts = ["the cat", "", "a", "on the mat. the dog sat"]
    for sampling in [Sampling(temperature=1.0), Sampling(temperature=0.7, top_k=5, top_p=0.9)]:
        batched = model.generate(prompts, max_chars=30, sampling=sampling, seed=11)
        single = [
            model.generate([p], max_chars=30, sampling=sampling, seed=11 + i)[0]
            for i, p in enumerate(prompts)
        ]
        assert batched == single


def test_greedy_reproduces_the_classic_loop(model):
    net = model.model
    prompt = "the d"
    with torch.no_grad():
        ids = [net.bos, *(model.chars.index(c) for c in prompt)]
        logits, state = net(torch.tensor([ids]))
        text = ""
        for _ in range(25):
            next_logits = logits[0, -1, : len(model.chars)]  # never the unknown symbol
            token = int(torch.argmax(next_logits))
            text += model.chars[token]
            logits, state = net(torch.tensor([[token]]), state)
    assert model.generate([prompt], max_chars=25, sampling=Sampling(temperature=0))[0] == text


def test_save_and_load_give_identical_scores_and_text(model, tmp_path):
    model.save(tmp_path / "m")
    loaded = CharLSTMGenerator.load(tmp_path / "m")
    assert np.array_equal(loaded.score(STRANGE), model.score(STRANGE))
    greedy = Sampling(temperature=0)
    assert loaded.generate(["the"], max_chars=40, sampling=greedy) == model.generate(
        ["the"], max_chars=40, sampling=greedy
    )
    assert loaded.describe()["config"] == model.describe()["config"]
    assert loaded.fit_report == model.fit_report
    assert not any(p.suffix in {".pt", ".pkl", ".bin"} for p in (tmp_path / "m").iterdir())


def test_describe_and_token_counts(model):
    info = model.describe()
    assert info["name"] == "char-lstm"
    assert info["parameters"] == sum(p.numel() for p in model.model.parameters()) > 0
    assert info["device"].startswith("cpu")
    assert model.native_token_count("héllo") == 5
    assert model.oov_rate("the ☃☃") == pytest.approx(2 / 6)


@pytest.mark.parametrize("options", [{"cell": "gru"}, {"cell": "rnn", "layers": 2}, {"embedding_dim": 0}])
def test_other_cells_and_one_hot_input(options):
    generator = fitted(options, steps=4)
    assert np.all(np.isfinite(generator.score(STRANGE)))
    assert generator.next_char_distribution("the").total() == pytest.approx(1.0, abs=1e-6)


def test_rare_training_characters_become_the_unknown_symbol():
    generator = CharLSTMGenerator.from_options({**TINY_CHAR_LSTM, "min_char_count": 2})
    corpus = tiny_corpus()
    generator.fit(Corpus("t", corpus.train + "Q", corpus.valid, corpus.test, ""), budget=Budget(steps=2))
    assert "Q" not in generator.chars and "t" in generator.chars
    assert math.isfinite(generator.score("Q")[0])


def test_config_errors():
    with pytest.raises(ConfigError, match="did you mean 'hidden_size'"):
        create_generator("char-lstm", {"hiden_size": 10})
    with pytest.raises(ConfigError, match="cell"):
        create_generator("char-lstm", {"cell": "transformer"})
    with pytest.raises(ConfigError, match="did you mean 'lr'"):
        create_generator("char-lstm", {"optim": {"lrr": 1.0}})
    with pytest.raises(ConfigError, match="dropout"):
        create_generator("char-lstm", {"dropout": 1.5})


def test_diverging_learning_rate_raises_training_error():
    generator = CharLSTMGenerator.from_options({**TINY_CHAR_LSTM, "optim": {"lr": 1e30, "warmup_steps": 0}})
    with pytest.raises(TrainingError, match=r"lower optim\.lr"):
        generator.fit(tiny_corpus(), budget=Budget(steps=30))


def test_untrained_model_refuses_to_score():
    with pytest.raises(RuntimeError, match="fit"):
        CharLSTMGenerator().score("abc")


def test_token_streams_are_contiguous_and_restart_one_row_per_window():
    ids = np.arange(1, 4 * 10 * 3 + 2)  # B=4 streams of 30 tokens, T=10: three windows per epoch
    streams = TokenStreams(ids, batch_size=4, bptt=10, bos=0, seed=0, device=torch.device("cpu"))
    windows = [streams.next_batch() for _ in range(3)]
    x0, _, chars, restart0 = windows[0]
    assert chars == 40 and restart0.tolist() == [0, 1, 2, 3] and (x0[:, 0] == 0).all()
    targets = torch.cat([y for _, y, _, _ in windows], dim=1)  # (4, 30)
    steps = targets[:, 1:] - targets[:, :-1]  # one contiguous (rotated) stretch per row
    assert torch.isin(steps, torch.tensor([1, 1 - len(ids)])).all()
    for window, (x, _, _, restart) in enumerate(windows[1:], start=1):
        assert restart.tolist() == [window % 4]
        assert x[window % 4, 0] == 0 and (x[torch.arange(4) != window % 4, 0] != 0).all()


def test_one_optim_option_keeps_the_other_char_lstm_optim_defaults():
    default = create_generator("char-lstm").config.optim
    changed = create_generator("char-lstm", {"optim": {"grad_clip": 5.0}}).config.optim
    assert changed.grad_clip == 5.0 and default.lr != OptimConfig().lr  # char-lstm's own
    assert {**vars(changed), "grad_clip": default.grad_clip} == vars(default)


def test_each_validation_sample_draws_with_the_next_seed(recorded_seeds):
    seeds = recorded_seeds(CharLSTMGenerator)
    fitted(steps=60, seed=7)  # validations at steps 20, 40 and 60
    assert seeds == [7, 8, 9]


def test_recurrent_core_runs_in_float32_under_autocast():
    """Autocast would run the core in low precision (cuDNN's RNNs in float16, without loss scaling);
    only the embedding and output layer may follow it."""
    model = RecurrentLM(n_outputs=7, cell="lstm", embedding_dim=4, hidden_size=8, layers=2)
    tokens = torch.randint(0, 7, (3, 5))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits, state = model(tokens)
        _, state = model(tokens, state)  # the carried state goes back in as float32
    assert [s.dtype for s in state] == [torch.float32, torch.float32]
    assert logits.dtype == torch.bfloat16


@pytest.mark.skipif(not hasattr(torch.backends.cudnn, "rnn"), reason="torch < 2.9 has only allow_tf32")
def test_scores_run_cudnn_rnns_in_full_float32(model, monkeypatch):
    """TF32 (cuDNN's default for float32 RNNs on CUDA) is switched off while scoring, then restored."""
    rnn = torch.backends.cudnn.rnn
    monkeypatch.setattr(rnn, "fp32_precision", "tf32")
    with recurrent.exact_float32_rnns(torch.device("cuda")):
        assert rnn.fp32_precision == "ieee"
    assert rnn.fp32_precision == "tf32"
    with recurrent.exact_float32_rnns(torch.device("cpu")):
        assert rnn.fp32_precision == "tf32"

    inside, seen = [False], []

    @contextlib.contextmanager
    def recorded(device: torch.device) -> Iterator[None]:
        inside[0] = True
        yield
        inside[0] = False

    monkeypatch.setattr(recurrent, "exact_float32_rnns", recorded)
    monkeypatch.setattr(char_lstm, "exact_float32_rnns", recorded)
    net = model.require_model()
    real_forward = net.forward
    monkeypatch.setattr(net, "forward", lambda *a, **k: (seen.append(inside[0]), real_forward(*a, **k))[1])
    model.score("to be or not", context="Hamlet: ")
    model.next_char_distribution("to be")
    assert len(seen) >= 3 and all(seen)
