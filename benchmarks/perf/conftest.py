"""Shared by the speed benchmarks: the measured ratios, printed at the end of the run."""

from __future__ import annotations

from collections.abc import Callable

import pytest

RATIOS = pytest.StashKey[list[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RATIOS] = []


@pytest.fixture
def print_ratio(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Record one line (a measured ratio) for the terminal summary: pytest captures print()."""
    lines = request.config.stash[RATIOS]
    return lambda line: lines.append(f"{request.node.name}: {line}")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if config.stash[RATIOS]:
        terminalreporter.section("measured ratios")
        for line in config.stash[RATIOS]:
            terminalreporter.write_line(line)
