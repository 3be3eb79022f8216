"""Turning bytes into corpus text: strict decoding, line ends, Gutenberg boilerplate, AG News escapes.

Every corpus file passes :func:`decode_text` (UTF-8 without NUL bytes; errors name the file and the
byte offset). Nothing here touches the network or writes a file, so every rule is easy to test on
constructed strings; cutting text into splits is :mod:`benchmarks.corpora.split`.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from benchmarks.corpora.fetch import read_bytes
from generators.errors import CorpusError

# Project Gutenberg boilerplate: the text starts after the first start marker line and ends
# before the first end marker line after it. Old (1990s) etexts end their header with the
# "small print" line; newer ones use "*** START OF THE/THIS PROJECT GUTENBERG EBOOK ...".
GUTENBERG_START = re.compile(
    r"^[ \t]*(\*+[ \t]*START OF (THE|THIS) PROJECT GUTENBERG|\*END\*THE SMALL PRINT).*$",
    re.IGNORECASE | re.MULTILINE,
)
GUTENBERG_END = re.compile(
    r"^[ \t]*(\*+[ \t]*END OF (THE|THIS) PROJECT GUTENBERG|END OF (THE |THIS )?PROJECT GUTENBERG"
    r"|END OF THIS ETEXT).*$",
    re.IGNORECASE | re.MULTILINE,
)

# AG News removed "&" from HTML entities, usually leaving a space: "company #39;s" was
# "company&#39;s" and "Johnson  amp; Johnson" was "Johnson &amp; Johnson". The optional
# leading space (or "&") is part of the entity. Only these names are decoded, so "Japan;" stays.
AG_NEWS_ENTITY = re.compile(
    r"(?:&| )?(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|quot|amp|apos|lt|gt|nbsp|hellip|mdash|ndash"
    r"|lsquo|rsquo|ldquo|rdquo);"
)
AG_NEWS_LINE_BREAK = re.compile(r" *\\+ *")  # "\" (or "\\") marks a line break in the original


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR become LF; a leading UTF-8 byte-order mark is dropped."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def decode_text(data: bytes, source: object) -> str:
    """Strict UTF-8 without NUL bytes; the error names ``source`` and the byte offset of the first
    NUL byte, else of the first byte that is not UTF-8 (a NUL byte is valid UTF-8, but no text)."""
    nul = data.find(b"\0")
    if nul >= 0:
        raise CorpusError(
            f"{source} is not text: a NUL byte at byte offset {nul}; "
            "a corpus must be UTF-8 text (is it a binary or a UTF-16 file?)"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CorpusError(
            f"{source} is not valid UTF-8: byte offset {error.start} ({error.reason}); "
            "convert it to UTF-8 first"
        ) from None


def read_text(path: Path) -> str:
    """The file at ``path`` as text, by :func:`decode_text`."""
    return decode_text(read_bytes(path), path)


def strip_gutenberg_boilerplate(text: str) -> str:
    """The text between the Project Gutenberg header and footer; ``text`` if it has neither."""
    start = GUTENBERG_START.search(text)
    body_start = start.end() if start else 0
    end = GUTENBERG_END.search(text, body_start)
    body_end = end.start() if end else len(text)
    return text[body_start:body_end]


def clean_work(text: str) -> str:
    """One Gutenberg text: LF line ends, boilerplate removed, outer whitespace stripped, final LF."""
    return strip_gutenberg_boilerplate(normalise_newlines(text)).strip() + "\n"


def unescape_ag_news(text: str) -> str:
    """Undo AG News's escapes; a line break in the original becomes one space.

    ``\\$`` is an escaped dollar sign. Any other run of backslashes stands for a line break
    (one) or a paragraph break (two) in the original; it becomes a single space, together with
    the spaces around it, because documents are one per line in our splits and most of these
    breaks are line wraps in mid-sentence ("A second\\team of rocketeers"). Entities, with or
    without their "&", are decoded by :func:`html.unescape` (so #151; is the Windows-1252 em dash).
    """
    text = re.sub(r"[\r\n]+", " ", text).replace("\\$", "$")
    text = AG_NEWS_LINE_BREAK.sub(" ", text)
    return AG_NEWS_ENTITY.sub(lambda match: html.unescape(f"&{match.group(1)};"), text)


def ag_news_document(title: str, description: str) -> str:
    """One document per row: title, a space, description (both unescaped and stripped)."""
    parts = (unescape_ag_news(title).strip(), unescape_ag_news(description).strip())
    return " ".join(part for part in parts if part)


def check_not_empty(text: str, source: object) -> None:
    if not text.strip():
        raise CorpusError(f"{source} is empty (nothing but whitespace): a corpus needs text")
