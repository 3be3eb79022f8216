"""Cutting corpus text into train / valid / test: by whole part (work, file), by line, by hash.

Also the minimum split sizes every corpus must meet, the check that a corpus holds a model's
context window, and ``Corpus.sha256`` (of the text the splits were cut from). Nothing here touches
the network or the data directory.
"""

from __future__ import annotations

import bisect
import hashlib
import re

from generators.base import Corpus
from generators.errors import CorpusError

MIN_TRAIN_CHARS = 1_000  # the smallest training split accepted, in characters
MIN_HELDOUT_CHARS = 100  # the smallest valid and test split accepted, in characters

SPLITS = ("train", "valid", "test")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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


def require_context(corpus: Corpus, context_chars: int, splits: tuple[str, ...] = ("train", "valid")) -> None:
    """Raise CorpusError unless each of ``splits`` holds a context window plus one character."""
    needed = context_chars + 1
    lengths = {split: len(getattr(corpus, split)) for split in splits}
    short = [f"{split} has {n:,}" for split, n in lengths.items() if n < needed]
    if short:
        raise CorpusError(
            f"corpus {corpus.name!r} is too short for a context of {context_chars:,} characters: "
            f"{', '.join(short)} characters, needs at least {needed:,} (the context plus the next character)"
        )


def split_texts(parts: dict[str, str], assignment: dict[str, str]) -> dict[str, str]:
    """Each split's text: its parts in name order joined by a blank line."""
    return {s: join_documents([parts[p] for p in sorted(parts) if assignment[p] == s]) for s in SPLITS}


def corpus_from_parts(name: str, parts: dict[str, str], assignment: dict[str, str], rule: str) -> Corpus:
    """The splits of ``split_texts``; sha256 of all parts joined so."""
    texts = split_texts(parts, assignment)
    content = join_documents([parts[p] for p in sorted(parts)])
    return Corpus(name, **texts, sha256=sha256_text(content), split_rule=rule)


def describe_part_split(
    parts: dict[str, str], assignment: dict[str, str], salt: str, unit: str, test: float, valid: float
) -> str:
    """The rule of ``assign_parts`` in words, with each held-out split's parts and its size: the
    length of the split as ``corpus_from_parts`` joins it (blank lines included), so the rule and
    ``len(corpus.test)`` state one number; its share is of the three splits' characters."""
    texts = split_texts(parts, assignment)
    total = sum(len(text) for text in texts.values())

    def listing(split: str) -> str:
        names = sorted(p for p in parts if assignment[p] == split)
        chars = len(texts[split])
        return f"{split} = {', '.join(names)} ({chars:,} characters, {chars / total:.1%})"

    return (
        f"{unit}s taken in the order of sha256('{salt}\\n' + name); a {unit} goes to test while test < "
        f"{test:.0%} of characters, then to valid while valid < {valid:.0%} (a {unit} that would pass twice "
        f"the target is passed over), the rest to train; each split joins its {unit}s in name order by a "
        f"blank line; {listing('test')}; {listing('valid')}; train = the other "
        f"{sum(1 for s in assignment.values() if s == 'train')} {unit}s"
    )
