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
    """``count`` prompts at distinct line starts of the test split, chosen with ``seed``."""
    starts = line_starts(test)
    starts = starts[starts + prompt_chars + continuation_chars <= len(test)]
    if len(starts) < count:
        raise CorpusError(
            f"the test split has {len(starts)} line starts with {prompt_chars + continuation_chars} characters "
            f"after them; the sweep needs {count}: lower sweep.test_prompts or sweep.max_chars"
        )
    picked = np.sort(np.random.default_rng(seed).choice(starts, size=count, replace=False))
    prompts = []
    for offset in picked.tolist():
        text = cut_to_word_boundary(test[offset : offset + prompt_chars])
        end = offset + len(text)
        prompts.append(Prompt(text, test[end : end + continuation_chars], "test", offset))
    return prompts


def demo_prompts(texts: tuple[str, ...]) -> list[Prompt]:
    return [Prompt(text, "", "demo") for text in texts]
