"""A run checks every fitted model with the conformance kit's cheap honesty checks before ranking it."""

from __future__ import annotations

import json
import os
import re

import pytest
from support import install_plugin, run_config, small_config, write_corpus

CHEATS = """
import numpy as np
from generators.base import Sampling
from generators.markov.generator import MarkovGenerator

class ClippedCheat(MarkovGenerator):
    '''Adds log 4 to every character's score, then caps it at 0: no score is positive.'''
    def _score(self, text, context):
        return np.minimum(super()._score(text, context) + np.log(4.0), 0.0)

class IgnoresTopK(MarkovGenerator):
    '''Samples from the whole distribution whatever top_k and top_p say.'''
    def _generate(self, prompts, *, max_chars, sampling, seed):
        plain = Sampling(sampling.temperature)
        return super()._generate(prompts, max_chars=max_chars, sampling=plain, seed=seed)
"""


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    """A small file corpus, a private model cache, and the cheating plugins on PYTHONPATH."""
    monkeypatch.setenv("TEXTGEN_BENCH_CACHE", str(tmp_path / "cache"))
    entry_points = {"clipped-cheat": "cheats:ClippedCheat", "ignores-top-k": "cheats:IgnoresTopK"}
    plugins = install_plugin(tmp_path / "plugins", "cheats", "cheats", CHEATS, entry_points)
    monkeypatch.syspath_prepend(str(plugins))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(plugins), os.environ.get("PYTHONPATH", "")]))
    return write_corpus(tmp_path / "corpus.txt")


@pytest.mark.parametrize(
    ("plugin", "reason"),
    [
        (
            "clipped-cheat",
            r"^generator 'clipped-cheat' broke the contract in score\(\): after '' the single characters' "
            r"probabilities sum to [\d.]+, more than 1 \(the conformance kit's honesty check\)$",
        ),
        (
            "ignores-top-k",
            r"^generator 'ignores-top-k' broke the contract in generate\(\): Sampling\(.*top_k=1.*\), seed 1: "
            r".* is not the greedy .* \(the conformance kit's honesty check\)$",
        ),
    ],
)
def test_a_cheating_plugin_fails_its_row_and_the_run_goes_on(tmp_path, corpus, plugin, reason):
    run_dir = run_config(small_config(corpus, generators=[plugin, "markov"]), tmp_path / "run")
    cells = {c["row"]: c for c in json.loads((run_dir / "results.json").read_text())["cells"]}
    cheat, markov = cells[plugin], cells["markov"]
    assert (cheat["status"], cheat["failed_stage"]) == ("failed", "likelihood")
    assert re.search(reason, cheat["error"]), cheat["error"]  # one line: no newline matches ^…$
    assert markov["status"] == "ok" and markov["likelihood"]["bpc"] > 0
    report = (run_dir / "report.md").read_text()
    assert "**Lowest test bpc: markov**" in report  # the cheat is not ranked, not the winner
