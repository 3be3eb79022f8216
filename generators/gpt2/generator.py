"""GPT-2 (transformers' ``GPT2LMHeadModel``), trained from scratch or loaded pretrained.

From scratch: a byte-level BPE trained on the train split (``tokenizer = "bpe"``) or raw UTF-8
bytes (``tokenizer = "byte"``), then a GPT-2 of the configured size trained on random windows of
the train split's token stream. Pretrained: ``pretrained = "gpt2"`` (or a local folder written by
``save_pretrained``) with its own tokenizer, zero-shot or fine-tuned. Every tokenizer here is
byte-level, so every string is encodable: open vocabulary, oov_rate 0.

Start of text: the ``<|endoftext|>`` token is put before everything scored or generated (as GPT-2
does), so the first token is predicted too.

Scoring rule: ``score(text, context)`` tokenizes ``context + text`` together and scores
``[<|endoftext|>] + tokens(context + text)``, each token's log-probability on the character holding
its last byte (several tokens of one multi-byte character add up there), so BPE never pays for a
split it never makes: "The king went to the " + "sea" is scored as " sea", not as a lone " " and a
"sea" without its space. The score is log P(context + text) − log P(context), with the open end
of :mod:`generators.base`: a text's last token is an open end when a longer token starts with its
bytes (:meth:`ByteLevelTokens.is_open_end`: a trailing space, a partial word) and costs P(the next
token starts with its bytes), not P(that very token). The context's open end, when the token at
its place in ``context + text`` starts with its bytes, is charged once: its mass is taken off where
the token holding it is charged. So
score(a) + score(b, context=a) equals score(a + b) whenever the tokens of ``a`` but its last are
those of ``a + b`` (word boundaries, a trailing space or newline, punctuation); where the BPE
splits the end of ``a`` differently once ``b`` follows (a merge inside a word), the text is scored
from the first token of ``context + text`` that ends past the context. Texts and contexts ending in
two or more whitespace characters are tokenized as they are once something follows
(:meth:`ByteLevelTokens.encode_open`), so a blank line at the end of a prompt is "\\n", "\\n", not
one "\\n\\n" token the running text never has. With byte tokens no token is an open end
and none of this changes a score. Sequences longer than the window (n_positions) are scored with
the sliding windows of :mod:`generators.gpt2.scoring` (stride ``score_stride``): every token once,
with the same score whatever the split.

Generation: token healing first: when the prompt's last token may go on, it is backed off, the
first generated token is restricted to the tokens whose bytes start with it, and those bytes are not
part of the continuation, so the text goes on as the model would write it (no lone-space token
before a word). Then ``[<|endoftext|>] + tokens(prompt)``, batched with left padding, attention mask,
per-row position ids and a KV cache (one forward per new token); the window rule (a prompt keeps
its last 3/4 window of tokens; every window/4 steps a row longer than that keeps its last half
window) is in :mod:`generators.gpt2.decoding`; a row's text never depends on the other rows.
Bytes are decoded incrementally (invalid UTF-8 becomes U+FFFD); a row stops at ``max_chars``
characters, or earlier at ``<|endoftext|>`` (its continuation is then shorter; an incomplete
multi-byte character left at that point is dropped).
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import torch
import torch.nn.functional as F
from transformers import GPT2Config, GPT2LMHeadModel
from transformers.utils import logging as hf_logging

from generators import flops
from generators.base import SAMPLING_SETTINGS, Budget, Corpus, FitReport, Generator, Sampling
from generators.devices import (
    decoding_threads,
    device_name,
    in_own_memory,
    resolve_device,
    training_threads,
)
from generators.errors import ConfigError, CorpusError
from generators.gpt2.config import GPT2GeneratorConfig
from generators.gpt2.decoding import CachedDecoding
from generators.gpt2.scoring import token_logprobs, window_plan
from generators.gpt2.tokens import END_OF_TEXT, ByteLevelTokens, raw_byte_tokenizer, train_byte_bpe
from generators.options import config_from_dict, config_to_dict
from generators.registry import register_generator
from generators.sampling import TokenHistory, choose_tokens, seeded_uniforms
from generators.training import seeded, seeded_samples, train


@contextlib.contextmanager
def _no_progress_bar() -> Iterator[None]:
    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            hf_logging.enable_progress_bar()


def _read_model(name_or_path: str | Path, device: torch.device) -> GPT2LMHeadModel:
    """A saved or pretrained GPT-2 in float32 on ``device``, in eval mode, its tensors in memory of
    its own (:func:`~generators.devices.in_own_memory`: scores equal the saved model's bit for bit)."""
    with _no_progress_bar():
        model = GPT2LMHeadModel.from_pretrained(name_or_path, dtype=torch.float32)
    return in_own_memory(model.to(device)).eval()


@register_generator("gpt2")
class GPT2Generator(Generator):
    """A GPT-2 language model over byte-level tokens, scored per character."""

    config_class = GPT2GeneratorConfig
    config: GPT2GeneratorConfig
    family = "neural"  # a judge candidate, as the recurrent models
    sampling_settings = SAMPLING_SETTINGS  # the history rules read BPE (or byte) ids, no <|endoftext|>

    def __init__(self, config: GPT2GeneratorConfig | None = None, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        self.torch_device = resolve_device(device)
        self.model: GPT2LMHeadModel | None = None
        self.tokens: ByteLevelTokens | None = None
        self.fit_report: FitReport | None = None  # what the last fit did
        self.step_tokens = self.config.batch_size * self.config.context  # tokens per training step

    # ----------------------------------------------------------------- building

    @property
    def window(self) -> int:
        """Tokens the model sees at once: its n_positions."""
        return int(self._ready()[0].config.n_positions)

    @property
    def stride(self) -> int:
        stride = self.config.score_stride or max(1, self.window // 2)
        if stride >= self.window:
            raise ConfigError(f"score_stride must be below the window of {self.window} tokens, got {stride}")
        return stride

    def _ready(self) -> tuple[GPT2LMHeadModel, ByteLevelTokens]:
        if self.model is None and self.config.pretrained:
            self._load_pretrained()
        if self.model is None or self.tokens is None:
            raise RuntimeError("gpt2: call fit() or load() first")
        return self.model, self.tokens

    def _load_pretrained(self) -> None:
        self.tokens = ByteLevelTokens.from_pretrained(self.config.pretrained)
        self.model = _read_model(self.config.pretrained, self.torch_device)

    def _build_from_scratch(self, train_text: str) -> None:
        c = self.config
        tokenizer = (
            raw_byte_tokenizer() if c.tokenizer == "byte" else train_byte_bpe(train_text, c.vocab_size)
        )
        self.tokens = ByteLevelTokens(tokenizer, tokenizer.token_to_id(END_OF_TEXT))
        hf_config = GPT2Config(
            vocab_size=self.tokens.vocab_size,
            n_positions=c.context,
            n_embd=c.n_embd,
            n_layer=c.n_layer,
            n_head=c.n_head,
            resid_pdrop=c.dropout,
            embd_pdrop=c.dropout,
            attn_pdrop=c.dropout,
            bos_token_id=self.tokens.end_of_text,
            eos_token_id=self.tokens.end_of_text,
        )
        self.model = GPT2LMHeadModel(hf_config).to(self.torch_device)

    # ----------------------------------------------------------------- training

    def fit(self, corpus: Corpus, *, seed: int = 0, budget: Budget | None = None) -> FitReport:
        """Train on random windows of the train split's tokens; validate by bpc on corpus.valid."""
        budget = budget or Budget()
        valid = corpus.valid[: self.config.optim.eval_chars or None]
        if not valid:
            raise CorpusError("gpt2 needs a non-empty validation split")
        with seeded(seed, self.torch_device):
            if self.config.pretrained:
                self._load_pretrained()
            else:
                self._build_from_scratch(corpus.train)
            model, _ = self._ready()
            if budget.steps == 0 or (self.config.pretrained and not self.config.finetune):
                curve = [{"seconds": 0.0, "step": 0.0, "valid_bpc": self.bpc(valid)}]
                self.fit_report = FitReport(
                    stopped_by="steps" if budget.steps == 0 else "zero-shot", curve=curve, train_seconds=0.0
                )
                return self.fit_report
            step_loss = self._step_loss_function(corpus.train, seed)
            step_work = self.multiply_adds_per_token() * self.step_tokens
            with training_threads(step_work, self.torch_device):
                report = train(
                    model,
                    step_loss,
                    lambda: self.bpc(valid),
                    self.config.optim,
                    budget,
                    device=self.torch_device,
                    sample=seeded_samples(lambda s: self.generate([""], max_chars=80, seed=s)[0], seed),
                    desc="gpt2",
                )
        model.eval()
        self.fit_report = report
        return report

    def _step_loss_function(self, train_text: str, seed: int):
        """step -> (mean next-token loss in nats, characters consumed) over random windows."""
        model, tokens = self._ready()
        stream = torch.from_numpy(tokens.encode(train_text)).to(self.torch_device)  # (N,)
        if len(stream) < 2:
            raise CorpusError("gpt2 needs a train split of at least two tokens")
        length = min(self.config.context, self.window, len(stream) - 1)  # T
        chars_per_token = len(train_text) / len(stream)
        batch = self.config.batch_size
        self.step_tokens = batch * length
        rng = np.random.default_rng(seed)
        steps = torch.arange(length + 1, device=self.torch_device)  # (T+1,)

        def step_loss(step: int) -> tuple[torch.Tensor, int]:
            starts = torch.from_numpy(rng.integers(0, len(stream) - length, size=batch)).to(self.torch_device)
            windows = stream[starts[:, None] + steps]  # (B, T+1)
            inputs, targets = windows[:, :-1].clone(), windows[:, 1:]  # (B, T) each
            inputs[0, 0] = tokens.end_of_text  # one row per batch learns "start of text"
            logits = model(input_ids=inputs, use_cache=False).logits  # (B, T, V)
            loss = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten())
            return loss, round(batch * length * chars_per_token)

        return step_loss

    # ----------------------------------------------------------------- scoring

    def bpc(self, text: str) -> float:
        """Bits per character of ``text`` (its total NLL / len / ln 2)."""
        return float(-self.score(text).sum() / (len(text) * math.log(2)))

    def _score(self, text: str, context: str) -> np.ndarray:
        _, tokens = self._ready()
        ids = tokens.encode_open(context + text)  # (n,)
        first, context_end = self._first_scored(ids, context)
        open_end = tokens.is_open_end(int(ids[-1]))
        prefixes = [(len(ids) - 1 - first, tokens.token_bytes(int(ids[-1])))] if open_end else []
        if context_end is not None:
            prefixes.append((0, tokens.token_bytes(context_end)))
        logprobs, masses = self.token_logprobs(
            np.concatenate([[tokens.end_of_text], ids]), 1 + first, prefixes
        )
        if open_end:
            logprobs[-1] = masses[0]  # the text's open end
        if context_end is not None:
            logprobs[0] -= masses[-1]  # the context's open end was charged with the context
        scores = np.zeros(len(text), dtype=np.float64)
        places = tokens.last_char_index(context + text, ids)[first:] - len(context)
        np.add.at(scores, np.maximum(places, 0), logprobs)
        return scores

    def _first_scored(self, ids: np.ndarray, context: str) -> tuple[int, int | None]:
        """The first token of ``context + text`` charged, and the context's last token when it was an
        open end the charged token extends, else None (see the module docstring)."""
        _, tokens = self._ready()
        own = tokens.encode_open(context)
        k = len(own) - 1
        if (
            k >= 0
            and tokens.is_open_end(int(own[k]))
            and np.array_equal(ids[:k], own[:k])
            and tokens.token_bytes(int(ids[k])).startswith(tokens.token_bytes(int(own[k])))
        ):
            return k, int(own[k])
        ends = np.cumsum(tokens.lengths[ids])  # (n,) byte offset after each token
        return int(np.searchsorted(ends, len(context.encode("utf-8")), side="right")), None

    def window_plan(self, n: int, first: int) -> list[tuple[int, int, int]]:
        """The sliding windows that score targets [first, n) (:func:`~generators.gpt2.scoring.window_plan`)."""
        return window_plan(n, first, self.window, self.stride)

    def token_logprobs(
        self, ids: np.ndarray, first: int, prefixes: Sequence[tuple[int, bytes]] = ()
    ) -> tuple[np.ndarray, list[float]]:
        """:func:`~generators.gpt2.scoring.token_logprobs` with this model's windows."""
        model, tokens = self._ready()
        plan = self.window_plan(len(ids), first)
        return token_logprobs(model, tokens, ids, plan, prefixes, batch=self.config.score_batch)

    def native_token_count(self, text: str) -> int:
        return len(self._ready()[1].encode(text))

    def oov_rate(self, text: str) -> float:
        return 0.0  # byte-level tokens: nothing is out of vocabulary

    # ----------------------------------------------------------------- generation

    def _generate(self, prompts: list[str], *, max_chars: int, sampling: Sampling, seed: int) -> list[str]:
        model, tokens = self._ready()
        model.eval()
        contexts, healed = self._healed_prompts(prompts)
        wanted = max_chars + max(map(len, healed))  # the healed characters come out again first
        max_steps = 4 * wanted + 3  # each token adds >= 1 byte; a character takes <= 4 bytes
        uniforms = torch.from_numpy(seeded_uniforms(seed, len(prompts), max_steps))  # (B, steps)
        # inference mode for the first prefill too: no autograd graph of the whole prompt
        with torch.inference_mode(), decoding_threads(len(prompts), self.torch_device):
            decoding = CachedDecoding(model, tokens, contexts, wanted, self.torch_device)
            first_tokens = self._first_step_mask(healed)
            history = TokenHistory.for_sampling([c[1:] for c in contexts], sampling)  # no <|endoftext|>
            for step in range(max_steps):
                logits = decoding.logits()  # (active, V)
                if step == 0 and first_tokens is not None:
                    logits = logits.masked_fill(~first_tokens, float("-inf"))
                rows = history.subset(decoding.active) if history is not None else None
                picked = choose_tokens(logits, sampling, uniforms[decoding.active, step], rows).tolist()
                if rows is not None:
                    rows.append(picked)
                if not decoding.advance(picked):
                    break
        return [text[len(h) : len(h) + max_chars] for text, h in zip(decoding.texts(), healed, strict=True)]

    def _healed_prompts(self, prompts: list[str]) -> tuple[list[list[int]], list[str]]:
        """Each prompt's context ``[<|endoftext|>] + tokens``, its last token backed off when it may
        go on; and the characters backed off ("" where none)."""
        _, tokens = self._ready()
        contexts, healed = [], []
        for prompt in prompts:
            ids = tokens.encode_open(prompt).tolist()
            heal = bool(ids) and tokens.is_open_end(ids[-1])
            healed.append(tokens.token_bytes(ids[-1]).decode("utf-8") if heal else "")
            contexts.append([tokens.end_of_text, *(ids[:-1] if heal else ids)])
        return contexts, healed

    def _first_step_mask(self, healed: list[str]) -> torch.Tensor | None:
        """(B, V) True where a row's first token may be: one whose bytes start with what it backed off."""
        if not any(healed):
            return None
        _, tokens = self._ready()
        mask = torch.ones((len(healed), tokens.vocab_size), dtype=torch.bool)
        for row, text in enumerate(healed):
            if text:
                mask[row] = False
                mask[row, torch.from_numpy(tokens.starting_with(text.encode("utf-8")))] = True
        return mask.to(self.torch_device)

    # ----------------------------------------------------------------- persistence

    def save(self, directory: str | Path) -> None:
        model, tokens = self._ready()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with _no_progress_bar():  # transformers 5 shows bars for writing and loading even one shard
            model.save_pretrained(directory / "model")  # config.json + model.safetensors
        tokens.save(directory / "tokenizer.json")
        meta = {
            "generator": self.name,
            "config": config_to_dict(self.config),
            "end_of_text": tokens.end_of_text,
            "step_tokens": self.step_tokens,
        }
        (directory / "generator.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path, *, device: str = "cpu") -> Self:
        directory = Path(directory)
        meta = json.loads((directory / "generator.json").read_text(encoding="utf-8"))
        generator = cls(config_from_dict(cls.config_class, meta["config"]), device=device)
        generator.tokens = ByteLevelTokens.load(directory / "tokenizer.json", meta["end_of_text"])
        generator.model = _read_model(directory / "model", generator.torch_device)
        fallback = generator.config.batch_size * min(generator.config.context, generator.window)
        generator.step_tokens = meta.get("step_tokens", fallback)  # absent in saves made before FLOPs
        return generator

    def training_flops(self, report: FitReport) -> float:
        """``report.steps`` × tokens per step × 6 × :meth:`multiply_adds_per_token`."""
        return flops.training_flops(self.multiply_adds_per_token(), report.steps * self.step_tokens)

    def multiply_adds_per_token(self) -> int:
        """Forward multiply-adds per training token of this model's blocks, attention over the
        training sequence and output layer (:mod:`generators.flops`)."""
        hf = self._ready()[0].config
        sequence = self.step_tokens // self.config.batch_size
        return flops.transformer_multiply_adds(hf.n_layer, hf.n_embd, sequence, hf.vocab_size)

    def card(self) -> dict[str, Any]:
        c = self.config
        card = {**super().card(), "pretrained": c.pretrained or None, "valid_chars": c.optim.eval_chars or None}
        if self.model is None and not c.pretrained:
            return {**card, "architecture": f"transformer {c.n_layer}×{c.n_embd}"}
        model, tokens = self._ready()
        hf = model.config
        return {
            **card,
            "architecture": f"transformer {hf.n_layer}×{hf.n_embd}, {hf.n_head} heads, context {hf.n_positions}",
            "tokenizer": "UTF-8 bytes" if tokens.lengths.max() == 1 else "byte-level BPE",
            "vocabulary": tokens.vocab_size,
        }

    def describe(self) -> dict[str, Any]:
        info = {
            "name": self.name,
            "config": config_to_dict(self.config),
            "device": device_name(self.torch_device),
        }
        if self.model is None and not self.config.pretrained:
            return {**info, "parameters": 0, "tokenizer": f"{self.config.tokenizer} (not built before fit)"}
        model, tokens = self._ready()
        return {
            **info,
            "parameters": sum(p.numel() for p in model.parameters()),  # tied embeddings counted once
            "tokenizer": tokens.describe(),
            "window": self.window,
            "score_stride": self.stride,
            "scoring": "<|endoftext|> + tokens(context) + tokens(text); sliding window, each token once",
        }
