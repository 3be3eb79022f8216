"""How many CPU threads decoding uses: one, for a batch of one row.

One row's products in a decoding step are matrix-vector products (a 2×192 LSTM step reads 2 MB of
weights for about 1 MFLOP; gpt2's 4×128 default about 4 MB), and a step is a few dozen small
operations. On the shared 2-core EPYC with a load average of 4–5 (other engineers' tests
running), batch-1 generation ran at 74–261 characters/s on torch's 2 threads against 1.8–1.9 k
on one (char-lstm, 2×192), and at 76 against 1,403 (gpt2, quick-profile size), with the same
text. Larger batches keep torch's thread count.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

ONE_THREAD_ROWS = 1  # batches of at most this many rows decode on one CPU thread


@contextlib.contextmanager
def decoding_threads(batch: int, device: torch.device) -> Iterator[None]:
    """One CPU thread while decoding at most ONE_THREAD_ROWS rows (see the module docstring)."""
    threads = torch.get_num_threads()
    if device.type != "cpu" or batch > ONE_THREAD_ROWS or threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
