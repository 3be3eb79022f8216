"""A run checks every fitted model with the conformance kit's cheap honesty checks before ranking it."""

from __future__ import annotations

import json
import re

import pytest
from support import run_config, small_config


@pytest.fixture
def corpus(corpus_file, model_cache, installed_plugin):
    """The small file corpus, a private model cache, and the cheating markov variants installed."""
    cheats = {"clipped-cheat": "markov_variants:ClippedCheat", "ignores-top-k": "markov_variants:IgnoresTopK"}
    installed_plugin("markov-variants", cheats)
    return corpus_file


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
