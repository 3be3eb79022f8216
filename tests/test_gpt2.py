"""gpt2: byte-level tokens, exact per-character scores, sliding windows, training, save/load.
Generation is in test_gpt2_generation.py, pretrained weights in test_gpt2_pretrained.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from gpt2_support import (
    GREEDY,
    PROMPTS,
    RANDOM,
    TINY,
    UNICODE_LINE,
    direct_distributions,
    direct_logprobs,
    fitted,
    prefix_mass,
)
from transformers.utils import logging as hf_logging

from generators.base import Budget, Corpus
from generators.errors import ConfigError
from generators.gpt2 import tokens as bytelevel
from generators.gpt2.generator import GPT2Generator
from generators.gpt2.tokens import END_OF_TEXT, ByteLevelTokens, raw_byte_tokenizer, train_byte_bpe
from generators.registry import get_generator_class
from generators.testing.texts import make_text

STRANGE = [
    "😀👍🏽",  # 4-byte characters, a skin-tone modifier
    "日本語のテキスト",  # 3-byte CJK
    "e\u0301 a\u0300\u0323",  # combining marks
    "\x00\x07\x1b\x7f\x85\r\n",  # control characters
    "<|endoftext|> is just text",
    "\U0010ffff\u200b\ufeff",
]


@pytest.fixture(scope="module")
def model() -> GPT2Generator:
    return fitted()


@pytest.fixture(scope="module")
def byte_model() -> GPT2Generator:
    return fitted({"tokenizer": "byte"}, steps=5)


# ---------------------------------------------------------------- tokens


def test_bpe_keeps_every_byte_and_is_deterministic():
    text = make_text(2000, seed=3)
    first, second = train_byte_bpe(text, 300), train_byte_bpe(text, 300)
    assert first.to_str() == second.to_str()
    tokens = ByteLevelTokens(first, first.token_to_id(END_OF_TEXT))
    assert 257 < tokens.vocab_size <= 300
    assert {bytes([b]) for b in range(256)} <= set(tokens.table)
    assert tokens.lengths.max() > 1  # merges were learnt


def test_bpe_training_in_pieces_equals_training_on_the_whole_text(monkeypatch):
    text = make_text(3000, seed=4) + "  \n\n  indented\n\tline\n"
    whole = train_byte_bpe(text, 320).to_str()
    monkeypatch.setattr(bytelevel, "CHUNK_CHARS", 50)
    assert len(list(bytelevel._safe_chunks(text, 50))) > 10
    assert train_byte_bpe(text, 320).to_str() == whole


def test_last_char_index_by_hand():
    tokens = ByteLevelTokens(raw_byte_tokenizer(), 256)
    text = "a😀e\u0301\x00"  # bytes: a | f0 9f 98 80 | e | cc 81 | 00
    ids = tokens.encode(text)
    assert ids.tolist() == list(text.encode("utf-8"))
    assert tokens.last_char_index(text, ids).tolist() == [0, 1, 1, 1, 1, 2, 3, 3, 4]


def test_literal_end_of_text_is_encoded_as_text(model):
    ids = model.tokens.encode("a <|endoftext|> b")
    assert model.tokens.end_of_text not in ids.tolist()


# ---------------------------------------------------------------- scores


@pytest.mark.parametrize("text", STRANGE)
def test_scores_finite_one_per_character(model, byte_model, text):
    for generator in (model, byte_model):
        for context in ("", "The "):
            scores = generator.score(text, context=context)
            assert scores.shape == (len(text),)
            assert np.isfinite(scores).all() and (scores <= 0).all()


def test_random_unicode_scores_finite(model):
    rng = np.random.default_rng(0)
    code_points = rng.integers(0, 0x110000, size=400)
    text = "".join(chr(c) for c in code_points if not 0xD800 <= c < 0xE000)
    scores = model.score(text)
    assert scores.shape == (len(text),) and np.isfinite(scores).all()


def test_a_lone_surrogate_is_a_clear_error_not_a_tokenizer_crash(model, byte_model):
    for generator in (model, byte_model):
        with pytest.raises(ValueError, match=r"character 1 of the text is a lone surrogate \(U\+D800\)"):
            generator.score("a\ud800b")
        with pytest.raises(ValueError, match="lone surrogate"):
            generator.score("ab", context="x\udfff")


@pytest.mark.parametrize("text", ["The king went to the sea.", "Hé 😀 世界!\n", "😀 日本 e\u0301"])
def test_score_sum_equals_the_models_log_likelihood(model, text):
    ids = [model.tokens.end_of_text, *model.tokens.encode(text).tolist()]
    assert len(ids) <= model.window
    assert model.score(text).sum() == pytest.approx(direct_logprobs(model, ids).sum(), abs=1e-5)


def test_context_and_text_are_tokenized_together(model):
    context, text = "The queen of the ", "night was long"
    tokens = model.tokens
    ids, own = tokens.encode(context + text).tolist(), tokens.encode(context).tolist()
    k = len(own) - 1
    assert tokens.token_bytes(own[k]) == b" " and ids[:k] == own[:k]  # the context ends in a lone space
    assert tokens.token_bytes(ids[k]).startswith(b" n")  # which goes on as the next word's space
    distributions = direct_distributions(model, [tokens.end_of_text, *ids])  # row j predicts ids[j]
    direct = distributions[torch.arange(len(ids)), torch.tensor(ids)].numpy()
    # charged from the context's last token on; its prefix mass off; "long" may go on ("longer")
    expected = direct[k:].sum() - prefix_mass(model, distributions[k], own[k])
    expected += prefix_mass(model, distributions[-1], ids[-1]) - direct[-1]
    assert model.score(text, context=context).sum() == pytest.approx(expected, abs=1e-5)
    # tokenized apart, the lone space and a space-less "night" cost more than that
    apart = direct_logprobs(model, [tokens.end_of_text, *own, *tokens.encode(text).tolist()])[k:]
    assert apart.sum() < expected - 1.0


SPLITS = [  # a word boundary, after a space, before a newline run, after a blank line, after punctuation
    ("The king went to the", " sea where the wind"),
    ("The king went to the ", "sea where the wind"),
    ("the sea.", "\n\nThe king"),
    ("the sea.\n\n", "The king"),
    ("the sea.  ", "The king"),
    ("It was,", " and is, long"),
]


@pytest.mark.parametrize(("a", "b"), SPLITS)
def test_score_follows_the_chain_rule(model, a, b):
    assert model.score(a).sum() + model.score(b, context=a).sum() == pytest.approx(
        model.score(a + b).sum(), abs=1e-4
    )
    assert (model.score(b, context=a) <= 1e-9).all()


def test_a_one_token_text_after_a_healed_context(model):
    """The text's one token is both open and the healed context's: P(" t…") / P(" …")."""
    tokens = model.tokens
    ids = tokens.encode("The t").tolist()
    assert [tokens.token_bytes(i) for i in ids[-1:]] == [b" t"] and tokens.is_open_end(ids[-1])
    distributions = direct_distributions(model, [tokens.end_of_text, *ids])
    space = tokens.encode("The ").tolist()[-1]
    expected = prefix_mass(model, distributions[-1], ids[-1]) - prefix_mass(model, distributions[-1], space)
    assert model.score("t", context="The ")[0] == pytest.approx(expected, abs=1e-5)
    assert expected < -0.1


def test_the_chain_rule_holds_past_the_window(model):
    text = make_text(400, seed=8)
    assert len(model.tokens.encode(text)) > 2 * model.window
    for cut in (text.index(" ", 150), text.index(" ", 300) + 1):  # the windows do not move with the cut
        a, b = text[:cut], text[cut:]
        assert model.score(a).sum() + model.score(b, context=a).sum() == pytest.approx(
            model.score(text).sum(), abs=1e-3
        )


def test_a_trailing_whitespace_run_is_tokenized_as_in_running_text():
    """GPT-2's pre-tokenizer keeps a final "\\n\\n" whole but splits it before a word: encode_open
    splits it the running text's way, so a blank line ending a context is no odd "\\n\\n" token."""
    text = "END.\n\n\n  " * 50 + make_text(2000, seed=4)  # runs of newlines and spaces to merge
    bpe = train_byte_bpe(text, 300)
    tokens = ByteLevelTokens(bpe, bpe.token_to_id(END_OF_TEXT))
    pieces = [tokens.token_bytes(i) for i in tokens.encode("the sea.\n\n")]
    assert pieces[-1] == b"\n\n"  # the text alone: one token
    running = [tokens.token_bytes(i) for i in tokens.encode("the sea.\n\nThe")]
    assert running[running.index(b".") + 1 : running.index(b".") + 3] == [b"\n", b"\n"]  # before a word: two
    assert [tokens.token_bytes(i) for i in tokens.encode_open("the sea.\n\n")][-2:] == [b"\n", b"\n"]
    assert tokens.encode_open("the sea.").tolist() == tokens.encode("the sea.").tolist()


def test_byte_tokens_never_go_on(byte_model):
    tokens = byte_model.tokens
    assert not any(tokens.is_open_end(i) for i in range(tokens.vocab_size))
    ids = [tokens.end_of_text, *b"The king ", *b"went"]
    expected = direct_logprobs(byte_model, ids)[len("The king ") :]
    assert byte_model.score("went", context="The king ").sum() == pytest.approx(expected.sum(), abs=1e-5)


def test_multibyte_character_collects_all_its_tokens(byte_model):
    text = "a😀b"
    ids = [byte_model.tokens.end_of_text, *text.encode("utf-8")]
    expected = direct_logprobs(byte_model, ids)  # a, four bytes of 😀, b
    scores = byte_model.score(text)
    np.testing.assert_allclose(scores, [expected[0], expected[1:5].sum(), expected[5]], rtol=0, atol=1e-6)


def test_bpe_token_score_goes_on_its_last_character(model):
    text = "the king and the queen"
    ids = model.tokens.encode(text)
    ends = np.cumsum(model.tokens.lengths[ids]) - 1  # ASCII: byte index == character index
    scores = model.score(text)
    assert set(np.flatnonzero(scores).tolist()) == set(ends.tolist())
    assert len(ids) < len(text)  # some tokens hold several characters: their other characters get 0


def windowed(generator: GPT2Generator, stride: int) -> GPT2Generator:
    generator.config.score_stride = stride
    return generator


@pytest.fixture
def restore_stride(byte_model):
    yield
    byte_model.config.score_stride = 0


def test_stride_one_gives_every_token_the_full_window(byte_model, restore_stride):
    text = make_text(45, seed=5)[:45]  # ASCII, one byte token per character, longer than the window
    ids = [byte_model.tokens.end_of_text, *text.encode("utf-8")]
    window = byte_model.window
    expected = [
        direct_logprobs(byte_model, ids[max(0, j - window + 1) : j + 1])[-1] for j in range(1, len(ids))
    ]
    scores = windowed(byte_model, 1).score(text)
    np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-5)


def test_stride_window_minus_one_scores_each_token_once(byte_model, restore_stride):
    text = make_text(80, seed=6)[:80]
    ids = [byte_model.tokens.end_of_text, *text.encode("utf-8")]
    window, step = byte_model.window, byte_model.window - 1
    # the first window scores targets 1 .. window - 1; window k >= 1 ends at window + k · step, begins
    # window tokens before and scores the step targets before its end (the last one cut at n)
    begins = [0 if j < window else step * -(-(j - window + 1) // step) for j in range(1, len(ids))]
    expected = [direct_logprobs(byte_model, ids[b : j + 1])[-1] for j, b in enumerate(begins, start=1)]
    scores = windowed(byte_model, step).score(text)
    assert (scores < 0).all()  # every character is one token and got its score
    np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-5)


def test_text_shorter_than_the_window_scores_the_same_whatever_the_stride(byte_model, restore_stride):
    text = "the cat sat"
    reference = byte_model.score(text)
    for stride in (1, 5, byte_model.window - 1):
        assert np.array_equal(windowed(byte_model, stride).score(text), reference)


@pytest.mark.parametrize(("n", "first"), [(5, 1), (32, 1), (33, 1), (200, 1), (200, 150), (500, 7)])
@pytest.mark.parametrize("stride", [1, 7, 16, 31])
def test_window_plan_covers_each_target_once_with_enough_context(
    byte_model, restore_stride, n, first, stride
):
    window = byte_model.window
    plan = windowed(byte_model, stride).window_plan(n, first)
    targets = [j for _, start, end in plan for j in range(start, end)]
    assert targets == list(range(first, n))
    reaches = [window + k * stride for k in range(len(plan) + n)]
    for begin, start, end in plan:
        assert end - begin <= window and begin <= start - 1
        assert begin == 0 or start - begin >= window - stride
        assert begin == 0 or begin + window in reaches  # where the whole sequence puts it
        assert end == n or end - begin == window


def test_long_context_is_cut_to_the_window(model):
    context = make_text(2000, seed=7)
    scores = model.score("the end", context=context)
    assert scores.shape == (7,) and np.isfinite(scores).all()
    assert model.native_token_count("the end") == len(model.tokens.encode("the end"))
    assert model.oov_rate(UNICODE_LINE) == 0.0


# ---------------------------------------------------------------- generation


def test_each_validation_sample_draws_with_the_next_seed(recorded_seeds):
    seeds = recorded_seeds(GPT2Generator)
    fitted(steps=30, seed=3)  # validations at steps 10, 20 and 30
    assert seeds == [3, 4, 5]


def test_training_lowers_validation_bpc_and_is_seeded(model):
    curve = [point["valid_bpc"] for point in model.fit_report.curve]
    assert model.fit_report.steps == 30 and len(curve) == 3
    assert curve[-1] < curve[0]
    again = fitted()
    assert np.array_equal(again.score(UNICODE_LINE), model.score(UNICODE_LINE))


def test_train_split_shorter_than_the_context():
    tiny = Corpus("tiny", "the cat sat", "the mat", "", "0" * 64)
    generator = GPT2Generator.from_options({**TINY, "tokenizer": "byte"})
    assert generator.fit(tiny, budget=Budget(steps=2)).steps == 2


def test_config_errors():
    with pytest.raises(ConfigError, match="n_layer"):
        GPT2Generator.from_options({"n_layers": 2})
    with pytest.raises(ConfigError, match="tokenizer"):
        GPT2Generator.from_options({"tokenizer": "char"})
    with pytest.raises(ConfigError, match="score_stride"):
        GPT2Generator.from_options({"context": 32, "score_stride": 32})
    with pytest.raises(ConfigError, match="learning_rate"):
        GPT2Generator.from_options({"optim": {"learning_rate": 1.0}})
    assert get_generator_class("gpt2") is GPT2Generator


def test_save_load_identical(model, tmp_path):
    model.save(tmp_path)
    assert (tmp_path / "model" / "model.safetensors").exists()
    assert not [p for p in tmp_path.rglob("*") if p.suffix in {".bin", ".pt", ".pkl"}]
    loaded = GPT2Generator.load(tmp_path)
    for text in (UNICODE_LINE, make_text(300, seed=8)):
        assert np.array_equal(loaded.score(text, context="The "), model.score(text, context="The "))
    for sampling in (GREEDY, RANDOM):
        assert loaded.generate(PROMPTS, max_chars=50, sampling=sampling, seed=1) == model.generate(
            PROMPTS, max_chars=50, sampling=sampling, seed=1
        )
    assert loaded.describe() == model.describe()
    assert json.loads((tmp_path / "generator.json").read_text())["config"]["n_embd"] == 32


@pytest.mark.skipif(not torch.backends.mkl.is_available(), reason="torch's BLAS here is not MKL")
def test_save_load_identical_with_the_kernels_of_a_cpu_without_avx512():
    """MKL's SSE4.2 kernels, as on the CPUs without AVX-512 where a loaded model's unaligned weights
    once scored a few ulps away from the fresh model: the same test, in a process that uses them."""
    env = {**os.environ, "MKL_ENABLE_INSTRUCTIONS": "SSE4_2"}
    test = f"{Path(__file__)}::test_save_load_identical"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", test],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout


def test_save_and_load_print_no_progress_bar_and_leave_the_setting_alone(model, tmp_path, capfd):
    model.save(tmp_path)
    GPT2Generator.load(tmp_path)
    printed = capfd.readouterr().err
    assert "Writing model shards" not in printed and "Loading weights" not in printed
    assert hf_logging.is_progress_bar_enabled()
