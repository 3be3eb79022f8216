"""The plan of a run: every cell (row × corpus × training seed), resolved once in the parent process.

``check_config`` checks everything a user can get wrong in a fraction of a second, before torch or
transformers are imported: row, generator and corpus names, every generator option, the judge.
``build_plan`` then resolves the device, reads the corpora and draws the prompts, and returns a
:class:`RunPlan`: it is written to the run folder as ``plan.json`` and read back by
:func:`load_plan` — the one loader the workers, the judge and the results assembly use. Nothing
downstream parses settings again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.corpora import check_corpus_name
from benchmarks.files import read_json
from benchmarks.run.budgets import PlannedRow, axis_rows
from benchmarks.run.layout import MEASUREMENT_REVISION, PLAN_FILE, cell_id, corpus_key
from benchmarks.run.prompts import Prompt, choose_test_prompts, demo_prompts
from benchmarks.run.settings import ENGINE_SETTINGS, Row, RunConfig, check_row_names, parse_config
from generators.base import Budget, Corpus
from generators.errors import ConfigError, UnknownGeneratorError
from generators.options import build_config, did_you_mean, init_options
from generators.registry import available_generators, get_config_class


@dataclass(frozen=True)
class CellPlan:
    """One cell: a row's generator trained with one seed on one corpus, then measured."""

    row: str  # the table row: the generator's name, or the variant's
    generator: str  # the registry name of the generator that runs
    corpus: str  # the corpus name
    seed: int  # the training seed (sampling and bootstrap seeds derive from it)
    options: dict[str, Any]  # the generator's config, every default resolved (JSON-ready)
    budget_seconds: float | None  # wall-clock training limit
    budget_steps: int | None  # optimiser-step limit
    series: str = ""  # the run.generators entry whose budget axis this row is a point of; "" = none
    multiplier: float | None = None  # the budget as a multiple of the series' own (None: not scaled)

    @property
    def id(self) -> str:
        return cell_id(self.row, self.corpus, self.seed)

    @property
    def budget(self) -> Budget:
        return Budget(seconds=self.budget_seconds, steps=self.budget_steps)


@dataclass(frozen=True)
class CorpusPlan:
    """One corpus of the run: what identifies its text, and the prompts drawn from its test split."""

    name: str
    summary: dict[str, Any]  # Corpus.summary(): name, sha256, split_rule, chars per split
    prompts: tuple[Prompt, ...]  # the test prompts, then the demo prompts

    @property
    def key(self) -> str:
        return corpus_key(self.name)

    @property
    def sha256(self) -> str:
        return self.summary["sha256"]

    @property
    def test_prompts(self) -> list[Prompt]:
        return [p for p in self.prompts if p.source == "test"]

    @property
    def demo_prompts(self) -> list[Prompt]:
        return [p for p in self.prompts if p.source == "demo"]


@dataclass(frozen=True)
class RunPlan:
    config: RunConfig  # the validated settings, flags applied
    config_file: str  # where they were read from
    digest: str  # names the run folder; a folder resumes only with the same digest
    device: str  # resolved: cpu, cuda or cuda:N
    corpora: tuple[CorpusPlan, ...]
    cells: tuple[CellPlan, ...]  # corpus-major, then row, then seed

    @property
    def rows(self) -> list[str]:
        """Every table row, in order: run.generators, each expanded along its budget axis."""
        return list(dict.fromkeys(cell.row for cell in self.cells))

    def cell(self, cell: str) -> CellPlan:
        for planned in self.cells:
            if planned.id == cell:
                return planned
        raise KeyError(f"no cell {cell!r} in this plan")

    def corpus(self, name: str) -> CorpusPlan:
        return next(c for c in self.corpora if c.name == name)

    def cells_of(self, corpus: str) -> list[CellPlan]:
        return [c for c in self.cells if c.corpus == corpus]

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(),
            "config_file": self.config_file,
            "digest": self.digest,
            "device": self.device,
            "corpora": [
                {"name": c.name, "summary": c.summary, "prompts": [p.to_dict() for p in c.prompts]}
                for c in self.corpora
            ],
            "cells": [asdict(c) for c in self.cells],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunPlan:
        corpora = tuple(
            CorpusPlan(c["name"], c["summary"], tuple(Prompt(**p) for p in c["prompts"]))
            for c in data["corpora"]
        )
        return cls(
            config=parse_config(data["config"]),
            config_file=data["config_file"],
            digest=data["digest"],
            device=data["device"],
            corpora=corpora,
            cells=tuple(CellPlan(**c) for c in data["cells"]),
        )


def load_plan(run_dir: Path) -> RunPlan:
    """The plan a run folder was started with."""
    return RunPlan.from_dict(read_json(Path(run_dir) / PLAN_FILE))


# ---------------------------------------------------------------- checking, before any heavy import


def resolved_options(row: Row) -> dict[str, Any]:
    """The row's generator config with every default filled in, as JSON; a ConfigError names the row."""
    config = build_config(get_config_class(row.generator), row.section.options, owner=row.name)
    return json.loads(json.dumps(init_options(config), default=str))


def plan_rows(config: RunConfig) -> list[PlannedRow]:
    """Every table row of the run: each of run.generators, expanded along its budget axis."""
    return [
        planned for row in config.rows for planned in axis_rows(row, config.run.budgets, resolved_options)
    ]


def check_config(config: RunConfig) -> None:
    """Fail before any work (and before torch is imported) on a wrong name or option anywhere."""
    check_row_names(config)
    known = available_generators()
    for name, variant in config.variants.items():
        if name in known:
            raise ConfigError(f"variants.{name}: the name is taken by a generator; rename the variant")
        if variant.generator not in known:
            raise UnknownGeneratorError(
                f"variants.{name}.generator: unknown generator {variant.generator!r}"
                f"{did_you_mean(variant.generator, known)}; available: {', '.join(known)}"
            )
    for name in config.run.generators:
        if name not in known and name not in config.variants:
            choices = [*known, *config.variants]
            raise UnknownGeneratorError(
                f"unknown generator {name!r}{did_you_mean(name, choices)}; available: {', '.join(choices)}"
            )
    names = dict.fromkeys([*config.run.generators, *config.generators, *config.variants])
    for name in names:  # a [generators.NAME] or [variants.NAME] table that is not run is checked too
        resolved_options(config.row(name))
    plan_rows(config)  # every point of every budget axis
    judge = config.sweep.judge
    if judge != "auto" and judge not in config.run.generators:
        raise ConfigError(
            f"sweep.judge {judge!r} is not among the run's generators ({', '.join(config.run.generators)}); or use auto"
        )
    for corpus in config.run.corpus_names:
        check_corpus_name(corpus)


def config_digest(config: RunConfig) -> str:
    """Names the run folder: the settings, every row's resolved generator config (defaults included)
    and MEASUREMENT_REVISION, so a changed default or measurement starts a new folder instead of
    resuming results of the old one. How cells are run (ENGINE_SETTINGS) is left out: a run started
    on one engine or cluster resumes on another."""
    resolved = {row.name: resolved_options(row) for row in config.rows}
    settings = config.to_dict()
    settings["run"] = {k: v for k, v in settings["run"].items() if k not in ENGINE_SETTINGS}
    data = {"run": settings, "generators": resolved, "measurements": MEASUREMENT_REVISION}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:10]


# ---------------------------------------------------------------- building


def plan_corpus(corpus: Corpus, config: RunConfig) -> CorpusPlan:
    sweep = config.sweep
    tests = choose_test_prompts(
        corpus.test, sweep.test_prompts, sweep.prompt_chars, sweep.max_chars, sweep.prompt_seed
    )
    return CorpusPlan(corpus.name, corpus.summary(), tuple(tests + demo_prompts(sweep.demo_prompts)))


def plan_cells(config: RunConfig) -> tuple[CellPlan, ...]:
    rows = plan_rows(config)
    return tuple(
        CellPlan(
            row.name,
            row.generator,
            corpus,
            seed,
            row.options,
            row.budget_seconds,
            row.budget_steps,
            row.series,
            row.multiplier,
        )
        for corpus in config.run.corpus_names
        for row in rows
        for seed in config.run.seeds
    )


def build_plan(
    config: RunConfig, corpora: dict[str, Corpus], *, device: str, config_file: str = ""
) -> RunPlan:
    """The plan of ``config`` on the loaded ``corpora`` (name -> Corpus), on the resolved ``device``."""
    return RunPlan(
        config=config,
        config_file=config_file,
        digest=config_digest(config),
        device=device,
        corpora=tuple(plan_corpus(corpora[name], config) for name in config.run.corpus_names),
        cells=plan_cells(config),
    )
