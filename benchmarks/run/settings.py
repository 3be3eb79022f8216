"""Run settings: a TOML profile (``benchmarks/configs/*.toml``), ``--set`` overrides and flags.

Settings are validated once, here, where they are read: unknown keys, wrong types and
out-of-range values are ConfigErrors ("did you mean …") that name the file or the ``--set`` they
came from. A config file is data; it cannot run code. What the rest of the tool receives is a
typed :class:`RunConfig` (and, from :mod:`benchmarks.run.plan`, the plan built from it).
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generators.base import Sampling
from generators.errors import ConfigError
from generators.options import build_config, did_you_mean, init_options, merged

CONFIG_DIR = Path(__file__).parents[1] / "configs"
DEMO_PROMPTS = ("Today ", "On Sunday ", "Moscow, ", "President ", "Little red riding hood ")
ROW_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # generator and variant names: a folder name too
STRATEGY_NAME = re.compile(r"[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]{0,38}[^\s\x00-\x1f\x7f])?")  # "top-k 40"


@dataclass
class RunSection:
    name: str = "run"  # profile name, part of the run folder's name
    corpus: str = "shakespeare"  # the one-corpus form of `corpora`
    corpora: tuple[str, ...] = ()  # several corpora, one report section each; replaces `corpus` when given
    generators: tuple[str, ...] = ("markov", "char-lstm", "word-lstm", "gpt2")  # generators or variants
    seeds: tuple[int, ...] = (0,)  # training seeds: every generator is trained and evaluated once per seed
    budgets: tuple[float, ...] = ()  # multiples of each neural row's budget, a row each; () = budgets as set
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    out: str = "reports/runs"  # where run folders are created
    # how cells run on Ray (--engine ray); not part of what is measured, so not of the run's digest
    cpus_per_cell: int = 1  # CPUs each cell (and judge) asks Ray for; its torch threads
    max_retries: int = 2  # times Ray reruns a cell whose node or worker died, before it is failed
    return_models: bool = False  # copy each trained model back into this machine's model cache
    progress_every: float = 60.0  # seconds between progress lines when stderr is no terminal; 0 = none

    def __post_init__(self) -> None:
        if not self.generators:
            raise ValueError("run.generators is empty: name at least one generator")
        if len(set(self.generators)) < len(self.generators):
            raise ValueError(f"run.generators names a generator twice: {', '.join(self.generators)}")
        if not self.seeds or any(seed < 0 for seed in self.seeds) or len(set(self.seeds)) < len(self.seeds):
            raise ValueError(f"run.seeds must be distinct integers >= 0, got {list(self.seeds)}")
        if any(not 0 < b < math.inf for b in self.budgets) or len(set(self.budgets)) < len(self.budgets):
            raise ValueError(f"run.budgets must be distinct numbers > 0, got {list(self.budgets)}")
        if len(set(self.corpora)) < len(self.corpora):
            raise ValueError(f"run.corpora names a corpus twice: {', '.join(self.corpora)}")
        self.corpora = self.corpora or (self.corpus,)  # one list of corpora from here on
        self.corpus = self.corpora[0]
        if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", self.device):
            raise ValueError(f"run.device must be auto, cpu, cuda or cuda:N, got {self.device!r}")
        if self.cpus_per_cell < 1 or self.max_retries < 0:
            raise ValueError("run: cpus_per_cell >= 1, max_retries >= 0")
        if not 0 <= self.progress_every < math.inf:
            raise ValueError(f"run.progress_every must be a number of seconds >= 0 (0 = off), got {self.progress_every}")

    @property
    def corpus_names(self) -> tuple[str, ...]:
        """The corpora of the run, in report order."""
        return self.corpora


# [run] keys left out of the digest: how cells are run and watched, not what is measured
ENGINE_SETTINGS = ("cpus_per_cell", "max_retries", "return_models", "progress_every")


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
    prompt_seed: int = 0  # chooses the prompts: the same for every training seed, so seeds are paired
    demo_prompts: tuple[str, ...] = DEMO_PROMPTS  # the char-RNN tutorials' prompts, shown in the report
    samples_per_prompt: int = 1  # S samples per test prompt and temperature (pooled metrics use the first)
    max_chars: int = 300  # L, characters per continuation
    cycle_chars: int = 2000  # the cycling probe's continuations: a 228-character cycle repeats 8 times
    cycle_temperatures: tuple[float, ...] = (0.0, 0.3, 0.5)  # the probe's: greedy and low, where cycles form
    top_k: int = 0  # 0 = off
    top_p: float = 1.0  # 1 = off
    # named decoding settings (Sampling fields) sampled beside the ladder, e.g. {"top-k 40": {top_k = 40}}
    strategies: dict[str, dict[str, Any]] = field(default_factory=dict)  # none: the ladder alone
    judge: str = "auto"  # auto = every neural row judges the others' samples; or one row judges all others

    def __post_init__(self) -> None:
        if not self.temperatures or any(t < 0 or not math.isfinite(t) for t in self.temperatures):
            raise ValueError("sweep.temperatures must be a non-empty list of finite numbers >= 0")
        if len(set(self.temperatures)) < len(self.temperatures):
            raise ValueError(f"sweep.temperatures names a temperature twice: {list(self.temperatures)}")
        if self.test_prompts < 2 or self.samples_per_prompt < 1 or self.max_chars < 1:
            raise ValueError("sweep: test_prompts >= 2, samples_per_prompt >= 1, max_chars >= 1")
        if self.top_k < 0 or not 0 < self.top_p <= 1 or self.prompt_seed < 0:
            raise ValueError("sweep: top_k >= 0 (0 = off), top_p in (0, 1] (1 = off), prompt_seed >= 0")
        _ = self.named_strategies  # every strategy checked here, where it is read
        cycles = self.cycle_temperatures
        if not cycles or any(t < 0 or not math.isfinite(t) for t in cycles) or len(set(cycles)) < len(cycles):
            raise ValueError("sweep.cycle_temperatures must be distinct finite numbers >= 0, at least one")
        if self.cycle_chars < self.max_chars:
            raise ValueError(
                f"sweep.cycle_chars ({self.cycle_chars}) must be at least sweep.max_chars ({self.max_chars}): "
                "the cycling probe looks further than the sweep"
            )

    def sampling(self, temperature: float) -> Sampling:
        """The Sampling of one temperature, with the section's top-k and top-p."""
        return Sampling(temperature=temperature, top_k=self.top_k, top_p=self.top_p)

    @property
    def samplings(self) -> tuple[Sampling, ...]:
        """One Sampling per temperature, in order (checked when the section was built)."""
        return tuple(self.sampling(t) for t in self.temperatures)

    @property
    def named_strategies(self) -> dict[str, Sampling]:
        """Each strategy's Sampling, in config order; a ConfigError names a wrong one."""
        if not isinstance(self.strategies, dict):
            raise ConfigError('sweep.strategies must be a table: "NAME" = { temperature = 0.7, top_k = 40 }')
        named: dict[str, Sampling] = {}
        for name, table in self.strategies.items():
            if not STRATEGY_NAME.fullmatch(name):
                raise ConfigError(f"sweep.strategies: {name!r} cannot name a strategy: 1-40 printable characters")
            if not isinstance(table, dict):
                raise ConfigError(f'sweep.strategies."{name}" must be a table of Sampling settings, got {table!r}')
            where = f'sweep.strategies."{name}"'
            try:
                sampling = build_config(Sampling, table, owner=where)
            except ConfigError as error:
                raise ConfigError(str(error) if where in str(error) else f"{where}: {error}") from error
            twin = next((other for other, s in named.items() if s == sampling), None)
            if twin is not None:
                raise ConfigError(f'sweep.strategies: "{twin}" and "{name}" are the same decoding settings')
            named[name] = sampling
        return named


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
    budget_axis: dict[str, Any] = field(default_factory=dict)  # {option = [values]}: a row each, with budgets

    def __post_init__(self) -> None:
        if self.budget_axis:
            check_budget_axis(self.budget_axis)
        if self.budget_seconds is not None and not 0 < self.budget_seconds < math.inf:
            raise ValueError("budget_seconds must be a finite number > 0 (leave it out for no limit)")
        if self.budget_steps is not None and self.budget_steps < 1:
            raise ValueError("budget_steps must be >= 1 (leave it out for no limit)")


def check_budget_axis(axis: Any) -> None:
    """One option name and a list of its distinct values."""
    if not isinstance(axis, dict) or len(axis) != 1:
        raise ValueError(
            f"budget_axis must name one option and its values, e.g. {{state_size = [1, 2]}}, got {axis!r}"
        )
    ((key, values),) = axis.items()
    if not isinstance(values, list) or not values or len({repr(v) for v in values}) < len(values):
        raise ValueError(f"budget_axis.{key} must be a list of distinct values, got {values!r}")


@dataclass
class VariantSection(GeneratorSection):
    """A named variant: a generator with some settings changed, a row of its own in every table.

    It starts from ``[generators.<generator>]`` (options and budgets) and lays its own over them.
    """

    generator: str = ""  # the generator it varies, e.g. "char-lstm"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.generator:
            raise ValueError("generator is missing: name the generator this variant varies")


@dataclass(frozen=True)
class Row:
    """One row of every table: a generator, or a variant of one, with its resolved section."""

    name: str  # the row's name: the generator's or the variant's
    generator: str  # the registry name of the generator that runs
    section: GeneratorSection  # budgets and options, the variant's laid over the generator's


@dataclass
class RunConfig:
    run: RunSection = field(default_factory=RunSection)
    likelihood: LikelihoodSection = field(default_factory=LikelihoodSection)
    sweep: SweepSection = field(default_factory=SweepSection)
    throughput: ThroughputSection = field(default_factory=ThroughputSection)
    generators: dict[str, GeneratorSection] = field(default_factory=dict)
    variants: dict[str, VariantSection] = field(default_factory=dict)

    def section_for(self, generator: str) -> GeneratorSection:
        return self.generators.get(generator, GeneratorSection())

    def row(self, name: str) -> Row:
        """The row ``name`` of ``run.generators``: a variant when one has that name, else a generator."""
        variant = self.variants.get(name)
        if variant is None:
            return Row(name, name, self.section_for(name))
        base = self.section_for(variant.generator)
        section = GeneratorSection(
            budget_seconds=variant.budget_seconds
            if variant.budget_seconds is not None
            else base.budget_seconds,
            budget_steps=variant.budget_steps if variant.budget_steps is not None else base.budget_steps,
            options=merged(base.options, variant.options),
            budget_axis=variant.budget_axis or base.budget_axis,
        )
        return Row(name, variant.generator, section)

    @property
    def rows(self) -> list[Row]:
        return [self.row(name) for name in self.run.generators]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


SECTIONS = {
    "run": RunSection,
    "likelihood": LikelihoodSection,
    "sweep": SweepSection,
    "throughput": ThroughputSection,
}
TABLES_OF_TABLES = {"generators": GeneratorSection, "variants": VariantSection}


def parse_config(data: dict[str, Any]) -> RunConfig:
    """A RunConfig from a TOML-shaped dict (as ``tomllib`` reads a profile)."""
    known = [*SECTIONS, *TABLES_OF_TABLES]
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"unknown config section [{key}]{did_you_mean(key, known)}")
        if isinstance(value, list):
            raise ConfigError(f"[{key}] must be a table, not an array of tables ([[{key}]])")
        if not isinstance(value, dict):
            raise ConfigError(f"[{key}] must be a table")
    sections = {name: build_config(cls, data.get(name, {}), owner=name) for name, cls in SECTIONS.items()}
    named = {
        kind: parse_named_sections(data.get(kind, {}), kind, cls) for kind, cls in TABLES_OF_TABLES.items()
    }
    return RunConfig(**sections, **named)


def parse_named_sections(tables: dict[str, Any], kind: str, cls: type) -> dict[str, Any]:
    """``[generators.NAME]`` or ``[variants.NAME]`` tables: budgets and the free-form options table."""
    parsed = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"[{kind}.{name}] must be a table")
        options = table.get("options", {})
        if not isinstance(options, dict):
            raise ConfigError(f"{kind}.{name}.options must be a table")
        section = build_config(
            cls, {k: v for k, v in table.items() if k != "options"}, owner=f"{kind}.{name}"
        )
        section.options = dict(options)
        parsed[name] = section
    return parsed


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


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error


def load_config(path_or_name: str, overrides: list[str] | None = None) -> tuple[RunConfig, Path]:
    """The profile or file, checked on its own (errors name the file), then with each ``--set``
    laid over it (errors name the ``--set``)."""
    path = resolve_config_path(path_or_name)
    data = read_toml(path)
    try:
        config = parse_config(data)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from error
    for assignment in overrides or []:
        apply_override(data, assignment)
        try:
            config = parse_config(data)
        except ConfigError as error:
            raise ConfigError(f"--set {assignment}: {error}") from error
    return config, path


def with_run_settings(config: RunConfig, **settings: Any) -> RunConfig:
    """``config`` with fields of [run] set directly (from command-line flags), checked as the file's are."""
    given = {key: value for key, value in settings.items() if value is not None}
    if not given:
        return config
    run = build_config(RunSection, {**init_options(config.run), **given}, owner="run")
    return dataclasses.replace(config, run=run)


def check_row_names(config: RunConfig) -> None:
    """Row names become folder names and table rows: letters, digits, '.', '_' and '-'; a variant
    must not take a generator's name."""
    for name in [*config.run.generators, *config.variants]:
        if not ROW_NAME.fullmatch(name):
            raise ConfigError(
                f"{name!r} cannot name a generator or variant: use letters, digits, '.', '_', '-'"
            )
    for name, variant in config.variants.items():
        if variant.generator in config.variants:
            raise ConfigError(f"variants.{name}: a variant varies a generator, not another variant")
