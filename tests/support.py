"""Helpers shared by the tests: small synthetic corpora and throw-away plugin distributions."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import numpy as np

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

WORDS = [
    "the",
    "king",
    "and",
    "queen",
    "of",
    "a",
    "small",
    "country",
    "went",
    "to",
    "the",
    "sea",
    "where",
    "the",
    "wind",
    "was",
    "cold",
    "and",
    "the",
    "night",
    "was",
    "long",
    "so",
    "they",
    "spoke",
    "of",
    "old",
    "friends",
    "who",
    "had",
    "gone",
    "away",
    "to",
    "war",
    "and",
    "never",
    "came",
    "back",
    "but",
    "the",
    "children",
    "played",
    "by",
    "the",
    "fire",
    "while",
    "their",
    "mother",
    "sang",
    "a",
    "song",
    "about",
    "the",
    "moon",
]


def make_text(n_chars: int, seed: int = 0) -> str:
    """Pseudo-English lines of seeded random words, at least ``n_chars`` long."""
    rng = np.random.default_rng(seed)
    lines, total = [], 0
    while total < n_chars:
        words = rng.choice(WORDS, size=int(rng.integers(4, 12))).tolist()
        line = " ".join(words).capitalize() + rng.choice([".", ",", "!", "?", ";"])
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines) + "\n"


def install_plugin(
    root: Path,
    dist: str,
    module: str,
    source: str,
    entry_points: dict[str, str],
    *,
    group: str = "textgen_bench.generators",
    version: str = "0.1",
) -> Path:
    """Write ``module.py`` and a ``<dist>-<version>.dist-info`` with entry points in ``group`` under ``root``.

    Putting ``root`` on sys.path (or PYTHONPATH, for subprocesses) makes importlib.metadata see the
    distribution as installed, without pip.
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(exist_ok=True)
    metadata = f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n"
    (info / "METADATA").write_text(metadata, encoding="utf-8")
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[{group}]\n{lines}\n", encoding="utf-8")
    return root


def record_generate_seeds(monkeypatch, generator_class: type) -> list[int]:
    """Patch ``generator_class.generate`` to append each call's seed to the returned list."""
    seeds: list[int] = []
    generate = generator_class.generate

    def recording(self, prompts, *, max_chars, sampling=None, seed=0):
        seeds.append(seed)
        return generate(self, prompts, max_chars=max_chars, sampling=sampling, seed=seed)

    monkeypatch.setattr(generator_class, "generate", recording)
    return seeds


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

SMALL_RUN_TOML = """
[run]
name = "small"
generators = ["markov"]
seeds = [1]
device = "cpu"
[likelihood]
ci_chunk_chars = 500
bootstrap_resamples = 20
[sweep]
temperatures = [0.0, 0.5, 1.0, 1.5]
test_prompts = 3
prompt_chars = 30
samples_per_prompt = 1
max_chars = 40
cycle_chars = 160
cycle_temperatures = [0.0]
demo_prompts = ["Today "]
[throughput]
repeats = 1
generate_chars = 4
batch = 2
score_chars = 500
[generators.markov.options]
state_size = 1
"""


def write_corpus(path: Path, chars: int = 30_000, seed: int = 1) -> Path:
    path.write_text(make_text(chars, seed=seed), encoding="utf-8")
    return path


def changed(base: dict, changes: dict) -> dict:
    """``base`` with ``changes`` merged in, table by table (neither is modified)."""
    merged = dict(base)
    for key, value in changes.items():
        merged[key] = (
            changed(base[key], value)
            if isinstance(value, dict) and isinstance(base.get(key), dict)
            else value
        )
    return merged


def small_config(corpus: Path | list[Path], *, data: dict | None = None, **run):
    """SMALL_RUN (or ``data``) on the file corpus (or corpora) given, with [run] fields changed."""
    import json

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


SLOW_SAMPLER = '''
import os, time
{imports}
from generators.markov.generator import MarkovGenerator

class SlowSampler(MarkovGenerator):
    """Markov, but each generate call takes 1 s; the first of a process appends {what} to a file."""
    started = False

    def _generate(self, prompts, *, max_chars, sampling, seed):
        if not SlowSampler.started:
            SlowSampler.started = True
            with open(os.environ["SLOW_MARKER"], "a") as marker:
                marker.write({mark} + "\\n")
        time.sleep(1)
        return super()._generate(prompts, max_chars=max_chars, sampling=sampling, seed=seed)
'''


def slow_sampler_source(mark: str, what: str, imports: str = "") -> str:
    """A plugin module whose ``SlowSampler`` (markov) takes 1 s per generate call; the first call of
    each process appends ``mark`` (a Python expression: ``what``) to the file ``$SLOW_MARKER``."""
    return SLOW_SAMPLER.format(mark=mark, what=what, imports=imports)


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
