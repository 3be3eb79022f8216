"""Word tokens: the one tokenization every text metric (repetition, loops, diversity, overlap) uses.

Welleck et al.'s split, as their ``ngram_metrics`` (facebookresearch/unlikelihood_training,
``custom/metrics.py``) tokenizes with ParlAI's ``RETOK``: ``re.findall(r"\\w+|[^\\w\\s]|\\n", text)``
— runs of word characters, every other non-space character on its own, and every newline as a
token of its own (other whitespace is never a token). Three additions, for texts that pattern
splits badly:

- the text is normalised to NFC first, so an accent written as a combining mark (NFD: ``e`` +
  U+0301) does not cut its word in two (U+0301 is not a word character for ``re``);
- combining marks that have no precomposed form (Unicode category M: Thai vowel signs, Devanagari
  vowel signs) belong to the word run they follow, instead of being punctuation tokens;
- text written without spaces between words: every CJK ideograph (the ranges of BERT's
  ``BasicTokenizer._is_chinese_char``, google-research/bert ``tokenization.py``: U+4E00–9FFF,
  3400–4DBF, 20000–2A6DF, 2A700–2B73F, 2B740–2B81F, 2B820–2CEAF, F900–FAFF, 2F800–2FA1F), every
  kana (Hiragana U+3040–309F, Katakana U+30A0–30FF and U+31F0–31FF, halfwidth Katakana
  U+FF66–FF9F) and every Hangul syllable (U+AC00–D7A3) is a token of its own. BERT splits the
  ideographs only; kana and Hangul are split here too, so Japanese and Korean text can repeat and
  loop in tokens. Thai and other scripts written without spaces stay one token per run (splitting
  them needs a dictionary, not a character rule).

Offsets (:func:`token_spans`) are into the NFC text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator, Sequence

_CJK = (
    "\u4e00-\u9fff\u3400-\u4dbf\U00020000-\U0002a6df\U0002a700-\U0002b73f\U0002b740-\U0002b81f"
    "\U0002b820-\U0002ceaf\uf900-\ufaff\U0002f800-\U0002fa1f"  # BERT's ideographs
    "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"  # kana
    "\uac00-\ud7a3"  # Hangul syllables
)
_CHARACTER_TOKEN = re.compile(rf"[{_CJK}]")
MARK_PLANES = (range(0x20000), range(0xE0000, 0xE1000))  # every category-M character lies in these


@functools.cache
def _combining_marks() -> str:
    """A character-class body of every combining mark (Unicode category M), as code-point ranges."""
    codes = [c for plane in MARK_PLANES for c in plane if unicodedata.category(chr(c))[0] == "M"]
    runs: list[list[int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in runs)


@functools.cache
def _token_pattern() -> re.Pattern[str]:
    """One CJK character | a run of other word characters and marks | punctuation | a newline."""
    marks = _combining_marks()
    return re.compile(rf"[{_CJK}]|(?:[^\W{_CJK}]|[{marks}])+|[^\w\s]|\n")


@functools.cache
def _word_start() -> re.Pattern[str]:
    return re.compile(rf"[\w{_combining_marks()}]")


def normalised(text: str) -> str:
    """The text in Unicode normal form C, as every metric reads it."""
    return unicodedata.normalize("NFC", text)


def token_spans(text: str) -> list[tuple[str, int]]:
    """(token, start offset) of every word token of ``normalised(text)``."""
    return [(match.group(), match.start()) for match in _token_pattern().finditer(normalised(text))]


def word_tokens(text: str) -> list[str]:
    """The word tokens of ``text`` (see the module docstring): words, punctuation marks, newlines."""
    return _token_pattern().findall(normalised(text))


def is_word(token: str) -> bool:
    """True for a word token (word characters or one CJK character), not punctuation or a newline."""
    return _word_start().match(token) is not None


def last_word_cut(tokens: Sequence[str], text: str, max_chars: int | None) -> bool:
    """True when the character limit cut the last word: ``text`` is exactly ``max_chars`` long and
    its last token is a run of word characters reaching its end (no separator follows it).

    "the state of the sta" at ``max_chars=20`` ends in "sta" of "state"; a text shorter than the
    limit (the model ended it), or ``max_chars=None`` (a whole text), keeps its last word, and so
    does one CJK character (whole by itself).
    """
    if not tokens or max_chars is None or len(text) != max_chars:
        return False
    last = tokens[-1]
    return is_word(last) and not _CHARACTER_TOKEN.fullmatch(last) and normalised(text).endswith(last)


def loop_tokens(text: str, max_chars: int | None = None) -> list[str]:
    """``word_tokens(text)`` without a last word the character limit ``max_chars`` cut.

    "the state of the sta" at ``max_chars=20`` gives ["the", "state", "of", "the"]; at
    ``max_chars=None`` (a whole text) or 300 (the model ended it early) every token is kept.
    """
    tokens = word_tokens(text)
    return tokens[:-1] if last_word_cut(tokens, text, max_chars) else tokens


def ngrams(tokens: Sequence[str], n: int) -> Iterator[tuple[str, ...]]:
    """Consecutive n-grams of ``tokens`` as tuples (none when there are fewer than n tokens)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return zip(*(tokens[i:] for i in range(n)), strict=False)
