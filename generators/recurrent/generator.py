"""What char-lstm and word-lstm share as generators: fit, score, generate, save/load, describe.

A subclass supplies its vocabulary (the hooks at the top of :class:`RecurrentGenerator`); the
model, truncated-BPTT training, streaming scoring and batched sampling are the same code.
"""

from __future__ import annotations

import json
import math
from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from generators import flops
from generators.base import SAMPLING_SETTINGS, Budget, Corpus, FitReport, Generator, Sampling
from generators.devices import (
    decoding_threads,
    device_name,
    resolve_device,
    training_threads,
)
from generators.errors import CorpusError
from generators.options import config_from_dict, config_to_dict
from generators.recurrent.config import RecurrentConfig
from generators.recurrent.decoding import stream_tokens
from generators.recurrent.model import (
    RecurrentLM,
    State,
    TokenStreams,
    map_state,
    score_stream,
)
from generators.sampling import TokenHistory, seeded_uniforms
from generators.training import seeded, seeded_samples, train

FORMAT_VERSION = 1
SPELLING_STREAM = 1  # row i spells unknown tokens from default_rng([seed + i, SPELLING_STREAM])
SAMPLE_CHARS = 80  # length of the sample printed at each validation


@dataclass(frozen=True)
class Encoded:
    """A text as model tokens."""

    ids: np.ndarray  # (n,) int64 token ids; tokens outside the vocabulary get the unknown id
    ends: np.ndarray  # (n,) index of each token's last character in the text
    extra: np.ndarray  # (n,) float64 log-probability added to each token's (unknown-token spelling)


class RecurrentGenerator(Generator):
    """Base of the recurrent generators; subclasses define the vocabulary."""

    config_class: ClassVar[type[RecurrentConfig]]
    family: ClassVar[str] = "neural"
    sampling_settings = SAMPLING_SETTINGS  # the history rules read each row's token ids (bos left out)
    open_ends: ClassVar[bool] = False  # a text may end in an open end: a token the text after it extends (word runs)

    def __init__(self, config: Any = None, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        self.model: RecurrentLM | None = None
        self.fit_report: FitReport | None = None
        c = self.config
        self.step_tokens = c.batch_size * c.bptt  # tokens per training step (fewer on a tiny text)

    # ---- vocabulary hooks ---------------------------------------------------------------------

    @abstractmethod
    def build_vocabulary(self, train_text: str) -> None:
        """Choose the vocabulary (and anything else learnt from the text alone)."""

    @abstractmethod
    def vocabulary_size(self) -> int:
        """Output classes: known tokens plus the unknown symbol (which is the last id)."""

    @abstractmethod
    def encode(self, text: str) -> Encoded:
        """Tokenize ``text`` losslessly into ids, token end positions and unknown-token costs."""

    @abstractmethod
    def token_text(self, token: int, rng: np.random.Generator, sampling: Sampling) -> str:
        """The characters a generated id stands for (``rng``: that row's stream for spellings)."""

    def open_end_logprob(self, piece: str, logprobs: np.ndarray) -> float:
        """log P(the next token's text starts with ``piece``), from the next-token log-probabilities
        (V,); subclasses whose tokens go on (``open_ends``) implement it."""
        raise NotImplementedError(f"{self.name}: tokens do not go on")

    @abstractmethod
    def logit_bias(self, sampling: Sampling) -> dict[int, float]:
        """Added to these ids' logits before temperature when generating (-inf: never picked)."""

    def rank_bias(self) -> dict[int, float]:
        """Added to these ids' logits, instead of ``logit_bias``, where greedy, top-k and top-p rank
        the tokens (see :func:`generators.recurrent.decoding.stream_tokens`); none by default."""
        return {}

    @abstractmethod
    def tokenizer_description(self) -> str: ...

    card_tokenizer: ClassVar[str] = ""  # the model card's tokenizer, in a few words

    @abstractmethod
    def vocabulary_to_json(self) -> dict[str, Any]: ...

    @abstractmethod
    def vocabulary_from_json(self, data: dict[str, Any]) -> None: ...

    # ---- shared machinery ---------------------------------------------------------------------

    @property
    def torch_device(self) -> torch.device:
        return resolve_device(self.device)

    @property
    def unknown_id(self) -> int:
        return self.vocabulary_size() - 1

    def new_model(self) -> RecurrentLM:
        c = self.config
        model = RecurrentLM(
            self.vocabulary_size(), c.cell, c.embedding_dim, c.hidden_size, c.layers, c.dropout
        )
        return model.to(self.torch_device)

    def require_model(self) -> RecurrentLM:
        if self.model is None:
            raise RuntimeError(f"{self.name} is not trained: call fit() or load() first")
        return self.model

    def fit(self, corpus: Corpus, *, seed: int = 0, budget: Budget | None = None) -> FitReport:
        """Truncated-BPTT training on ``corpus.train``; validation bpc on ``corpus.valid``.

        Runs inside :func:`seeded`: the same seed on CPU gives the same weights, and the caller's
        torch RNG state is restored afterwards.
        """
        if not corpus.train:
            raise CorpusError(f"corpus {corpus.name!r} has an empty train split")
        device, c = self.torch_device, self.config
        with seeded(seed, device):
            self.build_vocabulary(corpus.train)
            encoded = self.encode(corpus.train)
            self.model = model = self.new_model()
            streams = TokenStreams(
                encoded.ids,
                batch_size=c.batch_size,
                bptt=c.bptt,
                bos=model.bos,
                seed=seed,
                device=device,
                char_lengths=np.diff(encoded.ends, prepend=-1) if not self.char_level else None,
            )
            self.step_tokens = c.batch_size * streams.bptt
            valid = self.validation_text(corpus)
            step_work = self.multiply_adds_per_token() * self.step_tokens
            with training_threads(step_work, device):
                self.fit_report = self.train_model(model, streams, valid, seed, budget)
        return self.fit_report

    def train_model(
        self, model: RecurrentLM, streams: TokenStreams, valid: str, seed: int, budget: Budget | None
    ) -> FitReport:
        """The training loop (:func:`generators.training.train`) over ``streams``."""
        return train(
            model,
            self.step_loss_fn(model, streams),
            lambda: self.bits_per_char(valid),
            self.config.optim,
            budget or Budget(),
            device=self.torch_device,
            sample=seeded_samples(lambda s: self.generate([""], max_chars=SAMPLE_CHARS, seed=s)[0], seed),
            desc=self.name,
        )

    def validation_text(self, corpus: Corpus) -> str:
        """The first ``optim.eval_chars`` of the validation split (its train tail when empty)."""
        limit = self.config.optim.eval_chars or None
        text = corpus.valid or corpus.train[-(limit or len(corpus.train)) :]
        return text[:limit]

    def step_loss_fn(self, model: RecurrentLM, streams: TokenStreams):
        """The closure ``train`` calls: one TBPTT window, state carried (detached) across calls."""
        carried: list[State | None] = [None]

        def step_loss(step: int) -> tuple[torch.Tensor, int]:
            x, y, chars, restart = streams.next_batch()  # (B, T), (B, T), (R,)
            state = carried[0]
            if state is not None:  # restarting rows begin from the zero state
                state = map_state(lambda s: s.index_fill(1, restart, 0.0), state)  # (layers, B, H)
            logits, state = model(x, state)  # (B, T, V)
            carried[0] = map_state(torch.Tensor.detach, state)
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), y.reshape(-1))
            return loss, chars

        return step_loss

    def bits_per_char(self, text: str) -> float:
        return -float(self.score(text).sum()) / (max(len(text), 1) * math.log(2))

    def _score(self, text: str, context: str) -> np.ndarray:
        """Per-character log-likelihoods; each token's log-probability sits on its last character.

        ``context + text`` is tokenized together. When tokens go on (word runs, whitespace runs),
        the score is log P(context + text) − log P(context) with each text's last token open: it
        costs P(the next token starts with it). The context's last token may go on in ``text``,
        so that mass is taken off where the token holding it is charged (on its last character, or
        on the text's first when the token is complete in the context). Then
        score(a) + score(b, context=a) equals score(a + b) (up to float rounding, while both fit
        in one scoring chunk).
        """
        model = self.require_model()
        whole = self.encode(context + text)
        first = len(self.encode(context).ids)
        if self.open_ends and first:
            first -= 1  # the context's last token
        c = self.config
        rows = (0, len(whole.ids) - first - 1) if self.open_ends else ()
        logprobs, distributions = score_stream(
            model,
            whole.ids,
            first,
            max_chunks=c.score_batch,
            min_chunk=c.score_chunk,
            prime=c.score_prime,
            device=self.torch_device,
            rows=rows,
        )
        logprobs = logprobs + whole.extra[first:]
        if self.open_ends:
            self._charge_open_ends(logprobs, distributions, context + text, whole.ends, first, len(context))
        out = np.zeros(len(text))
        np.add.at(out, np.maximum(whole.ends[first:] - len(context), 0), logprobs)
        return out

    def _charge_open_ends(
        self,
        logprobs: np.ndarray,
        distributions: dict[int, np.ndarray],
        joined: str,
        ends: np.ndarray,
        first: int,
        cut: int,
    ) -> None:
        """In place, on the log-probabilities of tokens ``first..`` of ``joined`` (``ends``: each
        token's last character): the last token costs P(the next token starts with it); when the
        context (``joined[:cut]``) is not empty, token ``first`` is its last token, and P(a token
        starts with the context's part of it) is taken off."""
        starts = np.concatenate([[0], ends[:-1] + 1])  # (n,) first character of each token
        logprobs[-1] = self.open_end_logprob(joined[starts[-1] :], distributions[len(logprobs) - 1])
        if cut:
            logprobs[0] -= self.open_end_logprob(joined[starts[first] : cut], distributions[0])

    def _generate(self, prompts: list[str], *, max_chars: int, sampling: Sampling, seed: int) -> list[str]:
        """Batched sampling; row i uses uniforms seeded ``seed + i`` (see generators.sampling)."""
        model = self.require_model()
        rows = [[model.bos, *self.encode(p).ids.tolist()] for p in prompts]
        uniforms = torch.from_numpy(seeded_uniforms(seed, len(rows), max_chars))  # every token has >= 1 character
        spellers = [np.random.default_rng([seed + i, SPELLING_STREAM]) for i in range(len(rows))]
        pieces: list[list[str]] = [[] for _ in rows]
        lengths = [0] * len(rows)
        bias, rank = self.logit_bias(sampling), self.rank_bias()
        history = TokenHistory.for_sampling([row[1:] for row in rows], sampling)  # prompts' tokens, no bos
        spelled = sampling.history_free()  # a spelled word's characters are not the model's tokens
        device = self.torch_device
        with decoding_threads(len(rows), device):
            for tokens in stream_tokens(
                model,
                rows,
                sampling,
                uniforms,
                logit_bias=bias,
                rank_bias=rank,
                history=history,
                device=device,
                cuda_graph=self.config.cuda_graphs,
            ):
                for row, token in enumerate(tokens.tolist()):
                    if lengths[row] < max_chars:
                        piece = self.token_text(token, spellers[row], spelled)
                        pieces[row].append(piece)
                        lengths[row] += len(piece)
                if min(lengths) >= max_chars:
                    break
        return ["".join(p)[:max_chars] for p in pieces]

    def training_flops(self, report: FitReport) -> float:
        """``report.steps`` × tokens per step × 6 × :meth:`multiply_adds_per_token`."""
        return flops.training_flops(self.multiply_adds_per_token(), report.steps * self.step_tokens)

    def multiply_adds_per_token(self) -> int:
        """Forward multiply-adds per token of this model's embedding (or one-hot input), recurrent
        layers and output layer (:mod:`generators.flops`)."""
        model, c = self.require_model(), self.config
        input_size = c.embedding_dim if c.embedding_dim > 0 else model.n_inputs
        return flops.recurrent_multiply_adds(c.cell, input_size, c.hidden_size, c.layers, model.n_outputs)

    def native_token_count(self, text: str) -> int:
        return len(self.encode(text).ids)

    def oov_rate(self, text: str) -> float:
        ids = self.encode(text).ids
        return float(np.mean(ids == self.unknown_id)) if len(ids) else 0.0

    def save(self, directory: str | Path) -> None:
        model = self.require_model()
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        weights = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
        save_file(weights, str(path / "model.safetensors"))
        meta = {
            "format": FORMAT_VERSION,
            "generator": self.name,
            "config": config_to_dict(self.config),
            "vocabulary": self.vocabulary_to_json(),
            "fit_report": self.fit_report.to_dict() if self.fit_report else None,
            "step_tokens": self.step_tokens,
        }
        (path / "generator.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path, *, device: str = "cpu") -> Self:
        path = Path(directory)
        meta = json.loads((path / "generator.json").read_text(encoding="utf-8"))
        cls.check_saved(meta, path)
        generator = cls(config_from_dict(cls.config_class, meta["config"]), device=device)
        generator.vocabulary_from_json(meta["vocabulary"])
        # absent in saves made before the FLOPs estimate: the configured window then
        generator.step_tokens = meta.get("step_tokens", generator.step_tokens)
        generator.model = generator.new_model()
        weights = load_file(str(path / "model.safetensors"), device=str(generator.torch_device))
        generator.model.load_state_dict(weights)
        generator.model.eval()
        if meta.get("fit_report"):
            generator.fit_report = FitReport(**meta["fit_report"])
        return generator

    @classmethod
    def check_saved(cls, meta: dict[str, Any], path: Path) -> None:
        """Refuse, with a clear message, a save this version cannot read (before parsing its config)."""

    def card(self) -> dict[str, Any]:
        c = self.config
        embedding = f", embedding {c.embedding_dim}" if c.embedding_dim else ", one-hot input"
        return {
            **super().card(),
            "architecture": f"{c.cell.upper()} {c.layers}×{c.hidden_size}{embedding}",
            "tokenizer": self.card_tokenizer,
            "valid_chars": c.optim.eval_chars or None,
        }

    def describe(self) -> dict[str, Any]:
        c = self.config
        parameters = sum(p.numel() for p in self.model.parameters()) if self.model is not None else 0
        return {
            "name": self.name,
            "parameters": parameters,
            "tokenizer": self.tokenizer_description(),
            "config": config_to_dict(c),
            "device": device_name(self.torch_device),
            "vocabulary_size": self.vocabulary_size() if self.model is not None else None,
            "scoring": (
                f"one stream with carried state, cut into at most {c.score_batch} parallel chunks of >= "
                f"{c.score_chunk} tokens, each later chunk primed with the {c.score_prime} tokens before it"
            ),
        }
