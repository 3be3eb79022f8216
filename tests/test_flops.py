"""Training FLOPs: the per-token counts by hand, and each neural generator's estimate against its
own weight matrices (one multiply-add per weight of a matrix product, per token)."""

from __future__ import annotations

import json

import pytest
from gpt2_support import TINY as TINY_GPT2
from gpt2_support import corpus as gpt2_corpus
from support import TINY_CHAR_LSTM, TINY_WORD_LSTM, VERSE

from generators import flops
from generators.base import Budget, Corpus, FitReport
from generators.gpt2.generator import GPT2Generator
from generators.markov.generator import MarkovGenerator
from generators.recurrent.char_lstm import CharLSTMGenerator
from generators.recurrent.word_lstm import WordLSTMGenerator


def test_recurrent_multiply_adds_by_hand():
    # 2-layer LSTM, input 3, hidden 2, 5 outputs: 4·2·(3+2) + 4·2·(2+2) + 2·5 = 40 + 32 + 10
    assert flops.recurrent_multiply_adds("lstm", 3, 2, 2, 5) == 82
    # one GRU layer: 3·2·(3+2) + 2·5; one plain RNN layer: 1·2·(3+2) + 2·5
    assert flops.recurrent_multiply_adds("gru", 3, 2, 1, 5) == 40
    assert flops.recurrent_multiply_adds("rnn", 3, 2, 1, 5) == 20


def test_transformer_multiply_adds_by_hand():
    # 2 blocks of width 4, sequence 8, vocabulary 10: 2·(12·16 + 8·4) + 4·10 = 2·224 + 40
    assert flops.transformer_multiply_adds(2, 4, 8, 10) == 488


def test_training_flops_are_six_per_multiply_add_and_token():
    assert flops.training_flops(82, 100) == 6 * 82 * 100 == 49_200


def matrix_weights(model, skip: tuple[str, ...]) -> int:
    """Elements of the 2-D weights of ``model`` (matrix products), those named in ``skip`` left out."""
    return sum(
        p.numel() for name, p in model.named_parameters() if p.dim() == 2 and not name.startswith(skip)
    )


def tiny_corpus() -> Corpus:
    return Corpus("tiny", VERSE * 30, VERSE * 3, VERSE, "0" * 64)


@pytest.mark.parametrize(
    ("generator_class", "options"),
    [
        (CharLSTMGenerator, TINY_CHAR_LSTM),
        (CharLSTMGenerator, {**TINY_CHAR_LSTM, "embedding_dim": 0, "cell": "gru", "layers": 2}),
        (WordLSTMGenerator, TINY_WORD_LSTM),
    ],
)
def test_recurrent_estimate_counts_every_weight_of_its_matrix_products(generator_class, options, tmp_path):
    generator = generator_class.from_options(options)
    report = generator.fit(tiny_corpus(), seed=0, budget=Budget(steps=7))
    model, c = generator.model, generator.config
    # the embedding is a lookup; a one-hot input is a matrix product (its weights are in rnn.*)
    per_token = matrix_weights(model, skip=("embedding",))
    tokens = 7 * c.batch_size * c.bptt  # the text is long enough for whole windows
    assert generator.step_tokens == c.batch_size * c.bptt
    assert generator.training_flops(report) == 6 * per_token * tokens
    generator.save(tmp_path)  # a cached model gives the same estimate
    assert generator_class.load(tmp_path).training_flops(report) == generator.training_flops(report)


def test_recurrent_estimate_uses_the_shorter_window_of_a_tiny_text():
    generator = CharLSTMGenerator.from_options({**TINY_CHAR_LSTM, "batch_size": 8, "bptt": 64})
    text = VERSE * 3  # 8 streams of (len(text) − 1) // 8 = 29 characters: windows of 29, not 64
    report = generator.fit(Corpus("t", text, VERSE, VERSE, "0" * 64), seed=0, budget=Budget(steps=2))
    assert (len(text) - 1) // 8 == 29
    assert generator.step_tokens == 8 * 29 == report.train_chars / 2


def test_gpt2_estimate_counts_its_blocks_attention_and_output_layer(tmp_path):
    generator = GPT2Generator.from_options(TINY_GPT2)
    report = generator.fit(gpt2_corpus(), seed=0, budget=Budget(steps=3))
    hf = generator.model.config
    blocks = matrix_weights(generator.model, skip=("transformer.wte", "transformer.wpe", "lm_head"))
    assert blocks == hf.n_layer * 12 * hf.n_embd**2  # c_attn, attn c_proj, c_fc, mlp c_proj
    sequence = TINY_GPT2["context"]
    per_token = blocks + hf.n_layer * sequence * hf.n_embd + hf.n_embd * hf.vocab_size
    tokens = 3 * TINY_GPT2["batch_size"] * sequence
    assert generator.training_flops(report) == 6 * per_token * tokens
    generator.save(tmp_path)
    assert GPT2Generator.load(tmp_path).training_flops(report) == generator.training_flops(report)
    meta = json.loads((tmp_path / "generator.json").read_text())
    del meta["step_tokens"]  # a save from before the estimate: the nominal window
    (tmp_path / "generator.json").write_text(json.dumps(meta))
    assert GPT2Generator.load(tmp_path).training_flops(report) == generator.training_flops(report)


def test_markov_does_not_estimate_flops():
    assert MarkovGenerator().training_flops(FitReport(steps=1)) is None
