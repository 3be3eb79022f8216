"""Training compute: an estimate of the floating-point operations a training run took.

The estimate counts the multiply-adds of the matrix products of one forward pass per token, from
the model's own layer shapes, and converts them as the scaling-law literature does (Kaplan et al.
2020, "Scaling Laws for Neural Language Models", section 2.1):

    training FLOPs = 3 × forward FLOPs = 3 × 2 × (multiply-adds per token) × training tokens

(a multiply-add is 2 FLOPs; the backward pass costs about twice the forward). Training tokens are
the positions the optimiser steps computed a loss on: steps × batch × sequence length. Validation
and sampling during training are not training compute and are left out. Not counted either:
embedding lookups (no arithmetic), biases, activations, normalisation, softmax and the optimiser
update — each linear in the width, small beside the products counted.

Multiply-adds per token of the forward pass:

* **recurrent** (LSTM, GRU, RNN): each layer's gates multiply its input and its previous hidden
  state, g · H · (I + H) with g = 4 gates (LSTM), 3 (GRU) or 1 (RNN), H the hidden size and I the
  layer's input size (the embedding size for the first layer, or the vocabulary (+ start symbol)
  when the input is one-hot, since the product with a one-hot vector is computed as a matrix
  product; H for the layers above); then the output layer, H · V for V output classes;
* **transformer** (GPT-2): each of L blocks has the query, key and value projections (3 d²), the
  attention output projection (d²) and the MLP (2 · 4 d² = 8 d²), 12 d² together, and attention
  itself, T · d for a training sequence of T tokens (QKᵀ and the weighted sum of values, each
  T · d / 2 per token on average under the causal mask: Kaplan et al.'s count, n_ctx · d_attn);
  then the output layer, d · V.
"""

from __future__ import annotations

GATES = {"lstm": 4, "gru": 3, "rnn": 1}  # gate matrices per recurrent cell type
FLOPS_PER_MULTIPLY_ADD = 2
TRAINING_PASSES = 3  # forward + backward ≈ 3 forward passes


def recurrent_multiply_adds(cell: str, input_size: int, hidden: int, layers: int, outputs: int) -> int:
    """Forward multiply-adds per token of a recurrent language model (see the module docstring)."""
    gates = GATES[cell]
    first = gates * hidden * (input_size + hidden)
    above = (layers - 1) * gates * hidden * (hidden + hidden)
    return first + above + hidden * outputs


def transformer_multiply_adds(layers: int, width: int, sequence: int, vocabulary: int) -> int:
    """Forward multiply-adds per token of a GPT-2 decoder (see the module docstring)."""
    return layers * (12 * width * width + sequence * width) + width * vocabulary


def training_flops(multiply_adds_per_token: int, tokens: int) -> float:
    """Training FLOPs of ``tokens`` training tokens: 3 passes × 2 FLOPs × multiply-adds per token."""
    return float(TRAINING_PASSES * FLOPS_PER_MULTIPLY_ADD * multiply_adds_per_token * tokens)
