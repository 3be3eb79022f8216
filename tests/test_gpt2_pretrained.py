"""gpt2 from a folder written by save_pretrained: zero-shot scores as the model's own, fine-tuning."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gpt2_support import (
    PROMPTS,
    RANDOM,
    UNICODE_LINE,
    corpus,
    direct_distributions,
    direct_logprobs,
    prefix_mass,
)
from transformers import GPT2Config, GPT2LMHeadModel, GPT2TokenizerFast

from generators.base import Budget
from generators.gpt2.generator import GPT2Generator
from generators.gpt2.tokens import END_OF_TEXT, train_byte_bpe
from generators.testing.texts import make_text


@pytest.fixture(scope="module")
def pretrained_folder(tmp_path_factory):
    """A tiny random GPT-2 and its byte-level BPE, written by save_pretrained (no network)."""
    folder = tmp_path_factory.mktemp("tiny-gpt2")
    backend = train_byte_bpe(make_text(3000, seed=9), 300)
    tokenizer = GPT2TokenizerFast(
        tokenizer_object=backend, eos_token=END_OF_TEXT, bos_token=END_OF_TEXT, unk_token=END_OF_TEXT
    )
    tokenizer.save_pretrained(folder)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=48, n_embd=32, n_layer=2, n_head=2)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        GPT2LMHeadModel(config).save_pretrained(folder)
    return folder


def test_pretrained_zero_shot(pretrained_folder):
    generator = GPT2Generator.from_options({"pretrained": str(pretrained_folder), "finetune": False})
    text = "the king and the queen"
    before_fit = generator.score(text)  # loaded on first use
    report = generator.fit(corpus(), budget=Budget(steps=10))
    assert report.steps == 0 and report.stopped_by == "zero-shot" and len(report.curve) == 1
    assert np.array_equal(generator.score(text), before_fit)
    ids = [generator.tokens.end_of_text, *generator.tokens.encode(text).tolist()]
    distributions = direct_distributions(generator, ids)
    open_end = prefix_mass(generator, distributions[-1], ids[-1]) - float(distributions[-1, ids[-1]])
    assert before_fit.sum() == pytest.approx(direct_logprobs(generator, ids).sum() + open_end, abs=1e-5)
    assert generator.window == 48 and generator.stride == 24
    texts = generator.generate(PROMPTS, max_chars=30, sampling=RANDOM, seed=0)
    assert all(len(t) <= 30 for t in texts) and any(len(t) == 30 for t in texts)


def test_pretrained_finetune_two_steps(pretrained_folder):
    options = {
        "pretrained": str(pretrained_folder),
        "batch_size": 4,
        "context": 16,
        "optim": {"eval_chars": 200},
    }
    generator = GPT2Generator.from_options(options)
    zero_shot = generator.score(UNICODE_LINE)
    report = generator.fit(corpus(), budget=Budget(steps=2))
    assert report.steps == 2 and report.stopped_by == "steps"
    assert not np.array_equal(generator.score(UNICODE_LINE), zero_shot)
