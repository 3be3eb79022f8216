"""Constants and plain helpers shared by the tests: tiny model options, the small run, its TOML
text, synthetic corpora and throw-away plugin distributions. Fixtures built on them are in
conftest.py."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from generators.registry import ENTRY_POINT_GROUP
from generators.testing.texts import make_text

PLUGINS = Path(__file__).parent / "plugins"  # the plugin packages write_plugin installs

TINY_OPTIM = {
    "lr": 1e-2,
    "warmup_steps": 2,
    "max_steps": 40,
    "eval_every": 20,
    "eval_chars": 500,
    "patience": 0,
}
TINY_RECURRENT = {
    "layers": 1,
    "hidden_size": 32,
    "embedding_dim": 16,
    "batch_size": 8,
    "bptt": 32,
    "optim": TINY_OPTIM,
}
# The unit tests' own models: tiny enough to train on VERSE in a second (their pinned texts
# depend on these values)
VERSE = "the cat sat on the mat. the dog sat on the log. a cat and a dog met on a mat!\n"
RARE = "zebra quokka axolotl 1234 narwhal ocelot "  # each once: outside a small vocabulary
UNIT_OPTIM = {"lr": 1e-2, "warmup_steps": 5, "eval_every": 20, "eval_chars": 0, "patience": 0}
TINY_CHAR_LSTM = {
    "hidden_size": 32,
    "layers": 1,
    "embedding_dim": 8,
    "batch_size": 4,
    "bptt": 16,
    "optim": UNIT_OPTIM,
}
TINY_WORD_LSTM = {**TINY_CHAR_LSTM, "bptt": 8, "vocab_size": 12}
UNTRAINED_RECURRENT = {"hidden_size": 32, "layers": 2, "embedding_dim": 8}  # decoding checks, no training
TINY_NEURAL_OPTIONS = {  # each fits the conformance kit's corpus in a few seconds on a CPU
    "char-lstm": TINY_RECURRENT,
    "word-lstm": {**TINY_RECURRENT, "vocab_size": 200},
    "gpt2": {
        "n_layer": 2,
        "n_head": 2,
        "n_embd": 32,
        "context": 32,
        "vocab_size": 300,
        "batch_size": 8,
        "optim": TINY_OPTIM,
    },
}


# ---------------------------------------------------------------- small runs

SMALL_RUN = {  # a run of seconds: markov (state 1) on a small file corpus, one seed
    "run": {"name": "tiny", "generators": ["markov"], "seeds": [3], "device": "cpu"},
    "likelihood": {"ci_chunk_chars": 500, "bootstrap_resamples": 50},
    "sweep": {
        "temperatures": [0.0, 1.0],
        "test_prompts": 4,
        "prompt_chars": 30,
        "samples_per_prompt": 2,
        "max_chars": 60,
        "cycle_chars": 240,
        "cycle_temperatures": [0.0, 0.5],
        "demo_prompts": ["Today ", "The king "],
    },
    "throughput": {"repeats": 1, "generate_chars": 8, "batch": 4, "score_chars": 1000},
    "generators": {"markov": {"options": {"state_size": 1}}},
}
BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_text(data: Mapping[str, Any]) -> str:
    """``data`` (tables of strings, numbers, booleans and lists of them) as the text of a TOML
    file, for tests that hand the CLI a config file; ``tomllib.loads`` gives ``data`` back."""
    return "\n".join(toml_lines(data, ())) + "\n"


def toml_lines(table: Mapping[str, Any], path: tuple[str, ...]) -> list[str]:
    values = [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items() if not isinstance(v, Mapping)]
    tables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
    header = path and (values or not tables)  # an empty table is written too
    lines = [f"[{'.'.join(map(toml_key, path))}]", *values] if header else values
    for key, value in tables.items():
        lines += toml_lines(value, (*path, key))
    return lines


def toml_key(key: str) -> str:
    return key if BARE_KEY.match(key) else json.dumps(key)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return json.dumps(value)  # a JSON string, int or finite float is the same in TOML
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def small_config(corpus: Path | list[Path], *, data: dict | None = None, **run):
    """SMALL_RUN (or ``data``) on the file corpus (or corpora) given, with [run] fields changed."""
    from benchmarks.run.settings import parse_config

    data = json.loads(json.dumps(data or SMALL_RUN))
    corpora = corpus if isinstance(corpus, list) else [corpus]
    data["run"].update(corpora=[f"file:{path}" for path in corpora], **run)
    return parse_config(data)


def plan_of(config):
    """The plan of ``config`` on CPU and the corpora it reads, as the CLI builds them."""
    from benchmarks.corpora import load_corpus
    from benchmarks.run.plan import build_plan

    corpora = {name: load_corpus(name) for name in config.run.corpus_names}
    return build_plan(config, corpora, device="cpu"), corpora


def run_config(config, run_dir: Path, **options) -> Path:
    """Run ``config`` into ``run_dir`` quietly (``options``: executor, fresh, retrain)."""
    from benchmarks.run.harness import run_benchmark

    plan, corpora = plan_of(config)
    return run_benchmark(plan, corpora, run_dir=run_dir, log=lambda message: None, **options)


TIMING = re.compile(r"seconds|_per_s|ms_per_|memory|created|environment|model_dir|^load$")


def strip_timing(value, drop: re.Pattern = TIMING):
    """``value`` (results.json) without the keys that vary between identical runs: timings, and
    whatever else ``drop`` matches."""
    if isinstance(value, dict):
        return {k: strip_timing(v, drop) for k, v in value.items() if not drop.search(k)}
    if isinstance(value, list):
        return [strip_timing(v, drop) for v in value]
    return value


def write_corpus(path: Path, chars: int = 30_000, seed: int = 1) -> Path:
    path.write_text(make_text(chars, seed=seed), encoding="utf-8")
    return path


def write_plugin(
    root: Path,
    package: str,
    entry_points: dict[str, str],
    *,
    dist: str | None = None,
    group: str = ENTRY_POINT_GROUP,
    version: str = "0.1",
) -> Path:
    """Copy the modules of ``tests/plugins/<package>/`` into ``root`` beside a
    ``<dist>-<version>.dist-info`` whose entry points (name -> "module:attr") are in ``group``.

    Putting ``root`` on sys.path (or PYTHONPATH, for subprocesses) makes importlib.metadata see the
    distribution ``dist`` (``package`` by default) as installed, without pip.
    """
    dist = dist or package
    root.mkdir(parents=True, exist_ok=True)
    for module in (PLUGINS / package).glob("*.py"):
        shutil.copy(module, root / module.name)
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(exist_ok=True)
    metadata = f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n"
    (info / "METADATA").write_text(metadata, encoding="utf-8")
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[{group}]\n{lines}\n", encoding="utf-8")
    return root


def plugin_modules(package: str) -> list[str]:
    """The module names ``write_plugin`` installs for ``package``."""
    return [module.stem for module in (PLUGINS / package).glob("*.py")]


def start_interruptible(command: list[str], env: dict[str, str]):
    """Run ``command`` in its own process group, with Ctrl-C's default action even when this test
    run was started in the background by a shell without job control (which ignores SIGINT)."""
    import signal
    import subprocess

    return subprocess.Popen(
        command,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
