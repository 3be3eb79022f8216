"""Pure text functions behind :mod:`benchmarks.corpora`: cleaning, unescaping and splitting.

Nothing here touches the network or the data directory, so every rule is easy to test on
constructed strings.
"""

from __future__ import annotations

import bisect
import hashlib
import html
import re

from generators.errors import CorpusError

MIN_TRAIN_CHARS = 1_000  # the smallest training split accepted, in characters
MIN_HELDOUT_CHARS = 100  # the smallest valid and test split accepted, in characters

SPLITS = ("train", "valid", "test")

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


def decode_utf8(data: bytes, source: object) -> str:
    """Strict UTF-8; the error names the file and the byte offset of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CorpusError(
            f"{source} is not valid UTF-8: byte offset {error.start} ({error.reason}); "
            "convert it to UTF-8 first"
        ) from None


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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


def join_documents(documents: list[str]) -> str:
    """Documents (or files, or works) each ending in LF, separated by one blank line."""
    return "\n".join(doc if doc.endswith("\n") else doc + "\n" for doc in documents)


def unit_interval_hash(salt: str, key: str) -> float:
    """A number in [0, 1) from the first 8 bytes of sha256(salt + "\\n" + key)."""
    digest = hashlib.sha256(f"{salt}\n{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_parts(
    sizes: dict[str, int], test_fraction: float, valid_fraction: float, salt: str
) -> dict[str, str] | None:
    """Assign whole parts (works, files) to splits; ``None`` when the held-out targets fail.

    Parts are visited in the order of ``unit_interval_hash(salt, name)``. A part goes to test
    while test holds less than ``test_fraction`` of all characters, then to valid likewise,
    except that a part which would take a split past twice its target goes on to the next
    split (or train). The assignment fails when a held-out split ends below half its target or
    when nothing is left for training.
    """
    total = sum(sizes.values())
    targets = {"test": test_fraction * total, "valid": valid_fraction * total}
    filled = {"test": 0, "valid": 0}
    assignment = {}
    for name in sorted(sizes, key=lambda part: (unit_interval_hash(salt, part), part)):
        size = sizes[name]
        fits = [s for s in filled if filled[s] < targets[s] and filled[s] + size <= 2 * targets[s]]
        split = fits[0] if fits else "train"
        assignment[name] = split
        if split != "train":
            filled[split] += size
    if any(filled[s] < targets[s] / 2 for s in filled) or "train" not in assignment.values():
        return None
    return assignment


def split_at_lines(text: str, train_fraction: float = 0.8, valid_fraction: float = 0.1) -> tuple[int, int]:
    """Two cut offsets at the line boundaries nearest ``train_fraction`` and the next fraction.

    A line boundary is an offset just after a LF, or 0, or ``len(text)``; ties go to the earlier.
    """
    n = len(text)
    boundaries = sorted({0, n, *(match.end() for match in re.finditer("\n", text))})

    def nearest(target: int) -> int:
        index = bisect.bisect_left(boundaries, target)
        candidates = boundaries[max(index - 1, 0) : index + 1]
        return min(candidates, key=lambda b: (abs(b - target), b))

    first = nearest(int(n * train_fraction))
    second = max(nearest(int(n * (train_fraction + valid_fraction))), first)
    return first, second


def split_sizes_ok(train: str, valid: str, test: str) -> bool:
    return len(train) >= MIN_TRAIN_CHARS and min(len(valid), len(test)) >= MIN_HELDOUT_CHARS


def check_split_sizes(name: str, train: str, valid: str, test: str, how: str) -> None:
    """Raise CorpusError unless train and the held-out splits meet the minimum sizes."""
    if split_sizes_ok(train, valid, test):
        return
    raise CorpusError(
        f"corpus {name!r} is too small to split ({how}): train {len(train):,}, valid {len(valid):,}, "
        f"test {len(test):,} characters; train needs at least {MIN_TRAIN_CHARS:,} and valid and "
        f"test at least {MIN_HELDOUT_CHARS:,} each"
    )


def check_not_empty(text: str, source: object) -> None:
    if not text.strip():
        raise CorpusError(f"{source} is empty (nothing but whitespace): a corpus needs text")
