"""Run configuration: TOML profiles (`benchmarks/configs/*.toml`) plus `--set key=value` overrides.

Unknown keys, wrong types and out-of-range values are ConfigErrors ("did you mean …"); a config
file is data, it cannot run code.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generators.config import build_config, did_you_mean
from generators.errors import ConfigError

CONFIG_DIR = Path(__file__).parent / "configs"
DEMO_PROMPTS = ("Today ", "On Sunday ", "Moscow, ", "President ", "Little red riding hood ")


@dataclass
class RunSection:
    name: str = "run"  # profile name, part of the run folder's name
    corpus: str = "shakespeare"  # a name from `textgen-bench corpora`, or file:PATH / ag_news:PATH
    generators: tuple[str, ...] = ("markov", "char-lstm", "word-lstm", "gpt2")  # in run order
    seed: int = 0  # seeds training, prompt choice, sampling and bootstrap
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    out: str = "reports/runs"  # where run folders are created

    def __post_init__(self) -> None:
        if not self.generators:
            raise ValueError("run.generators is empty: name at least one generator")
        if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", self.device):
            raise ValueError(f"run.device must be auto, cpu, cuda or cuda:N, got {self.device!r}")


@dataclass
class LikelihoodSection:
    max_test_chars: int = 0  # score only the first N test characters; 0 = the whole test split
    ci_chunk_chars: int = 10_000  # chunk size for the bootstrap confidence interval
    bootstrap_resamples: int = 1000  # bootstrap resamples of the chunks

    def __post_init__(self) -> None:
        if self.max_test_chars < 0 or self.ci_chunk_chars < 1 or self.bootstrap_resamples < 10:
            raise ValueError(
                "likelihood: max_test_chars >= 0, ci_chunk_chars >= 1, bootstrap_resamples >= 10"
            )


@dataclass
class SweepSection:
    temperatures: tuple[float, ...] = (0.0, 0.3, 0.5, 0.8, 1.0, 1.3, 1.8)  # 0 = greedy
    test_prompts: int = 64  # P prompts drawn (seeded) from test-split line starts
    prompt_chars: int = 100  # length of each test prompt (cut back to a word boundary)
    demo_prompts: tuple[str, ...] = DEMO_PROMPTS  # the char-RNN tutorials' prompts, shown in the report
    samples_per_prompt: int = 1  # S samples per test prompt and temperature (pooled metrics use the first)
    max_chars: int = 300  # L, characters per continuation
    top_k: int = 0  # 0 = off
    top_p: float = 1.0  # 1 = off
    judge: str = "auto"  # generator whose bpc judges sample quality; auto = lowest test bpc (neural)

    def __post_init__(self) -> None:
        if not self.temperatures or any(t < 0 or not math.isfinite(t) for t in self.temperatures):
            raise ValueError("sweep.temperatures must be a non-empty list of finite numbers >= 0")
        if self.test_prompts < 2 or self.samples_per_prompt < 1 or self.max_chars < 1:
            raise ValueError("sweep: test_prompts >= 2, samples_per_prompt >= 1, max_chars >= 1")
        if self.top_k < 0 or not 0 < self.top_p <= 1:
            raise ValueError("sweep: top_k >= 0 (0 = off), top_p in (0, 1] (1 = off)")


@dataclass
class ThroughputSection:
    repeats: int = 3  # timed repeats; the median is reported
    generate_chars: int = 64  # characters generated per timed call
    batch: int = 64  # the large batch size
    score_chars: int = 20_000  # characters scored per timed call

    def __post_init__(self) -> None:
        if self.repeats < 1 or self.generate_chars < 1 or self.batch < 2 or self.score_chars < 1:
            raise ValueError("throughput: repeats >= 1, generate_chars >= 1, batch >= 2, score_chars >= 1")


@dataclass
class GeneratorSection:
    budget_seconds: float | None = None  # wall-clock training limit
    budget_steps: int | None = None  # optimiser-step limit
    options: dict[str, Any] = field(default_factory=dict)  # the generator's own config keys

    def __post_init__(self) -> None:
        if self.budget_seconds is not None and not 0 < self.budget_seconds < math.inf:
            raise ValueError("budget_seconds must be a finite number > 0 (leave it out for no limit)")
        if self.budget_steps is not None and self.budget_steps < 1:
            raise ValueError("budget_steps must be >= 1 (leave it out for no limit)")


@dataclass
class RunConfig:
    run: RunSection = field(default_factory=RunSection)
    likelihood: LikelihoodSection = field(default_factory=LikelihoodSection)
    sweep: SweepSection = field(default_factory=SweepSection)
    throughput: ThroughputSection = field(default_factory=ThroughputSection)
    generators: dict[str, GeneratorSection] = field(default_factory=dict)

    def section_for(self, generator: str) -> GeneratorSection:
        return self.generators.get(generator, GeneratorSection())

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


SECTIONS = {
    "run": RunSection,
    "likelihood": LikelihoodSection,
    "sweep": SweepSection,
    "throughput": ThroughputSection,
}


def parse_config(data: dict[str, Any]) -> RunConfig:
    """A RunConfig from a TOML-shaped dict."""
    known = [*SECTIONS, "generators"]
    for key in data:
        if key not in known:
            raise ConfigError(f"unknown config section [{key}]{did_you_mean(key, known)}")
    for name in known:
        if not isinstance(data.get(name, {}), dict):
            raise ConfigError(f"[{name}] must be a table")
    sections = {name: build_config(cls, data.get(name, {}), owner=name) for name, cls in SECTIONS.items()}
    generators = {}
    for name, table in data.get("generators", {}).items():
        if not isinstance(table, dict):
            raise ConfigError(f"[generators.{name}] must be a table")
        options = table.get("options", {})
        if not isinstance(options, dict):
            raise ConfigError(f"generators.{name}.options must be a table")
        budget = {k: v for k, v in table.items() if k != "options"}
        section = build_config(GeneratorSection, budget, owner=f"generators.{name}")
        section.options = dict(options)
        generators[name] = section
    return RunConfig(generators=generators, **sections)


def resolve_config_path(path_or_name: str) -> Path:
    """A TOML path, or a profile name such as "quick" looked up in benchmarks/configs/."""
    path = Path(path_or_name)
    if path.is_file():
        return path
    named = CONFIG_DIR / f"{path_or_name}.toml"
    if named.exists():
        return named
    profiles = sorted(p.stem for p in CONFIG_DIR.glob("*.toml"))
    raise ConfigError(
        f"config file not found: {path_or_name}{did_you_mean(path.stem, profiles)}; profiles: {', '.join(profiles)}"
    )


def parse_value(text: str) -> Any:
    """A --set value as TOML would read it (numbers, booleans, lists, quoted strings); else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_override(data: dict[str, Any], assignment: str) -> None:
    """Apply one ``section.key=value`` (e.g. ``generators.char-lstm.options.hidden_size=256``)."""
    key, sep, value = assignment.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set expects key=value, got {assignment!r}")
    parts = key.strip().split(".")
    table = data
    for part in parts[:-1]:
        table = table.setdefault(part, {})
        if not isinstance(table, dict):
            raise ConfigError(f"--set {key}: {part} is not a table")
    table[parts[-1]] = parse_value(value.strip())


def load_config(path_or_name: str, overrides: list[str] | None = None) -> tuple[RunConfig, Path]:
    path = resolve_config_path(path_or_name)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error
    for assignment in overrides or []:
        apply_override(data, assignment)
    return parse_config(data), path
