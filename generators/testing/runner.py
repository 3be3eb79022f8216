"""Running the conformance checks: one AssertionError for all failures, or one pytest test per check."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

from generators.options import did_you_mean
from generators.testing.checks import CHECK_NAMES, checks_for
from generators.testing.kit import Factory, fitted_or_none


def _summary(check: Callable) -> str:
    return (check.__doc__ or "").strip().splitlines()[0] if check.__doc__ else check.__name__


def _validate_expected(expected: Mapping[str, str]) -> None:
    for name in expected:
        if name not in CHECK_NAMES:
            raise ValueError(f"expected_failures names no check {name!r}{did_you_mean(name, CHECK_NAMES)}")


def check_generator(factory: Factory, expected_failures: Mapping[str, str] | None = None) -> None:
    """Run every check that applies (:func:`checks_for`); raise one AssertionError listing each
    failure with its reason.

    A check named in ``expected_failures`` (check name -> reason) must fail: if it passes, that is
    reported too (remove it from the list), like pytest's strict xfail.
    """
    expected = dict(expected_failures or {})
    _validate_expected(expected)
    problems = []
    applicable = checks_for(factory())
    for check in applicable:
        name = check.__name__
        try:
            check(factory)
        except Exception as error:  # every failure is collected, then reported together
            if name not in expected:
                problems.append(f"- {name}: {_summary(check)}\n    {type(error).__name__}: {error}")
            continue
        if name in expected:
            problems.append(f"- {name}: passed but is listed in expected_failures ({expected[name]})")
    if problems:
        made = fitted_or_none(factory)
        label = type(made).__name__ if made is not None else getattr(factory, "__name__", repr(factory))
        raise AssertionError(
            f"{label}: {len(problems)} of {len(applicable)} checks failed\n" + "\n".join(problems)
        )


def _pytest_check(check: Callable[[Factory], None]) -> Callable[[Factory], None]:
    """The check, with its summary added to a failure's notes."""

    @functools.wraps(check)
    def run(factory: Factory) -> None:
        try:
            check(factory)
        except Exception as error:
            error.add_note(f"{check.__name__}: {_summary(check)}")
            raise

    return run


def _factory_names(factories: Sequence[Factory] | Mapping[str, Factory]) -> list[tuple[str, Factory]]:
    if isinstance(factories, Mapping):
        return list(factories.items())
    named: list[tuple[str, Factory]] = []
    for i, factory in enumerate(factories):
        made = factory if isinstance(factory, type) else type(factory())  # a cheap untrained instance
        name = getattr(made, "name", "") or made.__name__
        named.append((name if name not in dict(named) else f"{name}{i}", factory))
    return named


def parametrize_with_checks(
    factories: Sequence[Factory] | Mapping[str, Factory],
    expected_failures: Mapping[str, str] | Mapping[str, Mapping[str, str]] | None = None,
):
    """A ``pytest.mark.parametrize("factory, check", …)`` over every (generator, check) pair that
    applies (:func:`checks_for`, from an untrained instance of each factory).

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
        for check in checks_for(factory()):
            reason = table.get(check.__name__)
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            params.append(
                pytest.param(factory, _pytest_check(check), id=f"{name}-{check.__name__}", marks=marks)
            )
    return pytest.mark.parametrize("factory, check", params)
