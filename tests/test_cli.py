"""The command line: one-line errors with exit status 2 and nothing written; list and corpora."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from benchmarks.cli import main
from benchmarks.run.settings import SweepSection, load_config
from generators.registry import create_generator
from generators.testing.texts import make_text


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(make_text(20_000), encoding="utf-8")
    return path


def run_cli(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--generators", "markof"], r"unknown generator 'markof' \(did you mean 'markov'\?\)"),
        (
            ["--set", "sweep.temperaturs=[1.0]"],
            r"unknown option sweep.temperaturs \(did you mean 'temperatures'\?\)",
        ),
        (["--set", 'sweep.max_chars="long"'], r"sweep.max_chars must be an integer, got 'long'"),
        (["--set", "sweep.max_chars=0"], r"max_chars >= 1"),
        (
            ["--set", "sweep.temperatures=[-1.0]"],
            r"temperatures must be a non-empty list of finite numbers >= 0",
        ),
        (
            ["--set", "sweep.temperatures=[1.0, inf]"],
            r"temperatures must be a non-empty list of finite numbers",
        ),
        (["--set", "generators.markov.budget_seconds=inf"], r"budget_seconds must be a finite number > 0"),
        (
            ["--set", "generators.markov.options.state_sise=2"],
            r"unknown option markov.state_sise \(did you mean",
        ),
        (["--set", "generators.markov.options.state_size=true"], r"markov.state_size must be an integer"),
        (["--set", "swep.seed=1"], r"unknown option swep.seed|unknown config section \[swep\]"),
        (["--config", "quik"], r"config file not found: quik \(did you mean 'quick'\?\)"),
        (["--corpus", "file:/no/such/file.txt"], r"/no/such/file.txt"),
        (["--corpus", "shakespear"], r"did you mean 'shakespeare'"),
        (["--device", "gpu"], r"run.device must be auto, cpu, cuda or cuda:N, got 'gpu'"),
        (["--device", "cuda:99"], r"device 'cuda:99' asked for, but torch"),
        (["--generators", ""], r"run.generators is empty: name at least one generator$"),
        (["--generators", "markov,markov"], r"names a generator twice: markov, markov$"),
        (["--corpus", ""], r"unknown corpus ''"),
        (
            ["--set", "sweep.top_p=0"],
            r"^textgen-bench: error: --set sweep.top_p=0: sweep: top_k >= 0 \(0 = off\), top_p in",
        ),
        (["--set", "sweep.top_k=-1"], r"top_k >= 0"),
        (
            ["--set", "sweep.cycle_chars=200"],
            r"sweep.cycle_chars \(200\) must be at least sweep.max_chars \(300\): the cycling probe",
        ),
        (
            ["--set", "sweep.cycle_temperatures=[]"],
            r"cycle_temperatures must be distinct finite numbers >= 0",
        ),
        (["--set", "sweep.cycle_temperatures=[0.0, 0.0]"], r"cycle_temperatures must be distinct"),
        (["--set", "sweep.cycle_temperatures=[-0.5]"], r"cycle_temperatures must be distinct finite numbers"),
        (["--set", "sweep.judge=gpt2"], r"sweep.judge 'gpt2' is not among the run's generators \(markov\)"),
        (["--set", "generators.markov.budget_steps=0"], r"generators.markov: budget_steps must be >= 1"),
        (["--set", "generators.markov.budget_seconds=-3"], r"budget_seconds must be a finite number > 0"),
        (  # a generator configured but not run is checked too
            ["--set", "generators.char-lstm.options.hidden_size=-5"],
            r"char-lstm: layers and hidden_size must be >= 1",
        ),
        (["--engine", "ray", "--jobs", "2"], r"--jobs is for --engine local; on Ray each cell asks for"),
        (["--address", "10.0.0.5:6379"], r"--address is for --engine ray$"),
        (["--jobs", "0"], r"--jobs must be >= 1, got 0$"),
        (["--set", "run.cpus_per_cell=0"], r"run: cpus_per_cell >= 1, max_retries >= 0$"),
        (["--set", "run.return_models=1"], r"run.return_models must be true or false, got 1"),
        (["--set", "generators=3"], r"\[generators\] must be a table$"),
        (["--set", "sweep=3"], r"\[sweep\] must be a table$"),
        (  # the default sweep's 64 prompts do not fit a 20,000-character corpus's test split
            [],
            r"the test split has room for 4 prompts at line starts with 400 characters after them that "
            r"do not overlap; the sweep needs 64: lower sweep.test_prompts or sweep.max_chars$",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, corpus, args, message):
    out = tmp_path / "run"
    base = ["run", "--out", str(out), "--corpus", f"file:{corpus}", "--generators", "markov"]
    code, _, stderr = run_cli(capsys, *base, *args)
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("textgen-bench: error: "), stderr
    assert re.search(message, lines[0]), lines[0]
    assert not out.exists()


@pytest.mark.parametrize("content", [b"[run]\nseed = \xff\n", None], ids=["not-utf8", "a-folder"])
def test_a_config_that_is_not_a_toml_file_is_one_line_exit_2(tmp_path, capsys, content):
    path = tmp_path / "config.toml"
    path.write_bytes(content) if content is not None else path.mkdir()
    code, _, stderr = run_cli(capsys, "run", "--config", str(path), "--out", str(tmp_path / "run"))
    assert code == 2 and stderr.count("\n") == 1, stderr
    assert "not valid TOML" in stderr if content else "config file not found" in stderr


def test_fresh_deletes_run_folders_only_and_a_run_never_mixes_into_other_files(tmp_path, capsys, corpus):
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    base = ["run", "--corpus", f"file:{corpus}", "--generators", "markov", "--out", str(precious)]
    messages = []
    for extra in (["--fresh"], []):
        code, _, stderr = run_cli(capsys, *base, *extra)
        assert code == 2 and stderr.count("\n") == 1, stderr
        messages.append(stderr)
    assert (
        f"--fresh: {precious} holds files a run does not write; only run folders are emptied" in messages[0]
    )
    assert f"{precious} is not empty and holds no plan.json" in messages[1]
    assert sorted(p.name for p in precious.iterdir()) == ["thesis.tex"]


NO_RAY = (
    "import sys; sys.modules['ray'] = None; from benchmarks.cli import main; sys.exit(main(sys.argv[1:]))"
)


def test_engine_ray_without_ray_installed_is_one_line_exit_2(tmp_path, corpus):
    """``import ray`` fails in the subprocess, as it does where ray is not installed."""
    args = ["run", "--out", str(tmp_path / "run"), "--corpus", f"file:{corpus}", "--generators", "markov"]
    done = subprocess.run(
        [sys.executable, "-c", NO_RAY, *args, "--engine", "ray"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr == (
        "textgen-bench: error: --engine ray needs Ray, which is not installed: pip install 'textgen-bench[ray]'\n"
    )
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_one_line_exit_2(tmp_path, capsys, corpus):
    args = ["run", "--out", str(tmp_path / "run"), "--corpus", f"file:{corpus}", "--device", "cuda"]
    code, _, stderr = run_cli(capsys, *args, "--generators", "char-lstm")
    assert code == 2 and stderr.count("\n") == 1, stderr
    assert "cannot use CUDA" in stderr and "--device auto or cpu" in stderr
    assert not (tmp_path / "run").exists()


def test_list_shows_builtins_and_their_source(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    assert re.search(r"^markov\s+built-in\s+generators\.markov\.generator:MarkovGenerator$", out, re.M)


def test_report_of_a_folder_without_results_fails_cleanly(tmp_path, capsys):
    code, _, err = run_cli(capsys, "report", str(tmp_path))
    assert code == 2 and "no results.json" in err


def test_the_default_sweep_is_64_prompts_with_one_sample_each():
    sweep = SweepSection()
    assert (sweep.test_prompts, sweep.samples_per_prompt) == (64, 1)


def test_console_script_exit_status(tmp_path):
    script = Path(sys.executable).parent / "textgen-bench"
    if not script.exists():
        pytest.skip("textgen-bench is not installed as a console script in this environment")
    done = subprocess.run([str(script), "run", "--generators", "nope"], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1


@pytest.mark.parametrize("profile", ["quick", "full", "scaling"])
def test_every_shipped_profile_builds_each_generators_config(profile):
    config, _ = load_config(profile)
    built = {
        name: create_generator(name, section.options).config for name, section in config.generators.items()
    }
    assert set(built) == {"markov", "char-lstm", "word-lstm", "gpt2"}
    # as many texts per cell as the human row has: 64 prompts, one sample each
    assert (config.sweep.test_prompts, config.sweep.samples_per_prompt) == (64, 1)
    if profile == "full":  # bigger than the CPU defaults
        assert built["char-lstm"].hidden_size == 512 and built["gpt2"].n_layer == 6
    if profile == "scaling":  # the quick profile at three budgets, markov at three state sizes
        quick, _ = load_config("quick")
        assert config.generators == {**quick.generators, "markov": config.generators["markov"]}
        assert config.run.budgets == (0.25, 1.0, 4.0) and len(config.run.seeds) == 3
        assert config.generators["markov"].budget_axis == {"state_size": [1, 2, 3]}


def test_a_structural_error_in_a_config_file_names_the_file_and_the_key(tmp_path, capsys):
    path = tmp_path / "mine.toml"
    path.write_text('[[run]]\nname = "x"\n', encoding="utf-8")
    code, _, stderr = run_cli(capsys, "run", "--config", str(path), "--out", str(tmp_path / "run"))
    assert code == 2 and stderr.count("\n") == 1, stderr
    assert f"{path}: [run] must be a table, not an array of tables ([[run]])" in stderr


def test_a_bad_set_names_the_set_not_the_file(tmp_path, capsys):
    code, _, stderr = run_cli(capsys, "run", "--set", "run.seeds=[1, 1]", "--out", str(tmp_path / "run"))
    assert code == 2 and "--set run.seeds=[1, 1]: run.seeds must be distinct integers >= 0" in stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--corpus", "shakespear"],
        ["--corpus", "file:/no/such/file.txt"],
        ["--generators", "markof"],
        ["--set", "generators.char-lstm.options.hiden_size=3"],
        ["--set", "generators.gpt2.options.n_head=3"],
        ["--set", "sweep.judge=nobody"],
    ],
)
def test_bad_input_is_reported_before_torch_or_transformers_are_imported(tmp_path, args):
    assert_fails_before_torch(tmp_path, args)


def assert_fails_before_torch(folder: Path, args: list[str]) -> str:
    """Run ``textgen-bench run ARGS`` in a fresh interpreter in ``folder``: exit status 2, one error
    line (returned), and neither torch nor transformers imported."""
    argv = ["run", *args, "--out", str(folder / "run")]
    code = (
        f"import sys; from benchmarks.cli import main; status = main({argv!r}); "
        "print(status, 'torch' in sys.modules, 'transformers' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=folder)
    assert done.stdout.split() == ["2", "False", "False"], done.stderr
    assert done.stderr.startswith("textgen-bench: error: ") and done.stderr.count("\n") == 1
    assert not (folder / "run").exists()
    return done.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"corpus\.txt is empty \(nothing but whitespace\)"),
        (b" \n\t\n", r"is empty"),
        (b"text\x00with a NUL" * 200, r"is not text: a NUL byte at byte offset 4"),
        ("naïve".encode("latin-1") * 400, r"is not valid UTF-8: byte offset 2"),
        (b"a line of text\n" * 20, r"too small to split .*train \d+, valid \d+, test \d+ characters"),
    ],
)
def test_an_unusable_corpus_file_is_reported_before_torch_is_imported(tmp_path, content, message):
    (tmp_path / "corpus.txt").write_bytes(content)
    assert re.search(message, assert_fails_before_torch(tmp_path, ["--corpus", "file:corpus.txt"]))


@pytest.mark.parametrize("name", ["a\\b.txt", 'quoted "name".txt', "it's.txt"])
def test_corpus_flags_reach_the_plan_as_given(tmp_path, capsys, name, model_cache):
    path = tmp_path / name
    path.write_text(make_text(30_000), encoding="utf-8")
    out = tmp_path / "run"
    args = ["run", "--generators", "markov", "--corpus", f"file:{path}", "--out", str(out)]
    args += [
        "--set",
        "sweep.test_prompts=4",
        "--set",
        "sweep.temperatures=[0.0]",
        "--set",
        "sweep.max_chars=40",
    ]
    code, _, stderr = run_cli(capsys, *args)
    assert code == 0, stderr
    plan = json.loads((out / "plan.json").read_text())
    assert plan["config"]["run"]["corpora"] == [f"file:{path}"]
    assert plan["corpora"][0]["name"] == f"file:{path}"


def test_jobs_must_be_at_least_one(tmp_path, capsys):
    code, _, stderr = run_cli(capsys, "run", "--jobs", "0", "--out", str(tmp_path / "run"))
    assert code == 2 and "--jobs must be >= 1, got 0" in stderr


def test_one_line_flattens_whitespace_and_cuts_at_the_limit():
    from benchmarks.console import one_line

    assert one_line("cannot read\n  corpus.txt:\tno such file") == "cannot read corpus.txt: no such file"
    assert (
        one_line("abcdef", 4) == "abc…" and one_line("abcd", 4) == "abcd" and one_line("abcdef") == "abcdef"
    )
