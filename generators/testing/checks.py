"""The conformance checks: each takes a factory, fits it through the kit (once) and asserts one rule.

The rules and their tolerances are listed in :mod:`generators.testing`; the chain-rule, normalisation
and sampling checks are in :mod:`generators.testing.honesty`.
"""

from __future__ import annotations

import json
import math
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from generators.base import CARD_KEYS, UNICODE_SCALAR_COUNT, FitReport, Generator, Sampling
from generators.errors import SamplingError
from generators.options import build_config, config_to_dict
from generators.testing.honesty import (
    check_score_chain_rule_sum,
    check_single_characters_sum_to_at_most_one,
    check_top_k_one_and_tiny_top_p_are_greedy,
    check_top_k_two_keeps_two_characters,
)
from generators.testing.kit import (
    ASCII_TEXT,
    CONTEXT_PAIRS,
    GREEDY,
    KIT_BUDGET,
    KIT_CORPUS,
    NUCLEUS,
    PROMPTS,
    RANDOM,
    SPLIT_TEXTS,
    UNSEEN_TEXTS,
    Factory,
    assert_json,
    checked_scores,
    fit_seconds,
    fitted,
    generate_checked,
    require_char_level,
)
from generators.testing.strategies import (
    STRONG,
    check_declared_settings_change_the_text,
    check_no_repeat_ngram_on_characters,
    check_unsupported_sampling_is_refused,
)


def check_fit_report(factory: Factory) -> None:
    """fit returns a sane FitReport within the budget; the factory makes a new Generator each call."""
    generator, report = fitted(factory)
    assert factory() is not generator, "the factory must return a new generator on each call"
    assert isinstance(report, FitReport), f"fit returned {type(report).__name__}, not FitReport"
    assert math.isfinite(report.seconds) and report.seconds >= 0, f"seconds={report.seconds}"
    wall = fit_seconds(factory)
    assert report.seconds <= wall + 0.5, f"report says {report.seconds:.2f} s, fit took {wall:.2f} s"
    assert isinstance(report.steps, int) and 0 <= report.steps <= KIT_BUDGET.steps, f"steps={report.steps}"
    assert isinstance(report.train_chars, int) and report.train_chars > 0, f"train_chars={report.train_chars}"
    assert isinstance(report.stopped_by, str) and report.stopped_by, "stopped_by is empty"
    for point in report.curve:
        assert {"seconds", "step", "valid_bpc"} <= set(point), f"curve point {point} lacks a key"
        assert all(math.isfinite(v) for v in point.values()), f"curve point {point} is not finite"
    assert_json(report.to_dict(), "FitReport.to_dict()")


def check_score_ascii(factory: Factory) -> None:
    """score(ASCII text) is a float array of len(text) finite log-probabilities, all <= 0."""
    generator, _ = fitted(factory)
    checked_scores(generator.score(ASCII_TEXT), ASCII_TEXT, "ASCII text")
    checked_scores(generator.score(KIT_CORPUS.valid[:200]), KIT_CORPUS.valid[:200], "corpus text")


def check_score_unseen_unicode(factory: Factory) -> None:
    """Unseen characters (emoji, CJK, combining marks, control characters, newline) score finite."""
    generator, _ = fitted(factory)
    for text in UNSEEN_TEXTS:
        checked_scores(generator.score(text), text, repr(text))
        checked_scores(generator.score(text, context="The "), text, f"{text!r}, context='The '")


def check_score_empty(factory: Factory) -> None:
    """score("") returns an empty float array, with and without context."""
    generator, _ = fitted(factory)
    checked_scores(generator.score(""), "", "''")
    checked_scores(generator.score("", context="The keeper"), "", "'', context='The keeper'")


def check_score_long_text(factory: Factory) -> None:
    """A text longer than a small model's context window (twice the training text, ~7000 chars) scores."""
    generator, _ = fitted(factory)
    text = KIT_CORPUS.train + " 😀 " + KIT_CORPUS.train
    checked_scores(generator.score(text), text, f"a {len(text)}-character text")


def check_score_with_context(factory: Factory) -> None:
    """score(text, context) has len(text) values and differs from score(text) for some context."""
    generator, _ = fitted(factory)
    differs = False
    for text, context in CONTEXT_PAIRS:
        alone = checked_scores(generator.score(text), text, repr(text))
        given = checked_scores(generator.score(text, context=context), text, f"{text!r}, context={context!r}")
        differs |= not np.allclose(alone, given, rtol=0, atol=1e-6)
    assert differs, f"score ignores its context: same values with and without it for {CONTEXT_PAIRS}"


def check_score_repeatable(factory: Factory) -> None:
    """Scoring is a pure function: the same text scores the same twice, and after generating."""
    generator, _ = fitted(factory)
    first = generator.score(ASCII_TEXT, context="The ")
    second = generator.score(ASCII_TEXT, context="The ")
    assert np.allclose(first, second, rtol=0, atol=1e-6), "two calls of score differ (dropout left on?)"
    generate_checked(generator, PROMPTS, 20, RANDOM, 0)
    third = generator.score(ASCII_TEXT, context="The ")
    assert np.allclose(first, third, rtol=0, atol=1e-6), "score changed after generate (state kept?)"


def check_next_char_distribution_sums_to_one(factory: Factory) -> None:
    """Character-level models: the next-character distribution covers every scalar value, sums to 1."""
    generator, _ = fitted(factory)
    require_char_level(generator)
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
    require_char_level(generator)
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
    require_char_level(generator)
    for a, b in SPLIT_TEXTS:
        whole = generator.score(a + b)
        parts = np.concatenate([generator.score(a), generator.score(b, context=a)])
        assert np.allclose(whole, parts, rtol=0, atol=1e-4), f"{a!r} + {b!r}: {whole} vs {parts}"


def check_generate_output(factory: Factory) -> None:
    """generate returns one str per prompt (tuples, unseen characters, long prompts too); [] for []."""
    generator, _ = fitted(factory)
    odd = ("😀 日本 e\u0301 ", "\n\n", "x" * 400 + " ", KIT_CORPUS.train[:1500])
    for sampling in (GREEDY, RANDOM):
        generate_checked(generator, (*PROMPTS, *odd), 12, sampling, 0)
    texts = generator.generate(tuple(PROMPTS), max_chars=5, sampling=RANDOM, seed=0)
    assert isinstance(texts, list) and len(texts) == len(PROMPTS), "a tuple of prompts is not accepted"
    assert generator.generate([], max_chars=5, sampling=RANDOM, seed=0) == [], "no prompts must give []"


def check_greedy_deterministic(factory: Factory) -> None:
    """Temperature 0 gives the same text on every call, whatever the seed."""
    generator, _ = fitted(factory)
    first = generate_checked(generator, PROMPTS, 40, GREEDY, 0)
    again = generate_checked(generator, PROMPTS, 40, GREEDY, 0)
    other_seed = generate_checked(generator, PROMPTS, 40, GREEDY, 12345)
    assert first == again, f"greedy text changed between two calls: {first} vs {again}"
    assert first == other_seed, f"greedy text depends on the seed: {first} vs {other_seed}"


def check_seed_reproducible(factory: Factory) -> None:
    """At T=1 (and with top-k/top-p) the same seed gives the same text and different seeds differ."""
    generator, _ = fitted(factory)
    seven = {}
    for sampling in (RANDOM, NUCLEUS):
        seven[sampling] = generate_checked(generator, PROMPTS, 40, sampling, 7)
        again = generate_checked(generator, PROMPTS, 40, sampling, 7)
        assert seven[sampling] == again, f"{sampling}: one seed gave two texts: {seven[sampling]} vs {again}"
    other = generate_checked(generator, PROMPTS, 40, RANDOM, 10_007)
    assert seven[RANDOM] != other, f"seeds 7 and 10007 gave the same text for all prompts: {other}"


def check_max_chars(factory: Factory) -> None:
    """No continuation is longer than max_chars; max_chars=0 gives empty continuations."""
    generator, _ = fitted(factory)
    assert generate_checked(generator, PROMPTS, 0, RANDOM, 0) == [""] * len(PROMPTS), (
        "max_chars=0 must give ''"
    )
    for max_chars in (1, 16, 200):
        for sampling in (GREEDY, RANDOM):
            lengths = [len(t) for t in generate_checked(generator, PROMPTS, max_chars, sampling, 0)]
            assert max(lengths) <= max_chars, f"max_chars={max_chars}, {sampling}: lengths {lengths}"


def check_max_chars_reached(factory: Factory) -> None:
    """At least half the continuations are exactly max_chars long (shorter = end-of-text emitted)."""
    generator, _ = fitted(factory)
    for max_chars in (1, 16, 200):
        lengths = [
            len(t) for s in (GREEDY, RANDOM) for t in generate_checked(generator, PROMPTS, max_chars, s, 0)
        ]
        full = sum(n == max_chars for n in lengths)
        assert 2 * full >= len(lengths), f"max_chars={max_chars}: only {full} of lengths {lengths} reach it"


def check_batch_equals_single(factory: Factory) -> None:
    """generate(prompts, seed=s)[i] equals generate([prompts[i]], seed=s + i)[0] (the seeding rule)."""
    generator, _ = fitted(factory)
    for sampling in (GREEDY, RANDOM, NUCLEUS):
        batch = generate_checked(generator, PROMPTS, 40, sampling, 3)
        single = [generate_checked(generator, [p], 40, sampling, 3 + i)[0] for i, p in enumerate(PROMPTS)]
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
    """save then load (on the same device) keeps scores (bit for bit, or within the class's declared
    ``save_load_tolerance``), greedy and seeded text and config; no pickle."""
    generator, _ = fitted(factory)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "model"
        directory.mkdir()  # like the harness, save into an existing empty directory
        generator.save(str(directory))
        assert not _pickled_files(directory), f"save wrote pickle files: {_pickled_files(directory)}"
        loaded = type(generator).load(directory, device=getattr(generator, "device", "cpu"))
    assert isinstance(loaded, type(generator)), f"load returned {type(loaded).__name__}"
    for text, context in [(ASCII_TEXT, ""), (UNSEEN_TEXTS[-1], "The "), (KIT_CORPUS.valid[:300], "")]:
        before, after = generator.score(text, context=context), loaded.score(text, context=context)
        tolerance = type(generator).save_load_tolerance
        assert np.allclose(before, after, rtol=0, atol=tolerance), (
            f"scores of {text[:20]!r}… changed by save/load by up to {np.abs(before - after).max():.3g} "
            f"(allowed: {tolerance}; a plugin whose framework cannot load bit-identically sets save_load_tolerance)"
        )
    for sampling in (GREEDY, RANDOM):
        before = generate_checked(generator, PROMPTS, 40, sampling, 5)
        after = generate_checked(loaded, PROMPTS, 40, sampling, 5)
        assert before == after, f"{sampling}: text changed by save/load: {before} vs {after}"
    assert loaded.describe()["config"] == generator.describe()["config"], "config changed by save/load"


def check_invalid_sampling(factory: Factory) -> None:
    """Invalid sampling parameters raise SamplingError naming them; generate rejects a non-Sampling."""
    generator, _ = fitted(factory)
    invalid = {
        "temperature": (-1.0, math.nan, math.inf),
        "top_k": (-1, 2.5),
        "top_p": (0.0, 1.5, math.nan),
        "typical_p": (0.0, 1.5),
        "min_p": (-0.1, 1.5),
        "repetition_penalty": (0.0, math.inf),
        "no_repeat_ngram": (-1, 2.5),
    }
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
    assert_json(info, "describe()")  # numpy numbers, NaN and objects are not
    assert isinstance(info["name"], str) and info["name"], "describe()['name'] is empty"
    registered = type(generator).name
    assert not registered or info["name"] == registered, f"name {info['name']!r} != {registered!r}"
    count = info["parameters"]
    assert isinstance(count, int) and not isinstance(count, bool) and count > 0, f"parameters={count!r}"
    assert isinstance(info["tokenizer"], str) and info["tokenizer"], "describe()['tokenizer'] is empty"
    rebuilt = build_config(type(generator).config_class, json.loads(json.dumps(info["config"])))
    assert config_to_dict(rebuilt) == config_to_dict(generator.config), "describe()['config'] != config"


def check_card(factory: Factory) -> None:
    """card() gives every key of generators.base.CARD_KEYS, JSON-ready: a non-empty architecture and
    the parameter count describe() gives (the report's model card of each row)."""
    generator, _ = fitted(factory)
    card = generator.card()
    assert isinstance(card, dict), f"card returned {type(card).__name__}"
    missing = set(CARD_KEYS) - set(card)
    assert not missing, f"card lacks {sorted(missing)}"
    assert_json(card, "card()")
    assert isinstance(card["architecture"], str) and card["architecture"], "card()['architecture'] is empty"
    described = generator.describe()["parameters"]
    assert card["parameters"] == described, f"card()['parameters'] {card['parameters']!r} != describe()'s {described!r}"


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
    check_score_chain_rule_sum,
    check_single_characters_sum_to_at_most_one,
    check_generate_output,
    check_greedy_deterministic,
    check_seed_reproducible,
    check_max_chars,
    check_max_chars_reached,
    check_batch_equals_single,
    check_top_k_one_and_tiny_top_p_are_greedy,
    check_top_k_two_keeps_two_characters,
    check_unsupported_sampling_is_refused,
    check_declared_settings_change_the_text,
    check_no_repeat_ngram_on_characters,
    check_save_load,
    check_invalid_sampling,
    check_describe,
    check_card,
)
CHECK_NAMES = tuple(check.__name__ for check in CHECKS)
CHARACTER_LEVEL_CHECKS = frozenset(
    {
        check_next_char_distribution_sums_to_one,
        check_next_char_distribution_matches_score,
        check_score_chain_rule,
        check_top_k_two_keeps_two_characters,
        check_no_repeat_ngram_on_characters,
    }
)


SETTING_CHECKS: dict[Callable[[Factory], None], frozenset[str]] = {  # apply when any of these is declared
    check_top_k_one_and_tiny_top_p_are_greedy: frozenset({"top_k", "top_p"}),
    check_top_k_two_keeps_two_characters: frozenset({"top_k"}),
    check_declared_settings_change_the_text: frozenset(STRONG),
    check_no_repeat_ngram_on_characters: frozenset({"no_repeat_ngram"}),
}


def checks_for(generator: Generator) -> tuple[Callable[[Factory], None], ...]:
    """The checks that apply to ``generator`` (an untrained instance will do): all of them for a
    character-level generator, all but :data:`CHARACTER_LEVEL_CHECKS` for any other; a check of
    sampling settings (:data:`SETTING_CHECKS`) only when the generator declares one of them."""
    declared = type(generator).sampling_settings
    return tuple(
        c
        for c in CHECKS
        if (generator.char_level or c not in CHARACTER_LEVEL_CHECKS)
        and (c not in SETTING_CHECKS or SETTING_CHECKS[c] & declared)
    )
