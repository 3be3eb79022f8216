"""Batched incremental decoding with a KV cache for GPT-2-style models (learned absolute positions).

Rows are right-padded to one width; the attention mask hides the padding from every later token
(the cache keeps those slots as holes) and each row's position ids count its own tokens from 0, so
a row's logits do not depend on the other rows (up to float rounding). Right, not left, padding:
every padding query still sees its row's real tokens, whereas a left-padding query sees nothing,
and some fused CUDA attention kernels return NaN for such fully masked rows, which the padding's
keys and values would then carry into every real row. The prefill computes logits only at each
row's last real token (the hidden states are gathered before the output layer), not at all
W positions of the batch (B × W × V floats: gigabytes for GPT-2's 50,257 tokens). One forward per
new token reuses the KV cache. Finished rows leave the batch.

Window rule (n_positions = W, check interval K = W // 4): a prompt keeps its last W - K tokens;
every K steps, each row longer than W - K tokens is cut to its last W // 2 tokens. Between checks a
row grows by at most K tokens, so no position passes W - 1. The checks fall on the same steps
whatever the batch (the step count is shared), so a row's text does not depend on the other rows;
when any row is cut, the cache is rebuilt from every row's own context (for the rows not cut that
recomputes what the cache held). Rebuilds happen at most once per K steps for the whole batch,
instead of once per row that reaches the window.

The cache reserves each layer's room for the whole window when it is made (:class:`ReservedLayer`):
a step writes one position into it instead of concatenating a new copy of every layer's keys and
values, as transformers' DynamicCache does, which took a quarter of a step of the quick profile's
gpt2 at batch 64.
"""

from __future__ import annotations

import codecs
import inspect
from typing import Any

import torch
from transformers import GPT2LMHeadModel
from transformers.cache_utils import Cache, DynamicLayer

from generators.gpt2.tokens import ByteLevelTokens


def cache_argument(model: GPT2LMHeadModel) -> str:
    """The KV-cache keyword of ``model.forward``: ``cache`` in newer transformers (which warn about
    the old name), ``past_key_values`` before."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def returned_cache(out: Any) -> Any:
    """The KV cache a forward returned, under either name."""
    cache = out.get("cache")
    return cache if cache is not None else out.get("past_key_values")


class ReservedLayer(DynamicLayer):
    """One layer's keys and values in room reserved ahead: ``update`` writes the new positions in
    place, and ``keys``/``values`` are views of the filled part (what DynamicLayer holds). The batch's
    width can pass the window (the widest row leaves, the others keep growing), so a full room is
    doubled: rarely, as a row's own context never passes the window."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room  # positions reserved first: the model's window
        self.length = 0  # positions filled
        self.key_room: torch.Tensor | None = None  # (B, heads, room, head size)
        self.value_room: torch.Tensor | None = None

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        super().lazy_initialization(key_states, value_states)
        batch, heads, _, size = key_states.shape
        self.key_room = key_states.new_empty((batch, heads, self.room, size))
        self.value_room = value_states.new_empty((batch, heads, self.room, size))

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        end = self.length + key_states.shape[-2]
        if end > self.key_room.shape[-2]:
            self._enlarge(max(end, 2 * self.key_room.shape[-2]))
        self.key_room[:, :, self.length : end] = key_states
        self.value_room[:, :, self.length : end] = value_states
        self.length = end
        self._show_filled()
        return self.keys, self.values

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        if self.is_initialized:
            self.key_room, self.value_room = self.key_room[indices], self.value_room[indices]
            self._show_filled()

    def _enlarge(self, room: int) -> None:
        self.key_room, self.value_room = widened(self.key_room, room), widened(self.value_room, room)

    def _show_filled(self) -> None:
        self.keys = self.key_room[:, :, : self.length]
        self.values = self.value_room[:, :, : self.length]


def widened(room: torch.Tensor, positions: int) -> torch.Tensor:
    """(B, heads, positions, size): ``room`` with unfilled positions added at the end."""
    extra = room.new_empty((*room.shape[:2], positions - room.shape[2], room.shape[3]))
    return torch.cat([room, extra], dim=2)


def reserved_cache(model: GPT2LMHeadModel) -> Cache:
    """An empty KV cache with room for the model's whole window in every layer."""
    room = int(model.config.n_positions)
    return Cache(layers=[ReservedLayer(room) for _ in range(int(model.config.n_layer))])


class CachedDecoding:
    """State of one batched generation: contexts, cache, decoded text per row."""

    def __init__(
        self,
        model: GPT2LMHeadModel,
        tokens: ByteLevelTokens,
        contexts: list[list[int]],
        max_chars: int,
        device: torch.device,
    ) -> None:
        self.model, self.tokens, self.device = model, tokens, device
        self.max_chars = max_chars
        window = int(model.config.n_positions)
        self.check_every = max(1, window // 4)  # K: steps between window checks
        self.longest = window - self.check_every  # rows longer than this at a check are cut
        self.keep = max(1, window // 2)  # tokens a cut row keeps
        self.step = 0
        self.contexts = [list(c)[-self.longest :] for c in contexts]  # per row: what the model sees
        self.active = list(range(len(contexts)))  # rows still generating, in batch order
        self.decoders = [codecs.getincrementaldecoder("utf-8")("replace") for _ in contexts]
        self.pieces: list[list[str]] = [[] for _ in contexts]
        self.chars = [0] * len(contexts)
        self.blocked = torch.tensor(tokens.blocked_ids, dtype=torch.long, device=device)
        self.cache_keyword = cache_argument(model)
        self._prefill()

    def _prefill(self) -> None:
        """Run every active row's context through the model, right-padded, into a fresh cache."""
        rows = [self.contexts[r] for r in self.active]
        width = max(len(row) for row in rows)
        ids = torch.full((len(rows), width), self.tokens.end_of_text, dtype=torch.long)  # (B, W)
        mask = torch.zeros((len(rows), width), dtype=torch.long)  # (B, W) 1 = real token
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row)
            mask[i, : len(row)] = 1
        self.mask = mask.to(self.device)
        positions = torch.arange(width, device=self.device).expand(len(rows), width)  # (B, W)
        out = self.model.transformer(
            input_ids=ids.to(self.device),
            attention_mask=self.mask,
            position_ids=positions,
            use_cache=True,
            **{self.cache_keyword: reserved_cache(self.model)},
        )
        last = torch.tensor([len(row) - 1 for row in rows], device=self.device)  # (B,)
        hidden = out.last_hidden_state[torch.arange(len(rows), device=self.device), last]  # (B, H)
        self.cache, self.next_logits = returned_cache(out), self.model.lm_head(hidden)  # (B, V)

    def _feed(self, picked: list[int]) -> None:
        """One forward for the newly picked token of each active row."""
        ones = torch.ones((len(picked), 1), dtype=self.mask.dtype, device=self.device)
        self.mask = torch.cat([self.mask, ones], dim=1)  # (B, W + 1)
        positions = torch.tensor(
            [[len(self.contexts[r]) - 1] for r in self.active], device=self.device
        )  # (B, 1)
        out = self.model(
            input_ids=torch.tensor(picked, device=self.device)[:, None],
            attention_mask=self.mask,
            position_ids=positions,
            use_cache=True,
            **{self.cache_keyword: self.cache},
        )
        self.cache, self.next_logits = returned_cache(out), out.logits[:, -1]  # (B, V)

    def logits(self) -> torch.Tensor:
        """(B, V) next-token logits of the active rows; special tokens other than end-of-text are -inf."""
        logits = self.next_logits[:, : self.tokens.vocab_size].float()
        logits[:, self.blocked] = float("-inf")
        return logits

    def _append(self, row: int, token: int) -> bool:
        """Add ``token`` to ``row``'s text; False when the row is finished."""
        if token == self.tokens.end_of_text:
            return False
        piece = self.decoders[row].decode(self.tokens.token_bytes(token))
        self.pieces[row].append(piece)
        self.chars[row] += len(piece)
        if self.chars[row] >= self.max_chars:
            return False
        self.contexts[row].append(token)
        return True

    def advance(self, picked: list[int]) -> bool:
        """Append each active row's picked token and run the model; False when every row is done."""
        keep = [
            i
            for i, (row, token) in enumerate(zip(self.active, picked, strict=True))
            if self._append(row, token)
        ]
        if not keep:
            return False
        if len(keep) < len(self.active):
            self.active = [self.active[i] for i in keep]
            picked = [picked[i] for i in keep]
            index = torch.tensor(keep, device=self.device)
            self.cache.batch_select_indices(index)
            self.mask = self.mask[index]
        self.step += 1
        if self._cut_long_contexts():
            self._prefill()
        else:
            self._feed(picked)
        return True

    def _cut_long_contexts(self) -> bool:
        """At every K-th step, cut rows longer than W - K to their last W // 2 tokens; True if any."""
        if self.step % self.check_every:
            return False
        long = [r for r in self.active if len(self.contexts[r]) > self.longest]
        for r in long:
            self.contexts[r] = self.contexts[r][-self.keep :]
        return bool(long)

    def texts(self) -> list[str]:
        """Each row's continuation, cut to exactly ``max_chars`` characters when it got that far."""
        return ["".join(pieces)[: self.max_chars] for pieces in self.pieces]
