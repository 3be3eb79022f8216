"""report --compare names the library versions, lock, CPU capability and CPU model two runs differ in."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from benchmarks.cli import main
from benchmarks.report.provenance import environment_differences, machine_differences

FIXTURE = Path(__file__).parent / "data" / "results_small.json"
EPYC = {
    "libraries": {"python": "3.11.7", "torch": "2.13.0+cpu", "transformers": "5.24.0", "numpy": "2.4.6"},
    "lock": {"file": "requirements.lock", "sha256": "0a1b2c3d" + "0" * 56},
    "cpu": {"model": "AMD EPYC", "capability": "AVX2"},
    "device": {"type": "cpu", "name": "AMD EPYC", "cores": 2, "torch_threads": 2},
}
XEON = {
    "libraries": {"python": "3.11.7", "torch": "2.13.0+cpu", "transformers": "5.25.0", "scipy": "1.17.1"},
    "lock": {"file": "requirements.lock", "sha256": "fdf11014" + "f" * 56},
    "cpu": {"model": "Intel(R) Xeon(R) Processor @ 2.80GHz", "capability": "AVX512"},
    "device": {"type": "cpu", "name": "Intel(R) Xeon(R) Processor @ 2.80GHz", "cores": 2, "torch_threads": 2},
}
XEON_WORDS = [
    "library versions (transformers 5.24.0 then 5.25.0)",  # scipy: recorded by one run only
    "the lock (requirements.lock 0a1b2c3d then requirements.lock fdf11014)",
    "the CPU's vector capability (AVX2 then AVX512)",
    "the CPU model (AMD EPYC then Intel(R) Xeon(R) Processor @ 2.80GHz)",
]


def test_each_difference_is_named_once_and_equal_environments_have_none():
    assert environment_differences(EPYC, XEON) == XEON_WORDS
    assert environment_differences(XEON, json.loads(json.dumps(XEON))) == []
    assert machine_differences(EPYC, XEON) == []  # the same cores and threads: the CPU model says it


def test_a_run_that_recorded_no_lock_or_cpu_says_so_and_its_cpu_device_names_the_model():
    older = {key: value for key, value in EPYC.items() if key not in ("lock", "cpu")}
    assert environment_differences(older, EPYC) == [
        "the lock (not recorded then requirements.lock 0a1b2c3d)",
        "the CPU's vector capability (not recorded then AVX2)",
    ]
    unlocked = {**EPYC, "lock": None}  # installed without a checkout: no lock file
    assert environment_differences(unlocked, EPYC) == ["the lock (no lock then requirements.lock 0a1b2c3d)"]


def test_a_gpu_device_change_is_the_machine_and_the_cpu_model_is_still_named():
    then = {**EPYC, "device": {"type": "cuda", "name": "NVIDIA H100"}}
    now = {**XEON, "device": {"type": "cuda", "name": "NVIDIA H200"}}
    assert machine_differences(then, now) == ["the machine (NVIDIA H100 (cuda) then NVIDIA H200 (cuda))"]
    assert XEON_WORDS[3] in environment_differences(then, now)


def run_with(folder: Path, environment: dict) -> Path:
    folder.mkdir()
    results = json.loads(FIXTURE.read_text(encoding="utf-8"))
    results["environment"] = {**results["environment"], **environment}
    (folder / "results.json").write_text(json.dumps(results), encoding="utf-8")
    return folder


def test_report_compare_warns_one_line_each_and_the_report_names_them_too(tmp_path, capsys):
    earlier, now = run_with(tmp_path / "epyc", EPYC), run_with(tmp_path / "xeon", XEON)
    assert main(["report", str(now), "--compare", str(earlier), "--format", "md"]) == 0
    assert capsys.readouterr().err.splitlines() == [f"warning: the runs differ in {w}" for w in XEON_WORDS]
    report = (now / "report.md").read_text(encoding="utf-8")
    assert "**Not like for like:** the runs differ in " + "; ".join(XEON_WORDS) + ", so Δ" in report
    assert "- **CPU**: Intel(R) Xeon(R) Processor @ 2.80GHz, vector capability AVX512" in report
    assert "- **lock**: requirements.lock fdf11014" in report
    shutil.copytree(now, tmp_path / "xeon-again")
    assert main(["report", str(tmp_path / "xeon-again"), "--compare", str(now), "--format", "md"]) == 0
    assert capsys.readouterr().err == ""
