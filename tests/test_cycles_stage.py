"""The cycling probe through the harness: its piece, its texts, resuming, and the report built on it."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest
from support import SMALL_RUN, run_config, small_config, strip_timing, write_corpus

from benchmarks.metrics.cycles import HEADLINE_CYCLING
from benchmarks.run import contract
from benchmarks.run.contract import ContractViolation
from benchmarks.run.plan import load_plan
from benchmarks.run.store import RunStore
from generators.markov.generator import MarkovGenerator
from generators.options import merged

TWO_ROWS = merged(  # markov (state 1) cycles when greedy; markov-3 (state 3) copies training lines
    SMALL_RUN,
    {
        "run": {"name": "cycles", "generators": ["markov", "markov-3"]},
        "sweep": {
            "samples_per_prompt": 1,
            "test_prompts": 6,
            "strategies": {
                "greedy": {"temperature": 0.0},
                "top-k 3": {"top_k": 3},
                "no-repeat 2-gram": {"temperature": 0.0, "no_repeat_ngram": 2},
            },
        },
        "variants": {"markov-3": {"generator": "markov", "options": {"state_size": 3}}},
    },
)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("cycles")
    config = small_config(write_corpus(root / "corpus.txt"), data=TWO_ROWS)
    return run_config(config, root / "run")


def results(run_dir) -> dict:
    return json.loads((run_dir / "results.json").read_text(encoding="utf-8"))


def test_every_cell_records_the_probe_at_each_cycle_temperature(run_dir):
    data = results(run_dir)
    for cell in data["cells"]:
        assert [t["temperature"] for t in cell["cycles"]] == [0.0, 0.5]
        for entry in cell["cycles"]:
            assert entry["chars"] == 240 and entry["samples"] == 6
            assert len(entry["per_prompt"]["looped"]) == len(entry["per_prompt"]["attractor"]) == 6
        assert cell["cycles"][0]["exact_agree"] == 6  # the loop rule agrees with the walk's states
        assert "exact_cycles" not in cell["cycles"][1]  # sampled text has no exact cycle
    markov = next(c for c in data["cells"] if c["row"] == "markov")["cycles"][0]
    assert markov["exact_cycles"] == 6 and markov["looped_share"] == 1.0 and markov["attractors"] >= 1
    human = data["corpora"][0]["human"]["cycles"][0]
    assert human["temperature"] is None and human["samples"] == 6 and human["looped_share"] == 0.0


def test_the_probe_continues_each_strategy_and_the_sweep_cells_carry_its_numbers(run_dir):
    data = results(run_dir)
    for cell in data["cells"]:
        probed = {s["strategy"]: s for s in cell["cycle_strategies"]}
        assert list(probed) == ["no-repeat 2-gram"]  # greedy reads T=0's; top-k samples at T=1, hotter
        # than the probe's temperatures (0, 0.5): read at the sweep's length only
        headline = {key: cell["cycles"][0][key] for key in HEADLINE_CYCLING}
        sweep = {t["temperature"]: t for t in cell["sweep"]}
        assert sweep[0.0]["cycling"] == headline
        assert sweep[1.0]["cycling"] == {}  # not a probe temperature: not measured, never 0
        strategies = {s["strategy"]: s for s in cell["strategies"]}
        assert strategies["greedy"]["cycling"] == headline
        blocked = probed["no-repeat 2-gram"]
        assert strategies["no-repeat 2-gram"]["cycling"] == {key: blocked[key] for key in HEADLINE_CYCLING}
        assert blocked["chars"] == 240 and len(blocked["per_prompt"]["looped"]) == 6
        assert strategies["top-k 3"]["cycling"] == {}  # not measured, never 0
    markov = next(c for c in data["cells"] if c["row"] == "markov")
    blocked = next(s for s in markov["cycle_strategies"] if s["strategy"] == "no-repeat 2-gram")
    assert blocked["looped_share"] < markov["cycles"][0]["looped_share"] == 1.0  # blocking breaks the cycle
    verdicts = data["corpora"][0]["strategy_verdicts"]
    assert verdicts["markov"]["measure"] == "cycling.looped_share" and verdicts["markov"]["greedy_rate"] == 1.0


def test_differences_of_cycling_shares_stay_within_what_rates_allow(run_dir):
    tables = results(run_dir)["corpora"][0]["comparisons"]["cycles"]
    assert [t["temperature"] for t in tables] == [0.0, 0.5]
    for entry in tables:
        for metric in ("looped_share", "degenerate_share"):
            for pair in entry[metric]["pairs"]:
                assert -1.0 <= pair["low"] <= pair["difference"] <= pair["high"] <= 1.0


def test_the_long_texts_are_stored_beside_the_stages(run_dir):
    samples = json.loads(gzip.decompress((run_dir / "samples.json.gz").read_bytes()))
    data = results(run_dir)
    for stored, cell in zip(samples["cells"], data["cells"], strict=True):
        assert [t["temperature"] for t in stored["cycles"]] == [0.0, 0.5]
        texts = stored["cycles"][0]["test"]
        assert len(texts) == 6 and all(len(t) == 240 for t in texts)
        onsets = cell["cycles"][0]["per_prompt"]["onset"]
        periods = cell["cycles"][0]["per_prompt"]["period"]
        for text, onset, period in zip(texts, onsets, periods, strict=True):
            if onset is not None:  # what results.json says repeats does repeat
                assert text[onset : onset + period] == text[onset + period : onset + 2 * period]


def test_a_lost_cycles_piece_is_redone_alone_with_the_same_numbers(run_dir, tmp_path):
    before = strip_timing(results(run_dir))
    store = RunStore(run_dir)
    cell = load_plan(run_dir).cells[0].id
    fit_mtime = store.piece_path(cell, "sweep").stat().st_mtime_ns
    store.discard(cell, "cycles")
    config = small_config(
        json.loads((run_dir / "plan.json").read_text())["corpora"][0]["name"].removeprefix("file:"),
        data=TWO_ROWS,
    )
    run_config(config, run_dir)
    assert store.piece_path(cell, "sweep").stat().st_mtime_ns == fit_mtime  # not redone
    assert strip_timing(results(run_dir)) == before


def test_the_report_leads_with_the_long_horizon_greedy_cycling(run_dir):
    report = (run_dir / "report.md").read_text(encoding="utf-8")
    data = results(run_dir)
    share = data["corpora"][0]["rows"]["markov"]["cycles"][0]["looped_share"]["mean"]
    assert "**Greedy decoding cycles most in markov** (1.000 of continuations by 240 characters" in report
    header = next(line for line in report.splitlines() if line.startswith("| generator") and "rank" in line)
    assert "cycling, T=0 (greedy), 240 chars" in header and "attractors (largest's share)" in header
    assert "loop rate" not in header  # the sweep's 300-character rule is in the detailed tables
    assert f"{share:.3f}" == "1.000"
    assert "## Cycling at 240 characters" in report
    assert "**Cycling share, T=0 (greedy), 240 characters**" in report
    assert "**Degenerate share, T=0 (greedy), 240 characters**" in report
    assert "loop rate, 60 chars" in report and "**loop rate (60 characters), T=0 (greedy)**" in report
    assert "6 of 6 (6 cycles)" in report  # the text rule agrees with markov's exact cycles
    assert (run_dir / "plots" / "cycling.png").is_file()
    frame = pd.read_csv(run_dir / "results.csv")
    rows = frame[(frame.metric == "cycles_looped_share") & (frame.generator == "markov")]
    assert rows.temperature.tolist() == [0.0, 0.5] and rows.value.iloc[0] == 1.0
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "Cycling at 240 characters" in html


class BadCycles(MarkovGenerator):
    def greedy_cycles(self, prompts, *, max_chars):
        return [(0, 0)] * len(prompts)


def test_greedy_cycles_through_the_contract():
    generator = MarkovGenerator.from_options({"state_size": 1})
    from generators.base import Corpus

    generator.fit(Corpus("c", "a b c a b d " * 20, "", "", "0" * 64))
    assert contract.greedy_cycles(generator, ["a"], max_chars=50) == generator.greedy_cycles(
        ["a"], max_chars=50
    )
    bad = BadCycles.from_options({"state_size": 1})
    bad.fit(Corpus("c", "a b c a b d " * 20, "", "", "0" * 64))
    with pytest.raises(ContractViolation, match=r"greedy_cycles\(\).*entry 0 is \(0, 0\)"):
        contract.greedy_cycles(bad, ["a"], max_chars=50)
