"""Open-vocabulary building blocks shared by the word- and character-level generators.

* :func:`tokenize_words` / :func:`detokenize` — a lossless word tokenizer: words (``\\w+``), single
  punctuation or symbol characters, and runs of whitespace. ``"".join(tokenize_words(x)) == x``.
* :func:`unseen_char_logprob` — the cost of one character outside a known alphabet;
  :data:`WHITESPACE` — every Unicode scalar value ``str.isspace`` (and so ``re``'s ``\\s``) accepts.

The spelling model that word-level generators charge for unknown tokens is in
:mod:`generators.openvocab.spelling`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from generators.base import UNICODE_SCALAR_COUNT

WORD_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
WHITESPACE = "".join(chr(code) for code in range(0x3001) if chr(code).isspace())  # none lies above U+3000


def tokenize_words(text: str) -> list[str]:
    """Split into words, single punctuation characters and whitespace runs, losing nothing."""
    return WORD_TOKEN.findall(text)


def detokenize(tokens: Iterable[str]) -> str:
    return "".join(tokens)


def unseen_char_logprob(known_chars: int) -> float:
    """log of 1 / (number of Unicode scalar values outside a vocabulary of ``known_chars``)."""
    return -math.log(UNICODE_SCALAR_COUNT - known_chars)
