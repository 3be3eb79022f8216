"""The conformance kit's runner: check_generator's report, expected failures, the checks that
apply, fitting once, pytest ids and marks, the public names. The broken generators are test_kit's."""

from __future__ import annotations

import pytest
from test_kit import AcceptsDictSampling, CharNGram, IgnoresMaxChars, char_ngram, factory_of

import generators.testing
from generators.testing import CheckNotApplicable, check_generator, checks_for, parametrize_with_checks
from generators.testing import checks as kit


def test_check_generator_lists_the_failed_checks_with_their_docstrings():
    with pytest.raises(AssertionError) as raised:
        check_generator(factory_of(IgnoresMaxChars))
    message = str(raised.value)
    assert "IgnoresMaxChars" in message
    assert "- check_max_chars: No continuation is longer than max_chars" in message
    assert "- check_max_chars_reached:" in message
    assert "check_describe" not in message


def test_expected_failures_are_excused_but_must_fail():
    check_generator(factory_of(AcceptsDictSampling), expected_failures={"check_invalid_sampling": "dicts"})
    with pytest.raises(AssertionError, match="check_describe: passed but is listed in expected_failures"):
        check_generator(char_ngram, expected_failures={"check_describe": "not really broken"})
    with pytest.raises(ValueError, match="did you mean 'check_describe'"):
        check_generator(char_ngram, expected_failures={"check_describbe": "typo"})


class WordishGenerator(CharNGram):
    char_level = False


def test_character_level_checks_are_only_for_character_level_generators():
    factory = factory_of(WordishGenerator)
    applicable = checks_for(factory())
    assert set(kit.CHECKS) - set(applicable) == kit.CHARACTER_LEVEL_CHECKS
    assert checks_for(char_ngram()) == kit.CHECKS
    with pytest.raises(CheckNotApplicable, match="not character-level"):
        kit.check_next_char_distribution_sums_to_one(factory)  # called directly, it says why
    check_generator(factory)


def test_parametrize_yields_only_the_checks_that_apply():
    mark = parametrize_with_checks({"wordish": factory_of(WordishGenerator), "chars": char_ngram})
    ids = [param.id for param in mark.args[1]]
    assert len(ids) == 2 * len(kit.CHECKS) - len(kit.CHARACTER_LEVEL_CHECKS)
    assert "wordish-check_score_chain_rule" not in ids and "chars-check_score_chain_rule" in ids


def test_fit_runs_once_per_factory_and_failures_are_remembered():
    fits = []

    class CountsFits(CharNGram):
        def fit(self, corpus, *, seed=0, budget=None):
            fits.append(budget)
            if len(fits) > 1:
                raise RuntimeError("boom")
            return super().fit(corpus, seed=seed, budget=budget)

    factory = factory_of(CountsFits)
    kit.check_score_ascii(factory)
    kit.check_greedy_deterministic(factory)
    kit.check_save_load(factory)
    assert fits == [kit.KIT_BUDGET]

    other = factory_of(CountsFits)  # a second factory fits again, and this fit raises
    for check in (kit.check_score_ascii, kit.check_describe):
        with pytest.raises(AssertionError, match="fitting failed: RuntimeError: boom"):
            check(other)
    assert len(fits) == 2


def test_parametrize_ids_marks_and_names():
    mark = parametrize_with_checks(
        [char_ngram, factory_of(IgnoresMaxChars)],
        expected_failures={"char-ngram1": {"check_max_chars": "adds 3", "check_max_chars_reached": "too"}},
    )
    argnames, params = mark.args
    assert argnames == "factory, check"
    ids = [p.id for p in params]
    assert len(ids) == 2 * len(kit.CHECKS)
    assert "char-ngram-check_score_unseen_unicode" in ids
    assert "char-ngram1-check_max_chars" in ids  # a second generator of the same name is numbered
    xfailed = {p.id: p.marks[0].kwargs for p in params if p.marks}
    assert xfailed == {
        "char-ngram1-check_max_chars": {"reason": "adds 3", "strict": True},
        "char-ngram1-check_max_chars_reached": {"reason": "too", "strict": True},
    }
    with pytest.raises(ValueError, match="did you mean 'char-ngram'"):
        parametrize_with_checks({"char-ngram": char_ngram}, {"char-ngarm": {"check_describe": "x"}})


def test_pytest_wrapped_check_adds_its_docstring_and_skips():
    mark = parametrize_with_checks({"broken": factory_of(IgnoresMaxChars)})
    wrapped = {p.id: p.values[1] for p in mark.args[1]}
    with pytest.raises(AssertionError) as raised:
        wrapped["broken-check_max_chars"](factory_of(IgnoresMaxChars))
    assert any("No continuation is longer than max_chars" in note for note in raised.value.__notes__)


def test_the_public_names_of_the_kit_import_from_generators_testing():
    names = ["CHECKS", "KIT_BUDGET", "KIT_CORPUS", "CheckNotApplicable", "Factory", "check_generator"]
    names += ["checks", "checks_for", "clear_fit_cache", "parametrize_with_checks"]
    assert sorted(generators.testing.__all__) == sorted(names)
    assert all(hasattr(generators.testing, name) for name in names)
    assert all(hasattr(generators.testing.checks, name) for name in kit.CHECK_NAMES)
