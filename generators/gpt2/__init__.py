"""GPT-2 (transformers' ``GPT2LMHeadModel``) over byte-level tokens.

``config`` (settings), ``generator`` (fit, score with sliding windows, generate), ``tokens``
(byte-level tokens: exact bytes per token, per-character bookkeeping), ``decoding`` (batched
decoding with a KV cache).
"""
