"""Prompts for the temperature sweep, and the human continuations they are compared with."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np

from generators.errors import CorpusError


@dataclass(frozen=True)
class Prompt:
    text: str
    human: str  # the test split's true continuation ("" for demo prompts)
    source: str  # "test" or "demo"
    offset: int = -1  # character offset of the prompt in the test split

    def to_dict(self) -> dict:
        return asdict(self)


def line_starts(text: str) -> np.ndarray:
    """Offsets of every non-blank line start."""
    return np.array([m.start() for m in re.finditer(r"(?m)^(?=\S)", text)], dtype=np.int64)


def cut_to_word_boundary(text: str) -> str:
    """Drop a trailing partial word so the prompt ends after whitespace or punctuation."""
    match = re.search(r"[\s\W](?=\w*$)", text)
    return text[: match.end()] if match and match.end() > len(text) // 2 else text


def choose_test_prompts(
    test: str, count: int, prompt_chars: int, continuation_chars: int, seed: int
) -> list[Prompt]:
    """``count`` prompts at line starts of the test split, chosen with ``seed``, whose spans (prompt
    and human continuation) do not overlap: the human row is ``count`` distinct passages.

    The candidates are the most non-overlapping spans the line starts allow (each starts at the
    first line start past the previous span); ``count`` of them are drawn at random.
    """
    span = prompt_chars + continuation_chars
    starts = line_starts(test)
    candidates = disjoint_starts(starts[starts + span <= len(test)], span)
    if len(candidates) < count:
        raise CorpusError(
            f"the test split has room for {len(candidates)} prompts at line starts with {span} characters "
            f"after them that do not overlap; the sweep needs {count}: lower sweep.test_prompts or "
            "sweep.max_chars"
        )
    picked = np.sort(np.random.default_rng(seed).choice(candidates, size=count, replace=False))
    prompts = []
    for offset in picked.tolist():
        text = cut_to_word_boundary(test[offset : offset + prompt_chars])
        end = offset + len(text)
        prompts.append(Prompt(text, test[end : end + continuation_chars], "test", offset))
    return prompts


def disjoint_starts(starts: np.ndarray, span: int) -> np.ndarray:
    """Ascending ``starts`` thinned so that ``span``-long windows do not overlap: each kept start
    is the first one at least ``span`` past the previous kept one (the largest such set)."""
    kept: list[int] = []
    for start in starts.tolist():
        if not kept or start - kept[-1] >= span:
            kept.append(start)
    return np.array(kept, dtype=np.int64)


def demo_prompts(texts: tuple[str, ...]) -> list[Prompt]:
    return [Prompt(text, "", "demo") for text in texts]
