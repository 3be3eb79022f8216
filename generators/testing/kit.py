"""The conformance kit's fixtures: the corpus and texts every check uses, and fitting once per factory.

:data:`KIT_CORPUS` is a few KB written below; :func:`fitted` fits a factory's generator on
``KIT_CORPUS.for_training()`` (its test split empty: nothing trains on what it is scored on) within
:data:`KIT_BUDGET` once per process and remembers the result (a failed fit too).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from generators.base import Budget, Corpus, Generator, Sampling

Factory = Callable[[], Generator]

_TEXT = """\
The old lighthouse stood at the end of the road, where the land gave up and the sea began.
Every evening the keeper climbed the ninety-nine steps, lit the lamp, and wrote one line in
his book: the date, the wind, and the ships he had seen. On quiet nights there were none.
"Why do you still write it down?" asked the girl from the village. "Nobody reads it."
"Somebody will," he said. "A record is a letter to a stranger."
She came back the next day, and the day after that, and soon she knew the names of the winds.
The north wind was cold and honest. The west wind brought rain and the smell of wet grass.
The south wind was warm, but it lied: it promised summer and brought storms.

In the town below, the baker opened his shop at five o'clock. He sold bread, small cakes and
hot tea to the fishermen, who paid in coins, in fish, or in stories. A good story was worth two
loaves; a bad one was worth a cup of tea, because the baker was a kind man.
The fishermen told of a whale as long as the harbour wall, of a storm that lasted nine days,
and of a bottle with a letter inside it that nobody could read.

Chapter 2. Numbers and lists
The market sold 12 kinds of apples, 7 kinds of cheese and 3 kinds of honey.
Prices rose by 4% in March; by June they had fallen again (to 2.50 a pound).
A list of things the keeper needed: oil, wicks, matches, paper, ink - and patience.
Questions? Answers! Some days were long; others were short. Who can say which was better?

The school stood next to the church, and the children learned to read, to write and to count.
Their teacher, Mrs. Hale, had travelled to many countries before she came home to the coast.
She told them about mountains higher than clouds, rivers wider than the bay, and cities where
the streets were full of light all night long. The children did not always believe her.
"Is it true that the sea is salty because of the tears of sailors?" one boy asked.
"No," she said, and laughed. "It is salty because rivers carry salt from the rocks."

Letters arrived twice a week, carried up the coast road by a tired horse and a cheerful man.
He knew everyone's business, and he was glad to share it: who was ill, who was in love, who owed
money to whom. "I only carry the news," he liked to say, "I don't write it."
The keeper received one letter a year, from his sister in the city. She asked the same question
every time - when would he come to visit? - and every time he wrote the same answer: next spring.

When winter came, the roads were closed by snow and the town grew quiet.
People stayed inside, mended their nets, read old books and told the same stories again.
The keeper kept the lamp burning, night after night, because ships still sailed in winter.
One night in January a ship came too close to the rocks. The light saved it.
In the morning the captain climbed the hill to thank the keeper, and he stayed for dinner.
They ate bread and soup and talked until the fire was ash.

The worst storm came in the autumn of the keeper's sixtieth year. For three days the waves broke
over the harbour wall, and the boats stayed tied together like frightened animals.
"Will the light hold?" the baker asked, looking up at the hill through the rain.
"It has held for a hundred years," said the fisherman beside him. "It will hold for one more night."
It did. On the fourth morning the sky was clean and blue, and the sea lay flat and tired.
The keeper slept until noon, for the first time in his life, and nobody blamed him.

Years later, the girl became the keeper. She wrote one line every night in the same old book:
the date, the wind, and the ships she had seen. On quiet nights there were none.
And when the children of the village asked her why, she told them what she had been told:
a record is a letter to a stranger, and somebody, some day, will read it.
"""

_CUT = _TEXT.index("Years later")  # the last paragraph (about 350 characters) is held out
KIT_CORPUS = Corpus(
    name="conformance-kit",
    train=_TEXT[:_CUT],
    valid=_TEXT[_CUT:],
    test=_TEXT[_CUT:],
    sha256=hashlib.sha256(_TEXT.encode("utf-8")).hexdigest(),
    split_rule="the last paragraph is valid and test, the rest train",
)
KIT_BUDGET = Budget(seconds=20.0, steps=100)  # small: the checks need a working model, not a good one

ASCII_TEXT = "The quick brown fox jumps over the lazy dog. 0123456789 !?;:'\"()[]{}-_/\\@#$%^&*+=<>~`|\t"
UNSEEN_TEXTS = (
    "😀",  # emoji, outside the Basic Multilingual Plane
    "日本語のテキスト",  # CJK
    "e\u0301 a\u0300\u0323",  # combining marks
    "\x00\x07\x1b\x7f\x85",  # control characters
    "\n",  # a lone newline
    "\u200b\ufeff\u00a0",  # zero-width space, BOM, no-break space
    "\U0010ffff\U0001d518",  # the last scalar value, a mathematical letter
    "Hello 😀 世界, e\u0301!\r\n",  # mixed with known text
)
PROMPTS = ("The ", "", "It was a long", '"Yes," she said. ')  # different lengths, one empty
CONTEXT_PAIRS = (
    ("the", "It was the end of "),
    ("e", "Th"),
    (" and", "bread"),
    ("ing", "The keeper was read"),
)
SPLIT_TEXTS = (("The cat sat", " on the mat."), ("", "Hello"), ("Hi 😀", " there\n"))
CHAIN_SPLITS = (  # texts cut where the context's tokens stay those of the whole text
    ("The keeper climbed the", " ninety-nine steps."),  # a word boundary
    ("The north wind was cold and ", "honest."),  # after a space
    ("On quiet nights there were none.", "\n\nIn the town below"),  # before a whitespace run
    ("On quiet nights there were none.\n", "In the town below"),  # after a newline
    ("On quiet nights there were none.\n\n", "In the town below"),  # after a blank line
    ('"Why do you still write it down?"', " asked the girl."),  # after punctuation
    ("Hi 😀", " there\n"),  # after an unseen character
)
SUBWORD_SPLITS = (  # texts cut where a subword tokenizer may split the context's end anew once b follows
    ("The keeper climbed the nin", "ety-nine steps."),  # inside a word: other BPE merges
    ("the names of the wi", "nds."),
    ("On quiet nights there were none.\n\n", "\n\nIn the town below"),  # inside a whitespace run
)


class CheckNotApplicable(Exception):
    """A check called directly on a generator it does not apply to (a character-level check on a
    word model)."""


# ---------------------------------------------------------------- fitting, once per factory


@dataclass
class _Fitted:
    generator: Generator | None
    report: Any
    seconds: float  # wall-clock seconds the kit measured around fit
    error: BaseException | None = None


_fit_cache: dict[int, tuple[Factory, _Fitted]] = {}  # id(factory) -> (factory kept alive, result)


def clear_fit_cache() -> None:
    """Forget every fitted generator (the next check fits again)."""
    _fit_cache.clear()


def _fit(factory: Factory) -> _Fitted:
    generator = factory()
    if not isinstance(generator, Generator):
        return _Fitted(None, None, 0.0, TypeError(f"the factory returned {type(generator).__name__}"))
    start = time.perf_counter()
    try:
        report = generator.fit(KIT_CORPUS.for_training(), seed=0, budget=KIT_BUDGET)
    except Exception as error:  # remembered: every check reports it without fitting again
        return _Fitted(None, None, time.perf_counter() - start, error)
    return _Fitted(generator, report, time.perf_counter() - start)


def fitted(factory: Factory) -> tuple[Generator, Any]:
    """The generator ``factory`` makes, fitted on the kit corpus (once per factory), and its report."""
    if not __debug__:
        raise RuntimeError("the conformance kit checks with assert: run it without python -O")
    if id(factory) not in _fit_cache:
        _fit_cache[id(factory)] = (factory, _fit(factory))
    result = _fit_cache[id(factory)][1]
    if result.error is not None:
        error = result.error
        raise AssertionError(f"fitting failed: {type(error).__name__}: {error}") from error
    return result.generator, result.report


def fit_seconds(factory: Factory) -> float:
    """Wall-clock seconds the kit measured around ``factory``'s fit (after :func:`fitted`)."""
    return _fit_cache[id(factory)][1].seconds


def fitted_or_none(factory: Factory) -> Generator | None:
    """The generator fitted for ``factory`` when the kit has one, without fitting."""
    cached = _fit_cache.get(id(factory))
    return cached[1].generator if cached else None


# ---------------------------------------------------------------- helpers


def assert_json(value: Any, what: str) -> None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise AssertionError(f"{what} is not JSON-serialisable: {error}") from error


def checked_scores(values: Any, text: str, what: str) -> np.ndarray:
    assert isinstance(values, np.ndarray), f"score({what}) returned {type(values).__name__}, not np.ndarray"
    assert np.issubdtype(values.dtype, np.floating), f"score({what}) has dtype {values.dtype}, not float"
    assert values.shape == (len(text),), f"score({what}) has shape {values.shape}, expected ({len(text)},)"
    bad = np.flatnonzero(~np.isfinite(values) | (values > 1e-9))
    assert not bad.size, f"score({what}) gave {values[bad[0]]} for character {text[bad[0]]!r} (at {bad[0]})"
    return values


def generate_checked(
    generator: Generator, prompts: Sequence[str], max_chars: int, sampling: Sampling, seed: int
):
    texts = generator.generate(list(prompts), max_chars=max_chars, sampling=sampling, seed=seed)
    assert isinstance(texts, list), f"generate returned {type(texts).__name__}, not list"
    assert len(texts) == len(prompts), f"generate returned {len(texts)} texts for {len(prompts)} prompts"
    assert all(isinstance(t, str) for t in texts), "generate returned something that is not a str"
    return texts


def require_char_level(generator: Generator) -> None:
    """Guard of the character-level checks, for a direct call on another generator (the runner
    never makes one: :func:`~generators.testing.checks.checks_for` leaves them out)."""
    if not generator.char_level:
        raise CheckNotApplicable(f"{type(generator).__name__} is not character-level (char_level is False)")


GREEDY = Sampling(temperature=0.0)
RANDOM = Sampling(temperature=1.0)
NUCLEUS = Sampling(temperature=0.8, top_k=5, top_p=0.9)
