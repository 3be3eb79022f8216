"""One step of the recurrent LM per generated token, for the whole batch, as cheaply as it goes.

:func:`decoding_step` picks how :func:`stream_tokens` feeds each row's new
token to the model:

* an LSTM: :class:`FusedLSTMStep` calls the ATen operations of PyTorch's CPU LSTM cell
  (``aten/src/ATen/native/RNN.cpp``: ``addmm`` of the hidden state plus ``addmm`` of the input,
  ``sigmoid_``/``tanh_`` on the four gate chunks, the cell and hidden updates), on the same shapes
  in the same order, into buffers allocated once, so on the CPU its logits and state are bit for
  bit those of the ``nn.LSTM`` call it replaces (tested), without that call's per-step work: its
  checks, the batch-first transposes, stacking each layer's state and output, four module calls;
* a GRU or a plain RNN: :class:`EagerStep`, the model's own forward on one token (not fused).

On CUDA, :class:`CudaGraphDecoding` records one whole step (the logit bias, the token choice of
:func:`generators.sampling.choose_tokens` and the fused LSTM step) as a CUDA graph and replays it
per token, so a step costs one graph launch and one copy back of the chosen ids instead of about
40 operations launched one by one (a 2-layer model). It is opt-in (``cuda_graphs = true``) until
``tests/test_cuda.py`` has passed on a GPU. Its products are cuBLAS's, not cuDNN's, so its text can
differ from the eager CUDA path's where two tokens' CDF bounds are within float rounding of the
uniform.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

from generators.base import Sampling
from generators.recurrent.model import RecurrentLM, State
from generators.sampling import TokenHistory, choose_tokens, history_rules, next_token_probs


@torch.no_grad()
def feed_prompts(
    model: RecurrentLM, prompts: Sequence[Sequence[int]], device: torch.device
) -> tuple[torch.Tensor, State]:
    """Read every prompt (each non-empty, starting with bos) at once, packed by length.

    Returns the next-token logits after each prompt (B, V) and the state at each prompt's end.
    """
    lengths = torch.tensor([len(p) for p in prompts])  # (B,)
    padded = pad_sequence([torch.as_tensor(p, dtype=torch.long) for p in prompts], batch_first=True)
    packed = pack_padded_sequence(
        model.embed(padded.to(device)), lengths, batch_first=True, enforce_sorted=False
    )
    out, state = model.rnn(packed)
    out, _ = pad_packed_sequence(out, batch_first=True)  # (B, Tmax, H)
    last = out[torch.arange(len(prompts)), lengths - 1]  # (B, H)
    return model.head(last), state


@torch.no_grad()
def stream_tokens(
    model: RecurrentLM,
    prompts: Sequence[Sequence[int]],
    sampling: Sampling,
    uniforms: torch.Tensor,
    *,
    logit_bias: Mapping[int, float] | None = None,
    rank_bias: Mapping[int, float] | None = None,
    history: TokenHistory | None = None,
    device: torch.device,
    cuda_graph: bool = False,
) -> Iterator[torch.Tensor]:
    """Yield (B,) chosen ids, one step at a time, for as many steps as ``uniforms`` (B, S) has.

    ``logit_bias`` is added to those ids' logits before temperature (-inf: never chosen). With a
    ``rank_bias``, greedy, top-k, top-p, min-p and typical choose among the logits plus
    ``rank_bias`` (the tokens they keep), and the token is then drawn from the kept ones with the
    logits plus ``logit_bias`` at the temperature. The repetition penalty and n-gram blocking act on
    the biased logits of both, reading ``history`` (each row's tokens, the prompt's included), to
    which every chosen token is appended. The caller stops iterating when it has enough text; state
    is carried, so each step costs one token of computation per row.
    """
    model.eval()
    logits, state = feed_prompts(model, prompts, device)  # (B, V)
    step = decoding_step(model, state, device)
    graphable = not rank_bias and not sampling.uses_history
    if cuda_graph and device.type == "cuda" and isinstance(step, FusedLSTMStep) and graphable:
        graph = CudaGraphDecoding(step, logits, sampling, logit_bias or {})
        on_device = uniforms.to(device)  # (B, S)
        for s in range(uniforms.size(1)):
            yield graph.tokens_at(on_device[:, s])
        return
    for s in range(uniforms.size(1)):
        tokens = _choose(logits, sampling, uniforms[:, s], logit_bias or {}, rank_bias or {}, history)  # (B,)
        if history is not None:
            history.append(tokens.tolist())
        yield tokens
        logits = step(tokens)


def _biased(logits: torch.Tensor, bias: Mapping[int, float]) -> torch.Tensor:
    out = logits.clone()
    for token, value in bias.items():
        out[:, token] += value
    return out


def _choose(
    logits: torch.Tensor,
    sampling: Sampling,
    uniforms: torch.Tensor,
    logit_bias: Mapping[int, float],
    rank_bias: Mapping[int, float],
    history: TokenHistory | None,
) -> torch.Tensor:
    """One token per row (see :func:`stream_tokens`): (B, V) logits -> (B,) ids."""
    if not (rank_bias and narrows(sampling)):
        return choose_tokens(_biased(logits, logit_bias), sampling, uniforms, history)
    kept = next_token_probs(_biased(logits, rank_bias), sampling, history) > 0  # (B, V) the kept tokens
    drawn = history_rules(_biased(logits, logit_bias), sampling, history).masked_fill(~kept, float("-inf"))
    return choose_tokens(drawn, Sampling(sampling.temperature), uniforms)


def narrows(sampling: Sampling) -> bool:
    """Whether the sampling keeps only some tokens by their rank or probability (not the n-gram ban)."""
    s = sampling
    return s.greedy or s.top_k > 0 or s.top_p < 1 or s.min_p > 0 or s.typical_p < 1



class EagerStep:
    """The model's own forward on one token per row (any cell); carries the state."""

    def __init__(self, model: RecurrentLM, state: State, device: torch.device) -> None:
        self.model, self.state, self.device = model, state, device

    def __call__(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B,) ids -> (B, V) next-token logits."""
        with _single_step_kernels(self.device):
            out, self.state = self.model(tokens.unsqueeze(1), self.state)  # (B, 1, V)
        return out[:, -1]


class FusedLSTMStep:
    """nn.LSTM's cell for one time step, called op by op on preallocated buffers."""

    def __init__(self, model: RecurrentLM, state: tuple[torch.Tensor, torch.Tensor]) -> None:
        rnn = model.rnn
        self.model = model
        self.layers = [_cell_weights(rnn, i) for i in range(rnn.num_layers)]
        self.head = (model.head.weight.t(), model.head.bias)  # (H, V), (V,)
        self.h, self.c = (s.clone() for s in state)  # (layers, B, H) each, updated in place
        batch, hidden = self.h.shape[1:]
        self.gates = self.h.new_empty(batch, 4 * hidden)  # (B, 4H) hidden part, then the sum
        self.inputs_w = self.h.new_empty(batch, 4 * hidden)  # (B, 4H) input part
        self.scratch = self.h.new_empty(batch, hidden)  # (B, H)
        self.logits = self.h.new_empty(batch, model.head.out_features)  # (B, V)

    def __call__(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B,) ids -> (B, V) next-token logits (a buffer reused by the next call)."""
        x = self.model.embed(tokens).float()  # (B, E)
        for layer, (w_ih, w_hh, b_ih, b_hh) in enumerate(self.layers):
            h, c = self.h[layer], self.c[layer]  # (B, H) views, updated in place
            gates = torch.addmm(b_hh, h, w_hh, out=self.gates)
            gates.add_(torch.addmm(b_ih, x, w_ih, out=self.inputs_w))  # (B, 4H)
            ingate, forgetgate, cellgate, outgate = gates.unsafe_chunk(4, 1)
            ingate.sigmoid_()
            forgetgate.sigmoid_()
            cellgate.tanh_()
            outgate.sigmoid_()
            c.mul_(forgetgate).add_(torch.mul(ingate, cellgate, out=self.scratch))
            torch.mul(outgate, torch.tanh(c, out=self.scratch), out=h)
            x = h
        w, b = self.head
        return torch.addmm(b, x, w, out=self.logits)


def _cell_weights(rnn: nn.LSTM, layer: int) -> tuple[torch.Tensor, ...]:
    """W_ih^T (in, 4H), W_hh^T (H, 4H), b_ih (4H,), b_hh (4H,) of one layer: transposed views, as
    nn.LSTM's cell hands them to addmm."""
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    w_ih, w_hh, b_ih, b_hh = (rnn.get_parameter(f"{name}_l{layer}") for name in names)
    return w_ih.t(), w_hh.t(), b_ih, b_hh


def decoding_step(model: RecurrentLM, state: State, device: torch.device) -> EagerStep | FusedLSTMStep:
    """The fused step for an LSTM, the model's own forward for any other cell."""
    if isinstance(model.rnn, nn.LSTM):
        return FusedLSTMStep(model, state)
    return EagerStep(model, state, device)


class CudaGraphDecoding:
    """Bias, token choice and fused LSTM step of every row, recorded once and replayed per token."""

    def __init__(
        self,
        step: FusedLSTMStep,
        logits: torch.Tensor,
        sampling: Sampling,
        logit_bias: Mapping[int, float],
    ) -> None:
        self.step, self.sampling, self.logit_bias = step, sampling, logit_bias
        self.logits = logits.clone()  # (B, V) the next logits: the graph's input and output
        self.uniforms = torch.zeros(len(logits), dtype=torch.float64, device=logits.device)  # (B,)
        self.graph = torch.cuda.CUDAGraph()
        saved = [t.clone() for t in (self.logits, step.h, step.c)]
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):  # warm-up (cuBLAS handles, allocator) off the capturing stream
            for _ in range(3):
                self._body()
        torch.cuda.current_stream().wait_stream(side)
        with torch.cuda.graph(self.graph):
            self.tokens = self._body()  # (B,)
        for target, value in zip((self.logits, step.h, step.c), saved, strict=True):
            target.copy_(value)  # undo the warm-up's steps

    def _body(self) -> torch.Tensor:
        logits = self.logits.clone()
        for token, bias in self.logit_bias.items():
            logits[:, token] += bias
        tokens = choose_tokens(logits, self.sampling, self.uniforms)  # (B,)
        self.logits.copy_(self.step(tokens))
        return tokens

    def tokens_at(self, uniforms: torch.Tensor) -> torch.Tensor:
        """(B,) ids chosen with ``uniforms`` (B,), the state advanced past them."""
        self.uniforms.copy_(uniforms, non_blocking=True)
        self.graph.replay()
        return self.tokens.clone()


@contextlib.contextmanager
def _single_step_kernels(device: torch.device) -> Iterator[None]:
    """On CPU, oneDNN's RNN kernels cost ~6 ms of set-up per call: 7× slower for one time step."""
    if device.type != "cpu":
        yield
        return
    enabled = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = enabled
