"""The conformance kit: one set of checks every generator, built-in or plugin, must pass.

Modelled on scikit-learn's ``parametrize_with_checks``. A generator author writes::

    from generators.testing import parametrize_with_checks

    @parametrize_with_checks({"markov": lambda: MarkovGenerator.from_options({"state_size": 1})})
    def test_markov_conforms(factory, check):
        check(factory)

and gets one test per check, with ids like ``markov-check_score_unseen_unicode``; or calls
``check_generator(factory)`` for one AssertionError listing every failed check.

A factory returns a fresh, untrained generator. The kit fits it once per factory per process on
:data:`KIT_CORPUS` (a few KB written below) within :data:`KIT_BUDGET`, and every check then reads
the same fitted generator: checks only score, generate, save (to a temporary directory) and
describe, so sharing it is safe unless a generator changes itself while generating. A failed fit
is remembered too and fails every check without fitting again. ``clear_fit_cache()`` forgets.

Rules the checks apply (tolerances included):

* scores: a float ``np.ndarray`` of shape ``(len(text),)``, finite, every value <= 1e-9 (the
  harness's allowance for rounding); the same text scores the same twice, also after generating;
* character-level models: the next-character distribution covers every Unicode scalar value once
  and sums to 1 within 1e-6 (compute softmax in float64); it agrees with ``score`` within 1e-4;
  scoring ``a + b`` gives ``score(a)`` then ``score(b, context=a)`` within 1e-4 per character;
* ``max_chars``: no continuation is longer; ``max_chars=0`` gives ``""``; and at least half the
  continuations (greedy and T=1, four prompts) are exactly ``max_chars`` long for max_chars in
  (1, 16, 200): a shorter one means the model emitted end-of-text, allowed but not most of the time;
* save/load: the loaded model's scores equal the original's within 1e-6 (``np.allclose`` with
  ``atol=1e-6, rtol=0``); greedy and seeded T=1 text is identical; no pickle file is written;
* ``generate`` rejects a ``sampling`` that is not a ``Sampling`` (or None) with a TypeError or
  ValueError whose message says "sampling".
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from generators.base import UNICODE_SCALAR_COUNT, Budget, Corpus, FitReport, Generator, Sampling
from generators.config import build_config, config_to_dict, did_you_mean
from generators.errors import SamplingError

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


class CheckSkipped(Exception):
    """A check that does not apply to this generator (e.g. a character-level check)."""


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
        report = generator.fit(KIT_CORPUS, seed=0, budget=KIT_BUDGET)
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


# ---------------------------------------------------------------- helpers


def _assert_json(value: Any, what: str) -> None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise AssertionError(f"{what} is not JSON-serialisable: {error}") from error


def _check_scores(values: Any, text: str, what: str) -> np.ndarray:
    assert isinstance(values, np.ndarray), f"score({what}) returned {type(values).__name__}, not np.ndarray"
    assert np.issubdtype(values.dtype, np.floating), f"score({what}) has dtype {values.dtype}, not float"
    assert values.shape == (len(text),), f"score({what}) has shape {values.shape}, expected ({len(text)},)"
    bad = np.flatnonzero(~np.isfinite(values) | (values > 1e-9))
    assert not bad.size, f"score({what}) gave {values[bad[0]]} for character {text[bad[0]]!r} (at {bad[0]})"
    return values


def _generate(generator: Generator, prompts: Sequence[str], max_chars: int, sampling: Sampling, seed: int):
    texts = generator.generate(list(prompts), max_chars=max_chars, sampling=sampling, seed=seed)
    assert isinstance(texts, list), f"generate returned {type(texts).__name__}, not list"
    assert len(texts) == len(prompts), f"generate returned {len(texts)} texts for {len(prompts)} prompts"
    assert all(isinstance(t, str) for t in texts), "generate returned something that is not a str"
    return texts


def _require_char_level(generator: Generator) -> None:
    if not generator.char_level:
        raise CheckSkipped(f"{type(generator).__name__} is not character-level (char_level is False)")


GREEDY = Sampling(temperature=0.0)
RANDOM = Sampling(temperature=1.0)
NUCLEUS = Sampling(temperature=0.8, top_k=5, top_p=0.9)


# ---------------------------------------------------------------- the checks


def check_fit_report(factory: Factory) -> None:
    """fit returns a sane FitReport within the budget; the factory makes a new Generator each call."""
    generator, report = fitted(factory)
    assert factory() is not generator, "the factory must return a new generator on each call"
    assert isinstance(report, FitReport), f"fit returned {type(report).__name__}, not FitReport"
    assert math.isfinite(report.seconds) and report.seconds >= 0, f"seconds={report.seconds}"
    wall = _fit_cache[id(factory)][1].seconds
    assert report.seconds <= wall + 0.5, f"report says {report.seconds:.2f} s, fit took {wall:.2f} s"
    assert isinstance(report.steps, int) and 0 <= report.steps <= KIT_BUDGET.steps, f"steps={report.steps}"
    assert isinstance(report.train_chars, int) and report.train_chars > 0, f"train_chars={report.train_chars}"
    assert isinstance(report.stopped_by, str) and report.stopped_by, "stopped_by is empty"
    for point in report.curve:
        assert {"seconds", "step", "valid_bpc"} <= set(point), f"curve point {point} lacks a key"
        assert all(math.isfinite(v) for v in point.values()), f"curve point {point} is not finite"
    _assert_json(report.to_dict(), "FitReport.to_dict()")


def check_score_ascii(factory: Factory) -> None:
    """score(ASCII text) is a float array of len(text) finite log-probabilities, all <= 0."""
    generator, _ = fitted(factory)
    _check_scores(generator.score(ASCII_TEXT), ASCII_TEXT, "ASCII text")
    _check_scores(generator.score(KIT_CORPUS.valid[:200]), KIT_CORPUS.valid[:200], "corpus text")


def check_score_unseen_unicode(factory: Factory) -> None:
    """Unseen characters (emoji, CJK, combining marks, control characters, newline) score finite."""
    generator, _ = fitted(factory)
    for text in UNSEEN_TEXTS:
        _check_scores(generator.score(text), text, repr(text))
        _check_scores(generator.score(text, context="The "), text, f"{text!r}, context='The '")


def check_score_empty(factory: Factory) -> None:
    """score("") returns an empty float array, with and without context."""
    generator, _ = fitted(factory)
    _check_scores(generator.score(""), "", "''")
    _check_scores(generator.score("", context="The keeper"), "", "'', context='The keeper'")


def check_score_long_text(factory: Factory) -> None:
    """A text longer than a small model's context window (twice the training text, ~7000 chars) scores."""
    generator, _ = fitted(factory)
    text = KIT_CORPUS.train + " 😀 " + KIT_CORPUS.train
    _check_scores(generator.score(text), text, f"a {len(text)}-character text")


def check_score_with_context(factory: Factory) -> None:
    """score(text, context) has len(text) values and differs from score(text) for some context."""
    generator, _ = fitted(factory)
    differs = False
    for text, context in CONTEXT_PAIRS:
        alone = _check_scores(generator.score(text), text, repr(text))
        given = _check_scores(generator.score(text, context=context), text, f"{text!r}, context={context!r}")
        differs |= not np.allclose(alone, given, rtol=0, atol=1e-6)
    assert differs, f"score ignores its context: same values with and without it for {CONTEXT_PAIRS}"


def check_score_repeatable(factory: Factory) -> None:
    """Scoring is a pure function: the same text scores the same twice, and after generating."""
    generator, _ = fitted(factory)
    first = generator.score(ASCII_TEXT, context="The ")
    second = generator.score(ASCII_TEXT, context="The ")
    assert np.allclose(first, second, rtol=0, atol=1e-6), "two calls of score differ (dropout left on?)"
    _generate(generator, PROMPTS, 20, RANDOM, 0)
    third = generator.score(ASCII_TEXT, context="The ")
    assert np.allclose(first, third, rtol=0, atol=1e-6), "score changed after generate (state kept?)"


def check_next_char_distribution_sums_to_one(factory: Factory) -> None:
    """Character-level models: the next-character distribution covers every scalar value, sums to 1."""
    generator, _ = fitted(factory)
    _require_char_level(generator)
    for context in ("", "The ", "It was a dark", "😀", "\n"):
        dist = generator.next_char_distribution(context)
        assert all(len(c) == 1 and not 0xD800 <= ord(c) < 0xE000 for c in dist.logprobs), "bad keys"
        covered = len(dist.logprobs) + dist.rest_count
        assert covered == UNICODE_SCALAR_COUNT, f"covers {covered} characters, not {UNICODE_SCALAR_COUNT}"
        values = np.fromiter(dist.logprobs.values(), dtype=np.float64)
        assert np.isfinite(values).all() and (values <= 1e-9).all(), f"context {context!r}: bad logprobs"
        assert dist.rest_count == 0 or math.isfinite(dist.rest_logprob), "unseen characters get -inf"
        total = dist.total()
        assert abs(total - 1.0) <= 1e-6, f"context {context!r}: probabilities sum to {total!r}"


def check_next_char_distribution_matches_score(factory: Factory) -> None:
    """Character-level models: next_char_distribution(context)[c] equals score(c, context) (1e-4)."""
    generator, _ = fitted(factory)
    _require_char_level(generator)
    for context in ("", "The ", "It was a dark", "😀"):
        dist = generator.next_char_distribution(context)
        likely = sorted(dist.logprobs, key=dist.logprobs.__getitem__, reverse=True)[:3]
        for char in [*likely, " ", "e", "😀", "Ж"]:
            expected = dist.logprobs.get(char, dist.rest_logprob)
            got = float(generator.score(char, context=context)[0])
            assert abs(got - expected) <= 1e-4, f"{char!r} after {context!r}: score {got}, dist {expected}"


def check_score_chain_rule(factory: Factory) -> None:
    """Character-level models: score(a + b) == score(a) followed by score(b, context=a) (1e-4)."""
    generator, _ = fitted(factory)
    _require_char_level(generator)
    for a, b in SPLIT_TEXTS:
        whole = generator.score(a + b)
        parts = np.concatenate([generator.score(a), generator.score(b, context=a)])
        assert np.allclose(whole, parts, rtol=0, atol=1e-4), f"{a!r} + {b!r}: {whole} vs {parts}"


def check_generate_output(factory: Factory) -> None:
    """generate returns one str per prompt (tuples, unseen characters, long prompts too); [] for []."""
    generator, _ = fitted(factory)
    odd = ("😀 日本 e\u0301 ", "\n\n", "x" * 400 + " ", KIT_CORPUS.train[:1500])
    for sampling in (GREEDY, RANDOM):
        _generate(generator, (*PROMPTS, *odd), 12, sampling, 0)
    texts = generator.generate(tuple(PROMPTS), max_chars=5, sampling=RANDOM, seed=0)
    assert isinstance(texts, list) and len(texts) == len(PROMPTS), "a tuple of prompts is not accepted"
    assert generator.generate([], max_chars=5, sampling=RANDOM, seed=0) == [], "no prompts must give []"


def check_greedy_deterministic(factory: Factory) -> None:
    """Temperature 0 gives the same text on every call, whatever the seed."""
    generator, _ = fitted(factory)
    first = _generate(generator, PROMPTS, 40, GREEDY, 0)
    again = _generate(generator, PROMPTS, 40, GREEDY, 0)
    other_seed = _generate(generator, PROMPTS, 40, GREEDY, 12345)
    assert first == again, f"greedy text changed between two calls: {first} vs {again}"
    assert first == other_seed, f"greedy text depends on the seed: {first} vs {other_seed}"


def check_seed_reproducible(factory: Factory) -> None:
    """At T=1 (and with top-k/top-p) the same seed gives the same text and different seeds differ."""
    generator, _ = fitted(factory)
    seven = {}
    for sampling in (RANDOM, NUCLEUS):
        seven[sampling] = _generate(generator, PROMPTS, 40, sampling, 7)
        again = _generate(generator, PROMPTS, 40, sampling, 7)
        assert seven[sampling] == again, f"{sampling}: one seed gave two texts: {seven[sampling]} vs {again}"
    other = _generate(generator, PROMPTS, 40, RANDOM, 10_007)
    assert seven[RANDOM] != other, f"seeds 7 and 10007 gave the same text for all prompts: {other}"


def check_max_chars(factory: Factory) -> None:
    """No continuation is longer than max_chars; max_chars=0 gives empty continuations."""
    generator, _ = fitted(factory)
    assert _generate(generator, PROMPTS, 0, RANDOM, 0) == [""] * len(PROMPTS), "max_chars=0 must give ''"
    for max_chars in (1, 16, 200):
        for sampling in (GREEDY, RANDOM):
            lengths = [len(t) for t in _generate(generator, PROMPTS, max_chars, sampling, 0)]
            assert max(lengths) <= max_chars, f"max_chars={max_chars}, {sampling}: lengths {lengths}"


def check_max_chars_reached(factory: Factory) -> None:
    """At least half the continuations are exactly max_chars long (shorter = end-of-text emitted)."""
    generator, _ = fitted(factory)
    for max_chars in (1, 16, 200):
        lengths = [len(t) for s in (GREEDY, RANDOM) for t in _generate(generator, PROMPTS, max_chars, s, 0)]
        full = sum(n == max_chars for n in lengths)
        assert 2 * full >= len(lengths), f"max_chars={max_chars}: only {full} of lengths {lengths} reach it"


def check_batch_equals_single(factory: Factory) -> None:
    """generate(prompts, seed=s)[i] equals generate([prompts[i]], seed=s + i)[0] (the seeding rule)."""
    generator, _ = fitted(factory)
    for sampling in (GREEDY, RANDOM, NUCLEUS):
        batch = _generate(generator, PROMPTS, 40, sampling, 3)
        single = [_generate(generator, [p], 40, sampling, 3 + i)[0] for i, p in enumerate(PROMPTS)]
        assert batch == single, f"{sampling}: batched {batch} != one at a time {single}"


def _pickled_files(directory: Path) -> list[str]:
    """Files that are pickles, or zips holding pickles (torch.save), under ``directory``."""
    found = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        data = path.read_bytes()
        pickle = (
            data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05") and data[-1:] == b"."
        )
        if (path.suffix != ".safetensors" and pickle) or path.suffix in {".pkl", ".pickle", ".pt", ".pth"}:
            found.append(path.name)
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                if any(name.endswith(".pkl") for name in archive.namelist()):
                    found.append(path.name)
    return found


def check_save_load(factory: Factory) -> None:
    """save then load keeps scores (allclose, atol 1e-6), greedy and seeded text and config; no pickle."""
    generator, _ = fitted(factory)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "model"
        directory.mkdir()  # like the harness, save into an existing empty directory
        generator.save(str(directory))
        assert not _pickled_files(directory), f"save wrote pickle files: {_pickled_files(directory)}"
        loaded = type(generator).load(directory)
    assert isinstance(loaded, type(generator)), f"load returned {type(loaded).__name__}"
    for text, context in [(ASCII_TEXT, ""), (UNSEEN_TEXTS[-1], "The "), (KIT_CORPUS.valid[:300], "")]:
        before, after = generator.score(text, context=context), loaded.score(text, context=context)
        assert np.allclose(before, after, rtol=0, atol=1e-6), f"scores of {text[:20]!r}… changed by save/load"
    for sampling in (GREEDY, RANDOM):
        before = _generate(generator, PROMPTS, 40, sampling, 5)
        after = _generate(loaded, PROMPTS, 40, sampling, 5)
        assert before == after, f"{sampling}: text changed by save/load: {before} vs {after}"
    assert loaded.describe()["config"] == generator.describe()["config"], "config changed by save/load"


def check_invalid_sampling(factory: Factory) -> None:
    """Invalid sampling parameters raise SamplingError naming them; generate rejects a non-Sampling."""
    generator, _ = fitted(factory)
    invalid = {"temperature": (-1.0, math.nan, math.inf), "top_k": (-1, 2.5), "top_p": (0.0, 1.5, math.nan)}
    for parameter, values in invalid.items():
        for value in values:
            try:
                Sampling(**{parameter: value})
            except SamplingError as error:
                assert parameter in str(error), (
                    f"Sampling({parameter}={value}) error does not name it: {error}"
                )
            else:
                raise AssertionError(f"Sampling({parameter}={value!r}) was accepted")
    for wrong in ({"temperature": 1.0}, 0.5):
        try:
            generator.generate(["The "], max_chars=5, sampling=wrong, seed=0)  # type: ignore[arg-type]
        except (TypeError, ValueError) as error:
            assert "sampling" in str(error).lower(), f"sampling={wrong!r}: the error does not say so: {error}"
        else:
            raise AssertionError(f"generate accepted sampling={wrong!r}; pass a Sampling or None")


def check_describe(factory: Factory) -> None:
    """describe() gives name, parameters (> 0), tokenizer and config, JSON-ready; config rebuilds."""
    generator, _ = fitted(factory)
    info = generator.describe()
    assert isinstance(info, dict), f"describe returned {type(info).__name__}"
    missing = {"name", "parameters", "tokenizer", "config"} - set(info)
    assert not missing, f"describe lacks {sorted(missing)}"
    _assert_json(info, "describe()")  # numpy numbers, NaN and objects are not
    assert isinstance(info["name"], str) and info["name"], "describe()['name'] is empty"
    registered = type(generator).name
    assert not registered or info["name"] == registered, f"name {info['name']!r} != {registered!r}"
    count = info["parameters"]
    assert isinstance(count, int) and not isinstance(count, bool) and count > 0, f"parameters={count!r}"
    assert isinstance(info["tokenizer"], str) and info["tokenizer"], "describe()['tokenizer'] is empty"
    rebuilt = build_config(type(generator).config_class, json.loads(json.dumps(info["config"])))
    assert config_to_dict(rebuilt) == config_to_dict(generator.config), "describe()['config'] != config"


CHECKS: tuple[Callable[[Factory], None], ...] = (
    check_fit_report,
    check_score_ascii,
    check_score_unseen_unicode,
    check_score_empty,
    check_score_long_text,
    check_score_with_context,
    check_score_repeatable,
    check_next_char_distribution_sums_to_one,
    check_next_char_distribution_matches_score,
    check_score_chain_rule,
    check_generate_output,
    check_greedy_deterministic,
    check_seed_reproducible,
    check_max_chars,
    check_max_chars_reached,
    check_batch_equals_single,
    check_save_load,
    check_invalid_sampling,
    check_describe,
)
CHECK_NAMES = tuple(check.__name__ for check in CHECKS)


# ---------------------------------------------------------------- running the checks


def _summary(check: Callable) -> str:
    return (check.__doc__ or "").strip().splitlines()[0] if check.__doc__ else check.__name__


def _validate_expected(expected: Mapping[str, str]) -> None:
    for name in expected:
        if name not in CHECK_NAMES:
            raise ValueError(f"expected_failures names no check {name!r}{did_you_mean(name, CHECK_NAMES)}")


def check_generator(factory: Factory, expected_failures: Mapping[str, str] | None = None) -> None:
    """Run every check; raise one AssertionError listing each failure with its reason.

    A check named in ``expected_failures`` (check name -> reason) must fail: if it passes, that is
    reported too (remove it from the list), like pytest's strict xfail.
    """
    expected = dict(expected_failures or {})
    _validate_expected(expected)
    problems = []
    for check in CHECKS:
        name = check.__name__
        try:
            check(factory)
        except CheckSkipped:
            continue
        except Exception as error:  # every failure is collected, then reported together
            if name not in expected:
                problems.append(f"- {name}: {_summary(check)}\n    {type(error).__name__}: {error}")
            continue
        if name in expected:
            problems.append(f"- {name}: passed but is listed in expected_failures ({expected[name]})")
    if problems:
        cached = _fit_cache.get(id(factory))
        made = cached[1].generator if cached else None
        label = type(made).__name__ if made is not None else getattr(factory, "__name__", repr(factory))
        raise AssertionError(
            f"{label}: {len(problems)} of {len(CHECKS)} checks failed\n" + "\n".join(problems)
        )


def _pytest_check(check: Callable[[Factory], None]) -> Callable[[Factory], None]:
    """The check, with CheckSkipped turned into a pytest skip and its summary added to failures."""
    import pytest

    @functools.wraps(check)
    def run(factory: Factory) -> None:
        try:
            check(factory)
        except CheckSkipped as skipped:
            pytest.skip(str(skipped))
        except Exception as error:
            error.add_note(f"{check.__name__}: {_summary(check)}")
            raise

    return run


def _factory_names(factories: Sequence[Factory] | Mapping[str, Factory]) -> list[tuple[str, Factory]]:
    if isinstance(factories, Mapping):
        return list(factories.items())
    named = []
    for i, factory in enumerate(factories):
        made = factory if isinstance(factory, type) else type(factory())  # a cheap untrained instance
        name = getattr(made, "name", "") or made.__name__
        named.append((name if name not in dict(named) else f"{name}{i}", factory))
    return named


def parametrize_with_checks(
    factories: Sequence[Factory] | Mapping[str, Factory],
    expected_failures: Mapping[str, str] | Mapping[str, Mapping[str, str]] | None = None,
):
    """A ``pytest.mark.parametrize("factory, check", …)`` over every (generator, check) pair.

    ``factories`` is a list of factories (named after their generator class) or a dict name ->
    factory. ``expected_failures`` maps check name -> reason for every generator, or generator
    name -> {check name -> reason}; those pairs are marked ``xfail(strict=True)``.
    """
    import pytest

    named = _factory_names(factories)
    expected = dict(expected_failures or {})
    per_generator = all(isinstance(v, Mapping) for v in expected.values()) and bool(expected)
    if per_generator:
        names = [n for n, _ in named]
        for name, table in expected.items():
            if name not in names:
                raise ValueError(f"expected_failures names no generator {name!r}{did_you_mean(name, names)}")
            _validate_expected(table)
    else:
        _validate_expected(expected)
    params = []
    for name, factory in named:
        table = expected.get(name, {}) if per_generator else expected
        for check in CHECKS:
            reason = table.get(check.__name__)
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            params.append(
                pytest.param(factory, _pytest_check(check), id=f"{name}-{check.__name__}", marks=marks)
            )
    return pytest.mark.parametrize("factory, check", params)
