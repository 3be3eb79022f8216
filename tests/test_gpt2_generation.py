"""gpt2 generation: the KV cache against re-feeding, batches against single prompts, sliding windows,
end-of-text, exact lengths."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from gpt2_support import GREEDY, PROMPTS, RANDOM, fitted, no_end_of_text
from transformers.cache_utils import DynamicLayer

from generators.base import Sampling
from generators.gpt2.decoding import CachedDecoding, ReservedLayer
from generators.gpt2.generator import GPT2Generator
from generators.sampling import choose_tokens


@pytest.fixture(scope="module")
def model() -> GPT2Generator:
    return fitted()


def test_same_seed_same_text(model):
    assert model.generate(PROMPTS, max_chars=40, sampling=RANDOM, seed=3) == model.generate(
        PROMPTS, max_chars=40, sampling=RANDOM, seed=3
    )
    assert model.generate(PROMPTS, max_chars=40, sampling=RANDOM, seed=3) != model.generate(
        PROMPTS, max_chars=40, sampling=RANDOM, seed=4
    )


@pytest.mark.parametrize("sampling", [RANDOM, Sampling(0.8, top_k=20, top_p=0.9)])
def test_batch_equals_one_at_a_time_across_window_slides(model, monkeypatch, sampling):
    prefills = []
    original = CachedDecoding._prefill
    monkeypatch.setattr(CachedDecoding, "_prefill", lambda self: (prefills.append(1), original(self))[1])
    batch = model.generate(PROMPTS, max_chars=80, sampling=sampling, seed=11)
    single = [
        model.generate([p], max_chars=80, sampling=sampling, seed=11 + i)[0] for i, p in enumerate(PROMPTS)
    ]
    assert batch == single
    assert len(prefills) > 2 * len(PROMPTS)  # the contexts passed the 32-token window and slid


def test_batched_prefill_has_no_fully_masked_attention_row(model, monkeypatch):
    """Some fused CUDA kernels return NaN for a query that may attend to nothing (a left-padding
    position); emulate one on the CPU: the batch must still equal one prompt at a time."""
    exact = torch.nn.functional.scaled_dot_product_attention

    def nan_on_fully_masked_rows(query, key, value, attn_mask=None, **kwargs):
        out = exact(query, key, value, attn_mask=attn_mask, **kwargs)  # (B, heads, Q, d)
        if attn_mask is None:
            return out
        allowed = attn_mask if attn_mask.dtype == torch.bool else attn_mask > torch.finfo(attn_mask.dtype).min
        blind = ~allowed.any(dim=-1, keepdim=True)  # (B, 1 or heads, Q, 1)
        return out.masked_fill(blind, float("nan"))

    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", nan_on_fully_masked_rows)
    batch = model.generate(PROMPTS, max_chars=30, sampling=GREEDY, seed=5)
    assert batch == [
        model.generate([p], max_chars=30, sampling=GREEDY, seed=5 + i)[0] for i, p in enumerate(PROMPTS)
    ]


def reference_decoding(generator: GPT2Generator, prompt: str, max_chars: int, sampling: Sampling, seed: int):
    """The documented rule without a cache: token healing (a last prompt token that may go on is
    backed off, the first token must start with its bytes, which are not part of the continuation);
    re-feed the whole context for every token; the prompt keeps its last 3/4 window; every window/4
    steps a longer context keeps its last half window. <|endoftext|> forbidden; one uniform per
    step from the row's own stream (the seeding rule)."""
    tokens, window = generator.tokens, generator.window
    ids = tokens.encode(prompt).tolist()
    healed = tokens.token_bytes(ids[-1]) if ids and tokens.is_open_end(ids[-1]) else b""
    context = [tokens.end_of_text, *(ids[:-1] if healed else ids)][-(window - window // 4) :]
    uniforms = np.random.default_rng(seed).random(4 * max_chars + 8)
    data = b""
    for step, u in enumerate(uniforms, start=1):
        with torch.no_grad():
            logits = generator.model(input_ids=torch.tensor([context])).logits[:, -1, : tokens.vocab_size]
        logits[:, tokens.end_of_text] = float("-inf")
        if step == 1 and healed:
            logits[:, [not b.startswith(healed) for b in tokens.table]] = float("-inf")
        token = int(choose_tokens(logits.float(), sampling, torch.tensor([u]))[0])
        data += tokens.token_bytes(token)
        context.append(token)
        if step % (window // 4) == 0 and len(context) > window - window // 4:
            context = context[-(window // 2) :]
        if len(data.decode("utf-8", errors="replace")) >= len(healed) + max_chars + 4:  # no partial char
            break
    return data[len(healed) :].decode("utf-8", errors="replace")[:max_chars]


@pytest.mark.parametrize("sampling", [GREEDY, RANDOM])
def test_cached_batched_decoding_equals_refeeding_without_cache(model, monkeypatch, sampling):
    no_end_of_text(monkeypatch)
    texts = model.generate(PROMPTS, max_chars=70, sampling=sampling, seed=20)
    assert texts == [reference_decoding(model, p, 70, sampling, 20 + i) for i, p in enumerate(PROMPTS)]


@pytest.mark.parametrize("max_chars", [1, 7, 45])
def test_exactly_max_chars_and_prefix_stable(model, monkeypatch, max_chars):
    no_end_of_text(monkeypatch)
    for sampling in (GREEDY, RANDOM):
        short = model.generate(PROMPTS, max_chars=max_chars, sampling=sampling, seed=2)
        long = model.generate(PROMPTS, max_chars=max_chars + 20, sampling=sampling, seed=2)
        assert [len(t) for t in short] == [max_chars] * len(PROMPTS)
        assert all(b.startswith(a) for a, b in zip(short, long, strict=True))


def test_end_of_text_ends_a_row_early(model, monkeypatch):
    no_end_of_text(monkeypatch)
    free = model.generate(PROMPTS, max_chars=60, sampling=RANDOM, seed=5)
    original = CachedDecoding.logits

    def logits(self):  # row 1 says <|endoftext|> after three tokens
        values = original(self)
        for i, row in enumerate(self.active):
            if row == 1 and len(self.pieces[row]) == 3:
                values[i, self.tokens.end_of_text] = 1e4
        return values

    monkeypatch.setattr(CachedDecoding, "logits", logits)
    ended = model.generate(PROMPTS, max_chars=60, sampling=RANDOM, seed=5)
    assert len(ended[1]) < 60 and free[1].startswith(ended[1]) and ended[1]
    assert ended[:1] + ended[2:] == free[:1] + free[2:]


def test_generate_edge_cases(model):
    assert model.generate([], max_chars=5) == []
    assert model.generate(["a", "b"], max_chars=0) == ["", ""]
    with pytest.raises(TypeError, match="sampling"):
        model.generate(["a"], max_chars=5, sampling={"temperature": 1.0})


def test_cached_generation_uses_the_current_cache_keyword(model):
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # transformers warns when given the old name
        assert [len(t) for t in model.generate(PROMPTS[:2], max_chars=8, sampling=RANDOM)] == [8, 8]


# ---------------------------------------------------------------- training, config, persistence


def test_every_prefill_runs_without_autograd(model, monkeypatch):
    """No autograd graph may keep a prompt's activations (all layers' attention) alive while generating."""
    grad_enabled = []
    original = CachedDecoding._prefill
    monkeypatch.setattr(
        CachedDecoding,
        "_prefill",
        lambda self: (grad_enabled.append(torch.is_grad_enabled()), original(self))[1],
    )
    model.generate(PROMPTS, max_chars=80, sampling=RANDOM, seed=1)
    assert len(grad_enabled) > 1 and not any(grad_enabled)


def test_a_prompt_ending_in_a_space_is_healed(model, monkeypatch):
    """The lone " " token is backed off and the first token must start with it: greedy continues with
    the most likely space-led token after "the", minus its space (not whatever follows a lone " ")."""
    no_end_of_text(monkeypatch)
    tokens, prompt = model.tokens, "The king went to the "
    ids = tokens.encode(prompt).tolist()
    assert tokens.token_bytes(ids[-1]) == b" " and tokens.is_open_end(ids[-1])
    with torch.no_grad():
        logits = model.model(input_ids=torch.tensor([[tokens.end_of_text, *ids[:-1]]])).logits[0, -1]
    logits = logits[: tokens.vocab_size].clone()
    logits[[not b.startswith(b" ") for b in tokens.table]] = float("-inf")
    first = tokens.token_bytes(int(torch.argmax(logits)))[1:].decode("utf-8")
    greedy = model.generate([prompt], max_chars=20, sampling=GREEDY)[0]
    assert first and greedy.startswith(first)


def test_the_reserved_cache_holds_what_the_dynamic_one_holds_past_its_room():
    reserved, dynamic = ReservedLayer(room=4), DynamicLayer()
    generator = torch.Generator().manual_seed(0)
    for width, keep in [(3, None), (1, None), (2, [0, 2]), (1, None), (3, [1])]:  # 3, 4, 6 (room 8), 7, 10
        if keep is not None:
            reserved.batch_select_indices(torch.tensor(keep))
            dynamic.batch_select_indices(torch.tensor(keep))
        rows = dynamic.keys.shape[0] if dynamic.is_initialized else 3
        keys, values = (torch.randn(rows, 2, width, 5, generator=generator) for _ in range(2))
        got, want = reserved.update(keys, values), dynamic.update(keys, values)
        assert all(torch.equal(g, w) for g, w in zip(got, want, strict=True))
        assert reserved.get_seq_length() == dynamic.get_seq_length()
    assert reserved.key_room.shape[2] == 16  # doubled twice: 4 -> 8 -> 16
