"""Helpers shared by the tests: small synthetic corpora and throw-away plugin distributions."""

from __future__ import annotations

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
) -> Path:
    """Write ``module.py`` and a ``<dist>-0.1.dist-info`` with entry points in ``group`` under ``root``.

    Putting ``root`` on sys.path (or PYTHONPATH, for subprocesses) makes importlib.metadata see the
    distribution as installed, without pip.
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = root / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n", encoding="utf-8")
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
