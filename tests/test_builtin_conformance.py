"""Every built-in generator, and the reference plugin, passes the conformance kit.

One test per (generator, check): the ids read like ``char-lstm-check_batched_equals_single``.
The configurations are tiny so each model fits in a few seconds; the kit fits each factory once.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support import TINY_NEURAL_OPTIONS

from benchmarks.run import contract
from generators.registry import get_generator_class
from generators.testing import KIT_CORPUS, parametrize_with_checks
from generators.testing.kit import fitted

sys.path.insert(0, str(Path(__file__).parent / "plugins" / "textgen-bench-char-ngram"))
from textgen_bench_char_ngram import CharNGramGenerator

OPTIONS = {
    "markov": {"state_size": 1},
    "markov-char": {"state_size": 4, "level": "char"},
    **TINY_NEURAL_OPTIONS,
}


def factory_for(label: str):
    name = "markov" if label.startswith("markov") else label
    return lambda: get_generator_class(name).from_options(OPTIONS[label])


FACTORIES = {label: factory_for(label) for label in OPTIONS}
FACTORIES["char-ngram-plugin"] = lambda: CharNGramGenerator.from_options({"order": 3})


@parametrize_with_checks(FACTORIES)
def test_builtin_generators_conform(factory, check):
    check(factory)


@pytest.mark.parametrize("label", FACTORIES)
def test_builtin_generators_pass_the_honesty_checks_a_run_applies(label):
    """What a run checks before ranking a row (contract.honest) passes for every built-in."""
    generator, _ = fitted(FACTORIES[label])  # the kit's fit, shared with the checks above
    contract.honest(generator, KIT_CORPUS.train)
