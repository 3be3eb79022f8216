"""End-to-end runs of the harness on small corpora with markov (and its variants) and test plugins."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import stat
from hashlib import sha256
from pathlib import Path

import numpy as np
import pytest
import torch
from support import SMALL_RUN, plan_of, run_config, small_config, strip_timing, write_corpus

from benchmarks.run import layout
from benchmarks.run.executors import LocalExecutor
from benchmarks.run.harness import default_run_dir
from benchmarks.run.plan import load_plan
from benchmarks.run.stages import sampling_seed
from benchmarks.run.store import RunStore
from benchmarks.run.throughput import train_speed
from generators.base import Sampling
from generators.errors import ConfigError
from generators.markov.generator import MarkovGenerator
from generators.options import merged


@pytest.fixture
def corpus(corpus_file, model_cache, installed_plugin) -> Path:
    """The small file corpus, a private model cache, and markov variants that break the contract."""
    broken = ("BrokenScore", "broken-score"), ("NanScore", "nan-score"), ("ShortGenerate", "short-generate")
    installed_plugin("markov-variants", {name: f"markov_variants:{cls}" for cls, name in broken})
    return corpus_file


def run_small(tmp_path: Path, corpus: Path, name: str = "run", **run) -> Path:
    return run_config(small_config(corpus, **run), tmp_path / name)


def results_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "results.json").read_text())


def only_cell(results: dict, row: str = "markov") -> dict:
    (cell,) = [c for c in results["cells"] if c["row"] == row]
    return cell


def test_markov_end_to_end(tmp_path, corpus):
    run_dir = run_small(tmp_path, corpus)
    results = results_of(run_dir)
    markov = only_cell(results)
    assert markov["status"] == "ok", markov["error"]
    assert markov["id"] == f"markov/{layout.corpus_key(f'file:{corpus}')}/seed-3"
    likelihood = markov["likelihood"]
    assert math.isfinite(likelihood["bpc"]) and 0 < likelihood["bpc"] < 8
    assert likelihood["bpc_ci95"][0] <= likelihood["bpc"] <= likelihood["bpc_ci95"][1]
    assert sum(likelihood["chunks"]["chars"]) == likelihood["chars"]
    assert [cell["temperature"] for cell in markov["sweep"]] == [0.0, 1.0]
    assert [d["temperature"] for d in markov["demo_samples"]] == [0.0, 1.0]
    assert all(len(s) == 60 for s in markov["demo_samples"][1]["texts"])
    (corpus_entry,) = results["corpora"]
    assert corpus_entry["human"]["cells"][0]["seq_rep_4"] is not None
    assert corpus_entry["judge"]["judges"] == {"markov": markov["id"]} and corpus_entry["human"]["quality_bpc"] > 0
    assert all(cell["quality_bpc"] is None for cell in markov["sweep"])  # markov never judges its own
    assert corpus_entry["summary"]["sha256"] and results["environment"]["libraries"]["markovify"]
    lock, environment = Path(__file__).parents[1] / "requirements.lock", results["environment"]
    assert environment["lock"] == {"file": lock.name, "sha256": sha256(lock.read_bytes()).hexdigest()}
    assert environment["cpu"]["capability"] == torch.backends.cpu.get_cpu_capability() != ""
    assert corpus_entry["rows"]["markov"]["likelihood"]["bpc"]["mean"] == likelihood["bpc"]
    card, chars = markov["card"], corpus_entry["summary"]["chars"]
    assert card["architecture"].startswith("word Markov chain") and card["parameters"] == markov["describe"]["parameters"]
    assert card["epochs"] == 1.0 and card["train_chars"] == chars["train"] and card["end_verdict"].startswith("no trend")
    assert corpus_entry["rows"]["markov"]["card"]["epochs"]["mean"] == 1.0
    assert {"load_1min_before", "load_1min_after", "busy"} <= set(markov["throughput"]["load"])
    assert (run_dir / "report.md").exists()


def test_cells_count_only_the_texts_their_metrics_used(tmp_path, corpus):
    results = results_of(run_small(tmp_path, corpus))
    # 4 test prompts × 2 samples; the 2 demo prompts' continuations are not among them
    for cell in only_cell(results)["sweep"]:
        assert (cell["samples"], cell["pooled_samples"]) == (8, 4)
    human = results["corpora"][0]["human"]["cells"][0]
    assert (human["samples"], human["pooled_samples"]) == (4, 4)


def test_a_grid_of_variants_corpora_and_seeds_is_one_cell_each(tmp_path, corpus):
    other = write_corpus(tmp_path / "other.txt", seed=7)
    data = merged(SMALL_RUN, {"variants": {"markov-2": {"generator": "markov", "options": {"state_size": 2}}}})
    config = small_config([corpus, other], data=data, generators=["markov", "markov-2"], seeds=[0, 1])
    results = results_of(run_config(config, tmp_path / "grid"))
    keys = [layout.corpus_key(f"file:{p}") for p in (corpus, other)]
    assert [c["id"] for c in results["cells"]] == [
        f"{row}/{key}/seed-{seed}" for key in keys for row in ("markov", "markov-2") for seed in (0, 1)
    ]
    assert {c["status"] for c in results["cells"]} == {"ok"}
    variant = next(c for c in results["cells"] if c["row"] == "markov-2")
    assert variant["generator"] == "markov" and variant["describe"]["config"]["state_size"] == 2
    rows = results["corpora"][1]["rows"]
    assert rows["markov-2"]["seeds"] == [0, 1] and rows["markov-2"]["likelihood"]["bpc"]["n"] == 2
    seed_0, seed_1 = (c["likelihood"] for c in results["cells"] if c["id"].startswith(f"markov/{keys[0]}/"))
    assert seed_0["chunks"] == seed_1["chunks"]  # a word chain trains the same whatever the seed ...
    assert seed_0["bpc_ci95"] == seed_1["bpc_ci95"]  # ... so its interval is too: drawn from the data alone
    report = (tmp_path / "grid" / "report.md").read_text()
    assert "## Across corpora" in report
    for path in (corpus, other):
        assert f"## file:{path}" in report
    assert len(re.findall(r"^\| markov-2 ", report, re.M)) >= 2  # a row on every corpus
    assert (tmp_path / "grid" / "plots" / keys[1] / "bpc.png").exists()


def test_sampling_seeds_follow_the_temperature_not_its_position(tmp_path, corpus):
    before = results_of(run_small(tmp_path, corpus))
    data = merged(SMALL_RUN, {"sweep": {"temperatures": [0.5, 1.0]}})  # another temperature before T = 1
    after = results_of(run_config(small_config(corpus, data=data), tmp_path / "more"))
    at_one = [
        next(t for t in only_cell(r)["demo_samples"] if t["temperature"] == 1.0) for r in (before, after)
    ]
    assert at_one[0] == at_one[1]
    assert sampling_seed(3, Sampling(1.0)) == sampling_seed(3, Sampling(1.0)) != sampling_seed(3, Sampling(0.5))
    assert sampling_seed(3, Sampling(0.5)) != sampling_seed(4, Sampling(0.5))
    # a temperature's seed is the one it had before strategies existed: [training seed, T in millionths]
    assert sampling_seed(3, Sampling(0.5)) == int(np.random.SeedSequence([3, 500_000]).generate_state(1)[0])
    others = (Sampling(1.0), Sampling(1.0, top_k=40), Sampling(1.0, min_p=0.4), Sampling(1.0, typical_p=0.4))
    assert len({sampling_seed(3, sampling) for sampling in others}) == 4


WHOLE_RUN = (
    "peak RSS of the whole worker process, which ran: fit (training), likelihood, cycles, sweep, throughput"
)


def test_peak_memory_covers_the_whole_worker_process(tmp_path, corpus):
    run_dir = run_small(tmp_path, corpus)
    store = RunStore(run_dir)
    cell = load_plan(run_dir).cells[0].id
    assert store.load(cell, "throughput")["peak_memory_kind"] == WHOLE_RUN
    store.discard(cell, "sweep")
    store.discard(cell, "throughput")
    run_small(tmp_path, corpus)  # resumed: this worker loads the model and runs two stages
    assert store.load(cell, "throughput")["peak_memory_kind"] == (
        "peak RSS of the whole worker process, which ran: loading the trained model, sweep, throughput"
    )
    cached = RunStore(run_small(tmp_path, corpus, name="second"))
    assert cached.load(cell, "throughput")["peak_memory_kind"] == WHOLE_RUN.replace(
        "fit (training)", "fit (cached model loaded)"
    )


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


def test_a_run_under_reports_points_reports_latest_at_itself(tmp_path, corpus):
    (tmp_path / "reports").mkdir()  # the tests run in tmp_path (conftest), as a user runs in a checkout
    run_dir = run_config(small_config(corpus), Path("reports") / "runs" / "one")
    assert (tmp_path / "reports" / "latest").resolve() == run_dir.resolve()
    assert not os.path.isabs(os.readlink(tmp_path / "reports" / "latest"))  # survives moving the checkout
    run_small(tmp_path, corpus, name="elsewhere")  # --out outside reports/: latest stays
    assert (tmp_path / "reports" / "latest").resolve() == run_dir.resolve()


def test_rerun_resumes_without_redoing_finished_pieces(tmp_path, corpus):
    run_dir = run_small(tmp_path, corpus)
    store = RunStore(run_dir)
    cell = load_plan(run_dir).cells[0].id
    stamps = {stage: store.piece_path(cell, stage).stat().st_mtime_ns for stage in ("fit", "likelihood")}
    store.discard(cell, "sweep")
    store.discard(cell, "throughput")
    run_small(tmp_path, corpus)
    assert {s: store.piece_path(cell, s).stat().st_mtime_ns for s in stamps} == stamps
    assert store.has(cell, "sweep") and store.has(cell, "throughput")


def test_a_stale_failed_piece_of_a_finished_cell_is_cleared(tmp_path, corpus):
    run_dir = run_small(tmp_path, corpus)
    cell = load_plan(run_dir).cells[0].id
    RunStore(run_dir).save(cell, layout.FAILED, {"stage": "sweep", "error": "an earlier attempt"})
    results = results_of(run_small(tmp_path, corpus))
    assert only_cell(results)["status"] == "ok"
    assert not RunStore(run_dir).has(cell, layout.FAILED)


def test_a_run_folder_resumes_only_with_its_own_settings_and_corpus(tmp_path, corpus):
    run_dir = run_small(tmp_path, corpus)
    before = sorted(p.relative_to(run_dir) for p in run_dir.rglob("*"))
    changed = small_config(corpus)
    changed.sweep = dataclasses.replace(changed.sweep, max_chars=50)
    with pytest.raises(
        ConfigError, match=f"^{re.escape(str(run_dir))} was started with other settings; use --fresh"
    ):
        run_config(changed, run_dir)
    corpus.write_text(corpus.read_text() + "A changed corpus.\n")
    with pytest.raises(
        ConfigError, match=f"was started on a different version of file:{re.escape(str(corpus))}"
    ):
        run_config(small_config(corpus), run_dir)
    assert sorted(p.relative_to(run_dir) for p in run_dir.rglob("*")) == before


def test_an_older_run_folder_is_refused_and_a_start_cut_short_begins_again(tmp_path, corpus):
    old = tmp_path / "old"
    old.mkdir()
    for name, text in [("run.json", "{}"), ("prompts.json", "{}"), ("results.json", '{"schema": 1}')]:
        (old / name).write_text(text)  # what the first textgen-bench wrote: no plan.json
    for fresh, refusal in [(False, "{} is not empty and holds no plan.json"), (True, "--fresh: {} holds files")]:
        with pytest.raises(ConfigError, match="^" + re.escape(refusal.format(old))):
            run_config(small_config(corpus), old, fresh=fresh)
    assert sorted(p.name for p in old.iterdir()) == [".lock", "prompts.json", "results.json", "run.json"]
    assert (old / "results.json").read_text() == '{"schema": 1}'  # nothing of it removed or rewritten
    cut = tmp_path / "cut"  # plan.json is written last: a start stopped before it left only these
    (cut / "pieces" / "_human").mkdir(parents=True)
    (cut / "run.json").write_text("{}")
    assert only_cell(results_of(run_config(small_config(corpus), cut)))["status"] == "ok"


def test_fresh_empties_a_linked_run_folder_and_keeps_the_link(tmp_path, corpus):
    run_dir = run_small(tmp_path, corpus)
    link = tmp_path / "latest"
    link.symlink_to(run_dir, target_is_directory=True)
    stamp = (run_dir / "plan.json").stat().st_mtime_ns
    run_config(small_config(corpus), link, fresh=True)
    assert link.is_symlink() and (run_dir / "plan.json").stat().st_mtime_ns != stamp


def test_second_run_uses_the_model_cache(tmp_path, corpus):
    run_small(tmp_path, corpus, name="first")
    assert only_cell(results_of(run_small(tmp_path, corpus, name="second")))["cached"] is True


def test_retrain_ignores_the_model_cache_and_redoes_every_stage(tmp_path, corpus):
    run_dir = run_small(tmp_path, corpus)
    store = RunStore(run_dir)
    cell = load_plan(run_dir).cells[0].id
    stamps = {s: store.piece_path(cell, s).stat().st_mtime_ns for s in ("fit", "likelihood", "sweep")}
    logged: list[str] = []
    plan, corpora = plan_of(small_config(corpus))
    from benchmarks.run.harness import run_benchmark

    run_benchmark(plan, corpora, run_dir=run_dir, retrain=True, log=logged.append)
    assert store.load(cell, "fit")["cached"] is False
    assert all(store.piece_path(cell, s).stat().st_mtime_ns != t for s, t in stamps.items())
    assert not any("damaged" in line for line in logged)


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
def test_a_broken_plugin_fails_alone(tmp_path, corpus, plugin, message):
    results = results_of(run_small(tmp_path, corpus, generators=[plugin, "markov"]))
    broken = only_cell(results, plugin)
    assert broken["status"] == "failed"
    assert re.search(message, broken["error"]), broken["error"]
    assert only_cell(results)["status"] == "ok"
    report = (tmp_path / "run" / "report.md").read_text()
    assert plugin in report and not re.search(r"(?i)\|\s*nan\s*\|", report)  # no NaN in any table cell


def test_two_runs_with_the_same_seed_are_identical_apart_from_timing(tmp_path, corpus, monkeypatch):
    first = results_of(run_small(tmp_path, corpus, name="a"))
    monkeypatch.setenv("TEXTGEN_BENCH_CACHE", str(tmp_path / "another-cache"))  # train again
    second = results_of(run_config(small_config(corpus), tmp_path / "b", executor=LocalExecutor(2)))
    assert only_cell(second)["cached"] is False
    assert strip_timing(first) == strip_timing(second)


def test_run_files_are_readable_by_everyone_like_other_output(tmp_path, corpus):
    old = os.umask(0o022)
    try:
        run_dir = run_small(tmp_path, corpus)
    finally:
        os.umask(old)
    for name in ("results.json", "plan.json", "run.json", "report.md", "results.csv"):
        assert stat.S_IMODE((run_dir / name).stat().st_mode) == 0o644, name


def test_a_changed_generator_default_names_a_new_run_folder(tmp_path, corpus, monkeypatch):
    config = small_config(corpus)
    before = default_run_dir(config)
    assert default_run_dir(config) == before  # the same settings, the same folder (resumable)

    @dataclasses.dataclass
    class NewDefaults(MarkovGenerator.config_class):
        discount: float = 0.5  # the only change: a default, not an option in the run config

    monkeypatch.setattr(MarkovGenerator, "config_class", NewDefaults)
    assert default_run_dir(config) != before


def test_a_new_measurement_revision_names_a_new_run_folder(tmp_path, corpus, monkeypatch):
    config = small_config(corpus)
    before = default_run_dir(config)
    from benchmarks.run import plan

    monkeypatch.setattr(plan, "MEASUREMENT_REVISION", layout.MEASUREMENT_REVISION + 1)
    assert default_run_dir(config) != before


def test_a_plan_round_trips_through_its_file(tmp_path, corpus):
    plan, _ = plan_of(small_config(corpus, seeds=[0, 2]))
    (tmp_path / "plan.json").write_text(json.dumps(plan.to_dict()))
    assert load_plan(tmp_path) == plan
    assert [c.seed for c in plan.cells] == [0, 2] and plan.corpora[0].sha256


def test_the_samples_file_holds_every_continuation_and_the_metrics_recompute_from_it(tmp_path, corpus):
    from benchmarks.files import read_json_gz
    from benchmarks.metrics import seq_rep_n

    run_dir = run_small(tmp_path, corpus)
    samples = read_json_gz(run_dir / "samples.json.gz")
    (cell,) = samples["cells"]
    (stored,) = results_of(run_dir)["cells"]
    assert cell["id"] == stored["id"] and samples["samples_per_prompt"] == 2
    assert len(samples["corpora"][0]["prompts"]["test"]) == 4
    for temperature, swept in zip(cell["temperatures"], stored["sweep"], strict=True):
        assert temperature["temperature"] == swept["temperature"]
        assert len(temperature["test"]) == 8 and len(temperature["demo"]) == 2
        assert seq_rep_n(temperature["test"], 4) == pytest.approx(swept["seq_rep_4"], abs=1e-12)
        assert sum(map(len, temperature["test"])) / 8 == pytest.approx(swept["mean_chars"])
        # the sample browser's spans: one per text, the loop share they give is the cell's
        annotations = temperature["annotations"]
        assert len(annotations) == 8 and len(temperature["demo_annotations"]) == 2
        assert np.mean([a["looped"] for a in annotations]) == pytest.approx(swept["loop_rate"])
    humans = samples["corpora"][0]["human_annotations"]
    assert len(humans) == 4 and all("copied" in a for a in humans)
    assert (run_dir / "samples.json.gz").read_bytes() == (
        run_small(tmp_path, corpus) / "samples.json.gz"
    ).read_bytes()


def test_workers_start_with_passive_openmp_threads_unless_the_user_chose(monkeypatch):
    """Idle OpenMP threads sleep in a worker (spinning ones slow a busy machine's training steps)."""
    from benchmarks.run.executors import available_cores

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    executor = LocalExecutor(1)
    env = executor.worker_env()
    assert env["OMP_WAIT_POLICY"] == "PASSIVE" and env["OMP_NUM_THREADS"] == str(available_cores())
    assert executor.describe_device("cpu")["omp_wait_policy"] == "PASSIVE"  # recorded in run.json
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert LocalExecutor(1).worker_env()["OMP_WAIT_POLICY"] == "ACTIVE"


def test_results_of_a_run_stopped_before_its_judges_say_so(tmp_path, corpus):
    from benchmarks.run.harness import write_results
    from benchmarks.run.judge import QUALITY
    from benchmarks.run.results import NOT_JUDGED_YET

    run_dir = run_small(tmp_path, corpus)
    plan = load_plan(run_dir)
    store = RunStore(run_dir)
    judge_id = layout.pseudo_cell_id(layout.JUDGE, plan.corpora[0].name)
    store.discard(judge_id, QUALITY)
    store.discard(judge_id, layout.FAILED)  # markov alone has no judge: that is a recorded failure
    write_results(run_dir, plan)
    assert results_of(run_dir)["corpora"][0]["judge"]["error"] == NOT_JUDGED_YET
    assert "sample quality not judged (the judges have not run" in (run_dir / "report.md").read_text()


def test_the_decoding_stages_run_on_one_torch_thread_and_the_others_on_all(monkeypatch):
    """Decoding is small operations, which one thread runs fastest (worker.thread_environment)."""
    from types import SimpleNamespace

    import torch

    from benchmarks.run import worker
    from benchmarks.run.store import MemoryPieces

    seen: dict[str, int] = {}

    def recording(stage: str):
        def work(ctx) -> dict:
            seen[stage] = torch.get_num_threads()
            return {}

        return work

    monkeypatch.setattr(worker, "STAGE_FUNCTIONS", {stage: recording(stage) for stage in layout.STAGES})
    ctx = SimpleNamespace(pieces=MemoryPieces({}), train_indexes=[], stages_run=[], say=lambda text: None)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        worker.run_stages(ctx)
        after = torch.get_num_threads()
    finally:
        torch.set_num_threads(threads)
    assert seen == {stage: 1 if stage in ("cycles", "sweep") else 2 for stage in layout.STAGES} and after == 2
