"""The recurrent language model shared by char-lstm and word-lstm, and how it is fed.

* :class:`RecurrentLM` — embedding (or one-hot) → ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` → linear.
  Input ids are ``0..n_outputs-1`` (the vocabulary, unknown symbol last) plus one start-of-text
  id (``bos``); the output softmax covers the vocabulary only, so it never predicts ``bos``.
* :class:`TokenStreams` — truncated BPTT batches: the training stream cut into B contiguous
  streams, read T tokens at a time; each epoch the whole stream is rotated by a seeded random
  offset so stream boundaries move.
* :func:`score_stream` — log-likelihoods of a long text as one stream with carried state, cut into
  parallel chunks each primed with the preceding tokens.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from generators.errors import CorpusError

State = torch.Tensor | tuple[torch.Tensor, ...]  # LSTM: (h, c), each (layers, B, H); GRU/RNN: h
CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def map_state(fn, state: State) -> State:
    """Apply ``fn`` to every tensor of a recurrent state."""
    return tuple(fn(s) for s in state) if isinstance(state, tuple) else fn(state)


class RecurrentLM(nn.Module):
    """Embedding (or one-hot) → recurrent core (batch_first) → dropout → linear over the vocabulary."""

    def __init__(
        self,
        n_outputs: int,
        cell: str = "lstm",
        embedding_dim: int = 64,
        hidden_size: int = 256,
        layers: int = 2,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.n_outputs = n_outputs  # vocabulary incl. the unknown symbol
        self.n_inputs = n_outputs + 1  # plus the start-of-text input
        self.bos = n_outputs
        self.embedding = nn.Embedding(self.n_inputs, embedding_dim) if embedding_dim > 0 else None
        input_size = embedding_dim if embedding_dim > 0 else self.n_inputs
        between = dropout if layers > 1 else 0.0
        self.rnn = CELLS[cell](input_size, hidden_size, layers, batch_first=True, dropout=between)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, n_outputs)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, T) ids → (B, T, E) inputs."""
        if self.embedding is None:
            return F.one_hot(tokens, self.n_inputs).float()
        return self.embedding(tokens)

    def forward(self, tokens: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """(B, T) ids and an optional state → (B, T, V) logits and the new state.

        The recurrent core always runs in float32, also under autocast (training on CUDA): autocast
        casts cuDNN's RNNs to float16 whatever dtype it was asked for, and float16 gradients
        underflow without loss scaling. The embedding and the output layer follow autocast.
        """
        inputs = self.embed(tokens)  # (B, T, E)
        with _without_autocast(inputs.device):
            out, state = self.rnn(inputs.float(), state)  # (B, T, H)
        return self.head(self.drop(out)), state

    def zero_state(self, batch: int, device: torch.device) -> State:
        shape = (self.rnn.num_layers, batch, self.rnn.hidden_size)
        h = torch.zeros(shape, device=device)
        return (h, torch.zeros_like(h)) if isinstance(self.rnn, nn.LSTM) else h


class TokenStreams:
    """Truncated-BPTT batches over one token stream cut into ``batch_size`` contiguous streams.

    Epoch e rotates the stream by a seeded random offset, cuts it into B streams of L tokens and
    yields (B, T) input/target windows left to right; the caller carries (detached) state from
    one window to the next and zeroes it for the ``restart`` rows, whose first input is the
    start-of-text id: every row on the first window of an epoch (no history precedes it), and one
    row in turn on every other window, so the model learns to begin a text from nothing (an empty
    prompt, the first characters of every scored text) hundreds of times per epoch, not B times.
    """

    def __init__(
        self,
        ids: np.ndarray,
        *,
        batch_size: int,
        bptt: int,
        bos: int,
        seed: int,
        device: torch.device,
        char_lengths: np.ndarray | None = None,
    ) -> None:
        self.length = (len(ids) - 1) // batch_size  # L: tokens per stream
        if self.length < 2:
            raise CorpusError(
                f"the training text has {len(ids)} tokens: too few for batch_size {batch_size}; "
                "lower batch_size or use a longer corpus"
            )
        self.ids = torch.as_tensor(ids, dtype=torch.long, device=device)  # (N,)
        self.char_lengths = char_lengths  # (N,) characters per token; None = one each
        self.batch_size, self.bptt, self.bos = batch_size, min(bptt, self.length), bos
        self.rows = torch.arange(batch_size, device=device)  # (B,) row ids, sliced for the restart rows
        self.rng = np.random.default_rng(seed)
        self.windows = self.length // self.bptt  # windows per epoch
        self.epoch, self.window = -1, self.windows  # start a new epoch on the first call

    def _start_epoch(self) -> None:
        self.epoch, self.window = self.epoch + 1, 0
        offset = int(self.rng.integers(len(self.ids)))
        used = self.batch_size * self.length
        rotated = torch.roll(self.ids, -offset)  # (N,)
        self.inputs = rotated[:used].view(self.batch_size, self.length)  # (B, L)
        self.targets = rotated[1 : used + 1].view(self.batch_size, self.length)  # (B, L)
        if self.char_lengths is not None:
            lengths = np.roll(self.char_lengths, -offset)[1 : used + 1]
            self.target_chars = lengths.reshape(self.batch_size, self.length)  # (B, L)

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor, int, torch.Tensor]:
        """(inputs (B, T), targets (B, T), target characters, restart rows (R,))."""
        if self.window >= self.windows:
            self._start_epoch()
        turn = self.window % self.batch_size
        restart = self.rows if self.window == 0 else self.rows[turn : turn + 1]  # (B,) or (1,), no copy
        cols = slice(self.window * self.bptt, (self.window + 1) * self.bptt)
        x, y = self.inputs[:, cols].clone(), self.targets[:, cols]
        x[restart, 0] = self.bos
        self.window += 1
        if self.char_lengths is None:
            return x, y, y.numel(), restart
        return x, y, int(self.target_chars[:, cols].sum()), restart


@dataclass(frozen=True)
class Chunking:
    """How :func:`score_stream` cut a text: recorded so results can state it."""

    chunks: int  # parallel chunks
    chunk_tokens: int  # scored tokens per chunk (the last may be shorter)
    prime_tokens: int  # tokens fed before every chunk but the first


def plan_chunks(n_scored: int, *, max_chunks: int, min_chunk: int, prime: int) -> Chunking:
    """Cut ``n_scored`` tokens into at most ``max_chunks`` chunks of at least ``min_chunk`` tokens."""
    if n_scored <= 0:
        return Chunking(1, 0, prime)
    chunks = max(1, min(max_chunks, n_scored // max(min_chunk, 1)))
    chunk_tokens = math.ceil(n_scored / chunks)
    return Chunking(math.ceil(n_scored / chunk_tokens), chunk_tokens, prime)  # no chunk starts past the end


@torch.no_grad()
def score_stream(
    model: RecurrentLM,
    ids: np.ndarray,
    first: int,
    *,
    max_chunks: int,
    min_chunk: int,
    prime: int,
    device: torch.device,
    rows: Sequence[int] = (),
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """log P(ids[i] | start, ids[:i]) for i in [first, len(ids)), float64; and the whole next-token
    log-distribution (V,) before each scored position ``first + j`` for j in ``rows``.

    ``ids[:first]`` is the context: it is run first (one sequence, carried state) and its final
    state starts the first chunk, which is therefore exact. Long texts are cut into parallel
    chunks; every later chunk starts from a zero state ``prime`` tokens before its first scored
    token (or from the start of text when that is nearer), so only the first ``prime`` tokens of
    history are visible at a chunk's start. With prime ≥ a few hundred characters the effect on
    bpc is small (measure it with ``score_prime``); one chunk is the exact, slow answer.
    """
    model.eval()
    n_scored = len(ids) - first
    if n_scored <= 0:
        return np.zeros(0), {}
    inputs = np.concatenate([[model.bos], ids[:-1]])  # inputs[i] predicts ids[i]
    plan = plan_chunks(n_scored, max_chunks=max_chunks, min_chunk=min_chunk, prime=prime)
    starts = [first + j * plan.chunk_tokens for j in range(plan.chunks)]
    ends = [min(s + plan.chunk_tokens, len(ids)) for s in starts]
    feeds = [first] + [max(0, s - prime) for s in starts[1:]]  # where each row's inputs begin
    rows_in = [torch.as_tensor(inputs[a:e], dtype=torch.long) for a, e in zip(feeds, ends, strict=True)]
    rows_out = [torch.as_tensor(ids[a:e], dtype=torch.long) for a, e in zip(feeds, ends, strict=True)]
    x = pad_sequence(rows_in, batch_first=True).to(device)  # (C, W)
    y = pad_sequence(rows_out, batch_first=True).to(device)  # (C, W)
    chunk_of = [min(j // plan.chunk_tokens, plan.chunks - 1) for j in rows]
    cells = [(c, first + j - feeds[c]) for j, c in zip(rows, chunk_of, strict=True)]  # (chunk, column)
    with exact_float32_rnns(device):
        state = _context_state(model, inputs[:first], plan.chunks, device)
        logprobs, kept = _windowed_logprobs(model, x, y, state, cells)  # (C, W) float64
    out = np.empty(n_scored)
    for row, (a, s, e) in enumerate(zip(feeds, starts, ends, strict=True)):
        out[s - first : e - first] = logprobs[row, s - a : e - a]
    return out, {j: kept[cell] for j, cell in zip(rows, cells, strict=True)}


def _context_state(model: RecurrentLM, context: np.ndarray, batch: int, device: torch.device) -> State:
    """Zero state for every row; row 0 gets the state after reading ``context``."""
    state = model.zero_state(batch, device)
    if len(context) == 0:
        return state
    tokens = torch.as_tensor(context, dtype=torch.long, device=device).unsqueeze(0)  # (1, n)
    _, ctx = model(tokens)

    def put(zeros: torch.Tensor, row: torch.Tensor) -> torch.Tensor:
        zeros[:, :1] = row
        return zeros

    if isinstance(state, tuple):
        return tuple(put(z, r) for z, r in zip(state, ctx, strict=True))
    return put(state, ctx)


def _windowed_logprobs(
    model: RecurrentLM, x: torch.Tensor, y: torch.Tensor, state: State, cells: Sequence[tuple[int, int]]
) -> tuple[np.ndarray, dict[tuple[int, int], np.ndarray]]:
    """Run (C, W) inputs in time windows small enough for the (C, w, V) logits; gather targets, and
    keep the whole log-distribution (V,) at each (chunk, column) of ``cells``."""
    chunks, width = x.shape
    window = max(1, min(width, (1 << 24) // max(chunks * model.n_outputs, 1)))
    pieces, kept = [], {}
    for t in range(0, width, window):
        logits, state = model(x[:, t : t + window], state)  # (C, w, V)
        logp = torch.log_softmax(logits.double(), dim=-1)  # (C, w, V)
        pieces.append(logp.gather(-1, y[:, t : t + window].unsqueeze(-1)).squeeze(-1).cpu())  # (C, w)
        for chunk, column in cells:
            if t <= column < t + window:
                kept[(chunk, column)] = logp[chunk, column - t].cpu().numpy()
    return torch.cat(pieces, dim=1).numpy(), kept


@contextlib.contextmanager
def exact_float32_rnns(device: torch.device) -> Iterator[None]:
    """On CUDA, cuDNN runs float32 RNNs in TF32 by default (products with 10-bit mantissas: about
    1e-3 relative error in the logits); scores are computed in full float32 instead.

    With torch >= 2.9 this sets the RNN flag of the new precision API; while it is set, reading the
    legacy ``torch.backends.cudnn.allow_tf32`` raises (PyTorch refuses to merge differing flags).
    """
    if device.type != "cuda":
        yield
        return
    rnn = getattr(torch.backends.cudnn, "rnn", None)  # torch >= 2.9; the old flag also covers convolutions
    name, owner = ("fp32_precision", rnn) if rnn is not None else ("allow_tf32", torch.backends.cudnn)
    before = getattr(owner, name)
    setattr(owner, name, "ieee" if rnn is not None else False)
    try:
        yield
    finally:
        setattr(owner, name, before)


def _without_autocast(device: torch.device) -> contextlib.AbstractContextManager:
    if torch.is_autocast_enabled(device.type):
        return torch.autocast(device.type, enabled=False)
    return contextlib.nullcontext()
