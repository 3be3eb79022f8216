"""End-to-end runs of the harness on a small corpus with the Markov generator and test plugins."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import shutil
from pathlib import Path

import pytest
from support import install_plugin, make_text

from benchmarks import harness
from benchmarks.corpora import load_corpus
from benchmarks.harness import default_run_dir, run_benchmark
from benchmarks.prompts import Prompt
from benchmarks.settings import parse_config
from benchmarks.stages import StageContext, stage_throughput, train_speed
from benchmarks.store import RunStore
from generators.errors import ConfigError
from generators.markov import MarkovGenerator

SMALL = {
    "run": {"name": "tiny", "generators": ["markov"], "seed": 3, "device": "cpu"},
    "likelihood": {"ci_chunk_chars": 500, "bootstrap_resamples": 50},
    "sweep": {
        "temperatures": [0.0, 1.0],
        "test_prompts": 4,
        "prompt_chars": 30,
        "samples_per_prompt": 2,
        "max_chars": 60,
        "demo_prompts": ["Today ", "The king "],
    },
    "throughput": {"repeats": 1, "generate_chars": 8, "batch": 4, "score_chars": 1000},
    "generators": {"markov": {"options": {"state_size": 1}}},
}

BROKEN_PLUGIN = """
import numpy as np
from generators.markov import MarkovGenerator

class BrokenScore(MarkovGenerator):
    def score(self, text, context=""):
        raise RuntimeError("the scorer fell over")

class NanScore(MarkovGenerator):
    def score(self, text, context=""):
        return np.full(len(text), np.nan)

class ShortGenerate(MarkovGenerator):
    def generate(self, prompts, *, max_chars, sampling=None, seed=0):
        return super().generate(prompts[:-1], max_chars=max_chars, sampling=sampling, seed=seed)
"""


@pytest.fixture
def environment(tmp_path, monkeypatch):
    """A small file corpus, a private model cache, and a plugin distribution on PYTHONPATH."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(make_text(30_000, seed=1), encoding="utf-8")
    monkeypatch.setenv("TEXTGEN_BENCH_CACHE", str(tmp_path / "cache"))
    plugins = install_plugin(
        tmp_path / "plugins",
        "broken-plugins",
        "broken_plugins",
        BROKEN_PLUGIN,
        {
            "broken-score": "broken_plugins:BrokenScore",
            "nan-score": "broken_plugins:NanScore",
            "short-generate": "broken_plugins:ShortGenerate",
        },
    )
    monkeypatch.syspath_prepend(str(plugins))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(plugins), os.environ.get("PYTHONPATH", "")]))
    return corpus


def small_config(corpus: Path, **run):
    data = json.loads(json.dumps(SMALL))
    data["run"].update(corpus=f"file:{corpus}", **run)
    return parse_config(data)


def run_small(tmp_path, corpus, name="run", **run):
    return run_benchmark(small_config(corpus, **run), run_dir=tmp_path / name, log=lambda m: None)


def test_markov_end_to_end(tmp_path, environment):
    run_dir = run_small(tmp_path, environment)
    results = json.loads((run_dir / "results.json").read_text())
    markov = results["generators"]["markov"]
    assert markov["status"] == "ok", markov["error"]
    likelihood = markov["likelihood"]
    assert math.isfinite(likelihood["bpc"]) and 0 < likelihood["bpc"] < 8
    assert likelihood["bpc_ci95"][0] <= likelihood["bpc"] <= likelihood["bpc_ci95"][1]
    assert math.isfinite(likelihood["word_perplexity"])
    assert [cell["temperature"] for cell in markov["sweep"]] == [0.0, 1.0]
    assert set(markov["demo_samples"]) == {"0.0", "1.0"}
    assert all(len(s) == 60 for s in markov["demo_samples"]["1.0"])
    assert results["human"]["cells"][0]["seq_rep_4"] is not None
    assert results["judge"] == "markov" and results["human"]["quality_bpc"] > 0
    assert results["corpus"]["sha256"] and results["environment"]["libraries"]["markovify"]
    assert (run_dir / "report.md").exists()


def test_cells_count_only_the_texts_their_metrics_used(tmp_path, environment):
    results = json.loads((run_small(tmp_path, environment) / "results.json").read_text())
    # 4 test prompts × 2 samples; the 2 demo prompts' continuations are not among them
    for cell in results["generators"]["markov"]["sweep"]:
        assert (cell["samples"], cell["pooled_samples"]) == (8, 4)
    human = results["human"]["cells"][0]
    assert (human["samples"], human["pooled_samples"]) == (4, 4)


WHOLE_RUN = "peak RSS of the whole worker process, which ran: fit (training), likelihood, sweep, throughput"


def test_peak_memory_covers_the_whole_worker_process(tmp_path, environment):
    run_dir = run_small(tmp_path, environment)
    store = RunStore(run_dir)
    assert store.load("markov", "throughput")["peak_memory_kind"] == WHOLE_RUN
    store.discard("markov", "sweep")
    store.discard("markov", "throughput")
    run_small(tmp_path, environment)  # resumed: this worker loads the model and runs two stages
    assert store.load("markov", "throughput")["peak_memory_kind"] == (
        "peak RSS of the whole worker process, which ran: loading the trained model, sweep, throughput"
    )
    cached = RunStore(run_small(tmp_path, environment, name="second"))
    assert cached.load("markov", "throughput")["peak_memory_kind"] == WHOLE_RUN.replace(
        "fit (training)", "fit (cached model loaded)"
    )


def test_cuda_peak_memory_is_never_reset(tmp_path, environment, monkeypatch):
    """On CUDA the peak covers training too: the throughput stage must not reset it (faked CUDA)."""
    import torch

    run_dir = run_small(tmp_path, environment)
    config = small_config(environment)
    store = RunStore(run_dir)
    generator = MarkovGenerator.load(store.load("markov", "fit")["model_dir"])
    prompts = [Prompt(**p) for p in json.loads((run_dir / "prompts.json").read_text())["prompts"]]
    ctx = StageContext("markov", config, load_corpus(config.run.corpus), prompts, store, "cuda")
    ctx.generator, ctx.stages_run = generator, ["fit", "likelihood", "sweep", "throughput"]

    def reset() -> None:
        raise AssertionError("the peak was reset")

    synced: list[str | None] = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: synced.append(device))
    monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", lambda device=None: reset())
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda device=None: 123_456_789)
    piece = stage_throughput(ctx)
    assert piece["peak_gpu_memory_bytes"] == 123_456_789
    assert piece["peak_memory_bytes"] > 10 * 2**20  # host RSS as well
    assert piece["peak_memory_kind"] == WHOLE_RUN.replace(
        "peak RSS", "peak RSS and torch.cuda.max_memory_allocated"
    )
    assert synced and set(synced) == {"cuda"}  # the run's device, not whichever is current

    synced.clear()  # a worker that never touched the GPU (markov in a CUDA run) starts no context
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: False)
    piece = stage_throughput(ctx)
    assert "peak_gpu_memory_bytes" not in piece and piece["peak_memory_kind"] == WHOLE_RUN
    assert synced == []


@pytest.mark.parametrize(
    ("fit", "speed"),
    [
        ({"train_chars": 1000, "seconds": 10.0, "train_seconds": 4.0}, 250.0),  # validation left out
        ({"train_chars": 1000, "seconds": 10.0, "train_seconds": None}, 100.0),  # a plugin's FitReport
        ({"train_chars": 1000, "seconds": 10.0}, 100.0),  # a model cached before train_seconds existed
        ({"train_chars": 0, "seconds": 0.0, "train_seconds": 0.0}, None),  # gpt2 zero-shot
    ],
)
def test_training_speed_divides_by_training_seconds(fit, speed):
    assert train_speed(fit) == speed


def test_a_run_points_reports_latest_at_itself(tmp_path, environment):
    (tmp_path / "reports").mkdir()  # the tests run in tmp_path (conftest), as a user runs in a checkout
    run_dir = run_small(tmp_path, environment)
    assert (tmp_path / "reports" / "latest").resolve() == run_dir.resolve()
    assert not os.path.isabs(os.readlink(tmp_path / "reports" / "latest"))  # survives moving the checkout


def test_rerun_resumes_without_redoing_finished_pieces(tmp_path, environment):
    run_dir = run_small(tmp_path, environment)
    store = RunStore(run_dir)
    stamps = {stage: store.piece_path("markov", stage).stat().st_mtime_ns for stage in ("fit", "likelihood")}
    store.discard("markov", "sweep")
    store.discard("markov", "throughput")
    run_small(tmp_path, environment)
    assert {s: store.piece_path("markov", s).stat().st_mtime_ns for s in stamps} == stamps
    assert store.has("markov", "sweep") and store.has("markov", "throughput")


def test_a_run_folder_resumes_only_with_its_own_settings_and_corpus(tmp_path, environment):
    run_dir = run_small(tmp_path, environment)
    before = sorted(p.relative_to(run_dir) for p in run_dir.rglob("*"))
    changed = small_config(environment)
    changed.sweep = dataclasses.replace(changed.sweep, max_chars=50)
    with pytest.raises(
        ConfigError, match=f"^{re.escape(str(run_dir))} was started with other settings; use --fresh"
    ):
        run_benchmark(changed, run_dir=run_dir, log=lambda m: None)
    other = tmp_path / "other.txt"
    other.write_text(make_text(20_000, seed=5), encoding="utf-8")
    with pytest.raises(ConfigError, match=f"was started on file:{re.escape(str(environment))}; use --fresh"):
        run_small(tmp_path, other)
    assert sorted(p.relative_to(run_dir) for p in run_dir.rglob("*")) == before


def test_a_folder_without_a_recorded_digest_and_a_start_cut_short_both_resume(tmp_path, environment):
    run_dir = run_small(tmp_path, environment)
    run = json.loads((run_dir / "run.json").read_text())
    del run["config_digest"]  # as folders written before the digest was recorded
    (run_dir / "run.json").write_text(json.dumps(run))
    assert run_small(tmp_path, environment) == run_dir
    cut = tmp_path / "cut"  # run.json is written last: a start stopped before it left only these
    (cut / "pieces").mkdir(parents=True)
    shutil.copy(run_dir / "prompts.json", cut / "prompts.json")
    shutil.copytree(run_dir / "pieces" / "_human", cut / "pieces" / "_human")
    assert (run_small(tmp_path, environment, name="cut") / "results.json").exists()


def test_fresh_empties_a_linked_run_folder_and_keeps_the_link(tmp_path, environment):
    run_dir = run_small(tmp_path, environment)
    link = tmp_path / "latest"
    link.symlink_to(run_dir, target_is_directory=True)
    stamp = (run_dir / "run.json").stat().st_mtime_ns
    run_benchmark(small_config(environment), run_dir=link, fresh=True, log=lambda m: None)
    assert link.is_symlink() and (run_dir / "run.json").stat().st_mtime_ns != stamp


def test_second_run_uses_the_model_cache(tmp_path, environment):
    run_small(tmp_path, environment, name="first")
    second = run_small(tmp_path, environment, name="second")
    assert RunStore(second).load("markov", "fit")["cached"] is True


def test_retrain_ignores_the_model_cache_and_redoes_every_stage(tmp_path, environment):
    run_dir = run_small(tmp_path, environment)
    store = RunStore(run_dir)
    stamps = {s: store.piece_path("markov", s).stat().st_mtime_ns for s in ("fit", "likelihood", "sweep")}
    run_benchmark(small_config(environment), run_dir=run_dir, retrain=True, log=lambda m: None)
    assert store.load("markov", "fit")["cached"] is False
    assert all(store.piece_path("markov", s).stat().st_mtime_ns != t for s, t in stamps.items())


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        (
            "broken-score",
            r"'broken-score' broke the contract in score\(\): raised RuntimeError: the scorer fell over",
        ),
        ("nan-score", r"'nan-score' broke the contract in score\(\): returned nan at character 0"),
        (
            "short-generate",
            r"'short-generate' broke the contract in generate\(\): returned \d+ continuations",
        ),
    ],
)
def test_a_broken_plugin_fails_alone(tmp_path, environment, plugin, message):
    run_dir = run_small(tmp_path, environment, generators=[plugin, "markov"])
    results = json.loads((run_dir / "results.json").read_text())
    broken = results["generators"][plugin]
    assert broken["status"] == "failed"
    assert re.search(message, broken["error"]), broken["error"]
    assert results["generators"]["markov"]["status"] == "ok"
    report = (run_dir / "report.md").read_text()
    assert plugin in report and not re.search(r"(?i)\|\s*nan\s*\|", report)  # no NaN in any table cell


TIMING = re.compile(r"seconds|_per_s|ms_per_|memory|created|environment|model_dir")


def strip_timing(value, key=""):
    if isinstance(value, dict):
        return {k: strip_timing(v, k) for k, v in value.items() if not TIMING.search(k)}
    if isinstance(value, list):
        return [strip_timing(v) for v in value]
    return value


def test_two_runs_with_the_same_seed_are_identical_apart_from_timing(tmp_path, environment, monkeypatch):
    first = json.loads((run_small(tmp_path, environment, name="a") / "results.json").read_text())
    monkeypatch.setenv("TEXTGEN_BENCH_CACHE", str(tmp_path / "another-cache"))  # train again
    second = json.loads((run_small(tmp_path, environment, name="b") / "results.json").read_text())
    assert second["generators"]["markov"]["cached"] is False
    assert strip_timing(first) == strip_timing(second)


def test_a_changed_generator_default_names_a_new_run_folder(tmp_path, monkeypatch):
    config = small_config(tmp_path / "corpus.txt")
    before = default_run_dir(config)
    assert default_run_dir(config) == before  # the same settings, the same folder (resumable)

    @dataclasses.dataclass
    class NewDefaults(MarkovGenerator.config_class):
        discount: float = 0.5  # the only change: a default, not an option in the run config

    monkeypatch.setattr(MarkovGenerator, "config_class", NewDefaults)
    assert default_run_dir(config) != before


def test_a_new_measurement_revision_names_a_new_run_folder(tmp_path, monkeypatch):
    config = small_config(tmp_path / "corpus.txt")
    before = default_run_dir(config)
    monkeypatch.setattr(harness, "MEASUREMENT_REVISION", harness.MEASUREMENT_REVISION + 1)
    assert default_run_dir(config) != before
