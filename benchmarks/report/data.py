"""Read access to one run's ``results.json`` (schema in :mod:`benchmarks.run.results`), tolerant of gaps.

:class:`Run` is the whole run; :class:`CorpusRun` is one corpus of it, with one row per generator
or variant and each value the mean over that row's training seeds. A failed cell has only some
sections and many values may be null: every accessor returns None for what is missing instead of
raising, so the report renders whatever is there. Results of another schema are refused with a
one-line error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from benchmarks.report.formatting import finite, first_line
from benchmarks.run.layout import SCHEMA_VERSION, corpus_key
from generators.errors import TextgenBenchError

HUMAN_ROW = "human"  # the generator column of the human text's rows in results.csv


def results_path(path: Path) -> Path:
    """``path`` itself when it is a JSON file, else ``path/results.json``."""
    return path if path.suffix == ".json" and not path.is_dir() else path / "results.json"


def load_run(path: Path) -> Run:
    """The run in a run folder (or in a results.json file); a clear error when it is unreadable."""
    file = results_path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TextgenBenchError(f"no results.json at {file}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TextgenBenchError(f"{file} is not valid JSON: {error}") from None
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema != SCHEMA_VERSION:
        raise TextgenBenchError(
            f"{file} has results schema {schema!r}; this textgen-bench reads schema {SCHEMA_VERSION} only: "
            "run it again, or report it with the version that wrote it"
        )
    return Run(data)


def nearest(values: list[float], target: float) -> float | None:
    """The value closest to ``target`` (the lower one on a tie)."""
    return min(values, key=lambda v: (abs(v - target), v)) if values else None


def dig(node: Any, *keys: str) -> dict[str, Any]:
    """A nested dict, {} where any level is missing or not a dict."""
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


@dataclass(frozen=True)
class Run:
    data: dict[str, Any]

    def section(self, *keys: str) -> dict[str, Any]:
        return dig(self.data, *keys)

    @property
    def config(self) -> dict[str, Any]:
        return self.section("config")

    @property
    def rows(self) -> list[str]:
        return [str(r) for r in self.data.get("rows") or []]

    @property
    def seeds(self) -> list[int]:
        return [int(s) for s in self.data.get("seeds") or [0]]

    @property
    def corpus_names(self) -> list[str]:
        return [str(c.get("name")) for c in self.data.get("corpora") or [] if isinstance(c, dict)]

    @cached_property
    def views(self) -> list[CorpusRun]:
        return [
            CorpusRun(self, corpus) for corpus in self.data.get("corpora") or [] if isinstance(corpus, dict)
        ]

    def view(self, corpus: str) -> CorpusRun | None:
        return next((v for v in self.views if v.name == corpus), None)

    def cells_of(self, corpus: str) -> list[dict[str, Any]]:
        return [c for c in self.data.get("cells") or [] if isinstance(c, dict) and c.get("corpus") == corpus]


@dataclass(frozen=True)
class CorpusRun:
    """One corpus of a run: rows (generators and variants) with their cells, one per seed."""

    run: Run
    corpus: dict[str, Any]  # the corpora entry of results.json

    @property
    def name(self) -> str:
        return str(self.corpus.get("name"))

    @property
    def key(self) -> str:
        return str(self.corpus.get("key") or corpus_key(self.name))

    @property
    def data(self) -> dict[str, Any]:
        return self.run.data

    def section(self, *keys: str) -> dict[str, Any]:
        """A nested dict of the run's results (config, environment, …)."""
        return self.run.section(*keys)

    @property
    def config(self) -> dict[str, Any]:
        return self.run.config

    @cached_property
    def by_row(self) -> dict[str, list[dict[str, Any]]]:
        rows: dict[str, list[dict[str, Any]]] = {row: [] for row in self.run.rows}
        for cell in self.run.cells_of(self.name):
            rows.setdefault(str(cell.get("row")), []).append(cell)
        return {row: sorted(cells, key=lambda c: c.get("seed", 0)) for row, cells in rows.items() if cells}

    @property
    def names(self) -> list[str]:
        """Rows in table order."""
        return list(self.by_row)

    def seed_cells(self, name: str) -> list[dict[str, Any]]:
        return self.by_row.get(name, [])

    def entry(self, name: str) -> dict[str, Any]:
        """The row's first cell (its lowest seed): describe, family, tokenizer are the same for all."""
        cells = self.seed_cells(name)
        return cells[0] if cells else {}

    @property
    def chunk_lengths(self) -> list[float]:
        """The characters in each chunk of the scored test text, as a cell stored them."""
        likelihood = next(
            (dig(self.entry(n), "likelihood") for n in self.names if self.entry(n).get("likelihood")), {}
        )
        return list(dig(likelihood, "chunks").get("chars") or [])

    def summary(self, name: str, section: str, key: str) -> dict[str, Any]:
        """The row's {mean, sd, n, values} over its seeds of one number of a cell section."""
        return dig(self.corpus, "rows", name, section, key)

    def value(self, name: str, section: str, key: str) -> float | None:
        """The mean over the row's seeds of one number of a cell section, else None."""
        return finite(self.summary(name, section, key).get("mean"))

    def spread(self, name: str, section: str, key: str) -> float | None:
        """The sample standard deviation over the row's seeds (None with one seed)."""
        return finite(self.summary(name, section, key).get("sd"))

    def bpc_interval(self, name: str) -> tuple[float | None, float | None]:
        """The row's 95% bpc interval over seeds and test chunks (the chunk bootstrap with one seed)."""
        interval = self.row_section(name, "likelihood").get("bpc_interval") or [None, None]
        return finite(interval[0]), finite(interval[1])

    def row_flags(self, name: str) -> dict[str, Any]:
        """How the row's training was bounded: budget, load_dependent, cut_short_seeds."""
        return dig(self.corpus, "rows", name)

    def comparisons(
        self, metric: str = "bpc", temperature: float | None = None, section: str = "sweep"
    ) -> dict[str, Any]:
        """The comparisons table of bpc, or of a per-continuation metric at one temperature of the
        sweep (or, ``section="cycles"``, of the cycling probe); {} if none."""
        tables = dig(self.corpus, "comparisons")
        if metric == "bpc":
            return dig(tables, "bpc")
        sweep = tables.get(section) or []
        at = next(
            (t for t in sweep if isinstance(t, dict) and finite(t.get("temperature")) == temperature), {}
        )
        return dig(at, metric)

    def rank(self, name: str) -> str | None:
        """The row's tie-aware bpc rank ("1=", "3"), when it was compared."""
        for entry in self.comparisons().get("generators") or []:
            if entry.get("generator") == name:
                return str(entry.get("rank"))
        return None

    def row_section(self, name: str, section: str) -> dict[str, Any]:
        """One section of the row's summary, e.g. likelihood (each value a summary)."""
        return dig(self.corpus, "rows", name, section)

    @property
    def temperatures(self) -> list[float]:
        """The sweep's temperatures in config order, then any a cell holds that the config does not."""
        found = list(self.section("config", "sweep").get("temperatures") or [])
        for name in self.names:
            for cell in self.seed_cells(name):
                found += [t.get("temperature") for t in sweep_cells(cell)]
        return list(dict.fromkeys(t for t in map(finite, found) if t is not None))

    def has_sweep(self, name: str) -> bool:
        return any(sweep_cells(cell) for cell in self.seed_cells(name))

    def has_cell(self, name: str, temperature: float) -> bool:
        return any(temperature_cell(cell, temperature) for cell in self.seed_cells(name))

    def sweep_summary(
        self, name: str, temperature: float | None, key: str, section: str = "sweep"
    ) -> dict[str, Any]:
        """The row's summary over seeds of one number at one temperature of the sweep (or, with
        ``section="cycles"``, of the cycling probe)."""
        if temperature is None:
            return {}
        sweep = dig(self.corpus, "rows", name).get(section) or []
        at = next(
            (t for t in sweep if isinstance(t, dict) and finite(t.get("temperature")) == temperature), {}
        )
        return dig(at, key)

    def sweep_value(self, name: str, temperature: float | None, key: str) -> float | None:
        """The mean over the row's seeds of one sweep metric at one temperature."""
        return finite(self.sweep_summary(name, temperature, key).get("mean"))

    def cycle_value(self, name: str, temperature: float | None, key: str) -> float | None:
        """The mean over the row's seeds of one cycling-probe number at one temperature."""
        return finite(self.sweep_summary(name, temperature, key, "cycles").get("mean"))

    def cycle_curve(self, name: str, temperature: float | None) -> dict[str, Any]:
        """The row's cycling curve at one temperature (the seeds' mean), {} where there is none."""
        return dig(self.sweep_summary(name, temperature, "curve", "cycles"))

    @property
    def cycle_temperatures(self) -> list[float]:
        """The cycling probe's temperatures (config order, then any a cell holds besides)."""
        found = list(self.section("config", "sweep").get("cycle_temperatures") or [])
        for name in self.names:
            for cell in self.seed_cells(name):
                found += [t.get("temperature") for t in cycle_cells(cell)]
        return list(dict.fromkeys(t for t in map(finite, found) if t is not None))

    @property
    def greedy_cycle_temperature(self) -> float | None:
        """The probe's T=0 when it has it, else its lowest temperature; None without a probe."""
        return nearest(self.cycle_temperatures, 0.0)

    @property
    def cycle_chars(self) -> int | None:
        """The probe's horizon in characters."""
        chars = self.section("config", "sweep").get("cycle_chars")
        return chars if isinstance(chars, int) else None

    def human_cycles(self) -> dict[str, Any]:
        """The cycling probe's numbers of the human passages (the same at every temperature)."""
        cycles = dig(self.corpus, "human").get("cycles") or [{}]
        return cycles[0] if isinstance(cycles[0], dict) else {}

    @property
    def human(self) -> dict[str, Any]:
        """The human cell's metrics plus its judged quality_bpc and its diversity intervals."""
        human = dig(self.corpus, "human")
        cells = human.get("cells") or [{}]
        return {**cells[0], "quality_bpc": human.get("quality_bpc"), "intervals": human.get("intervals")}

    def human_value(self, key: str) -> float | None:
        return finite(self.human.get(key))

    @property
    def judges(self) -> list[str]:
        """The rows that judged the others' samples (none of its own)."""
        return list(dig(self.corpus, "judge", "judges"))

    @property
    def judge_error(self) -> str | None:
        return dig(self.corpus, "judge").get("error")

    def demo_samples(self, name: str, temperature: float) -> list[str] | None:
        """The continuations of the demo prompts at one temperature, from the row's lowest seed."""
        for entry in self.entry(name).get("demo_samples") or []:
            if isinstance(entry, dict) and finite(entry.get("temperature")) == temperature:
                texts = entry.get("texts")
                return texts if isinstance(texts, list) else None
        return None

    def sample_counts(self) -> tuple[int | None, int | None]:
        """(samples, pooled_samples) of the first cell recording them; None where none does."""
        for name in self.names:
            for cell in sweep_cells(self.entry(name)):
                if isinstance(cell.get("samples"), int):
                    pooled = cell.get("pooled_samples")
                    return cell["samples"], pooled if isinstance(pooled, int) else None
        return None, None

    @property
    def demo_prompts(self) -> list[str]:
        return list(dig(self.corpus, "prompts").get("demo") or [])

    @property
    def test_prompt_count(self) -> int:
        return len(dig(self.corpus, "prompts").get("test") or [])

    @property
    def batch(self) -> int | None:
        """The throughput stage's large batch size."""
        for name in self.names:
            batch = dig(self.entry(name), "throughput").get("batch")
            if isinstance(batch, int):
                return batch
        batch = self.section("config", "throughput").get("batch")
        return batch if isinstance(batch, int) else None

    @property
    def greedy_temperature(self) -> float | None:
        """T=0 when swept, else the lowest temperature."""
        return nearest(self.temperatures, 0.0)

    @property
    def sampling_temperature(self) -> float | None:
        """T=1 (pure sampling) when swept, else the nearest temperature."""
        return nearest(self.temperatures, 1.0)

    def status(self, name: str) -> str:
        """ok when every seed finished; else failed or incomplete."""
        return str(dig(self.corpus, "rows", name).get("status") or "missing")

    def status_line(self, name: str) -> str | None:
        """None for a finished row, else "failed in STAGE: error" (naming the seed with several)."""
        problems = []
        for cell in self.seed_cells(name):
            if cell.get("status") == "ok":
                continue
            seed = f"seed {cell.get('seed')} " if len(self.run.seeds) > 1 else ""
            stage = f" in {cell['failed_stage']}" if cell.get("failed_stage") else ""
            problems.append(f"{seed}{cell.get('status') or 'missing'}{stage}: {first_line(cell.get('error'))}")
        return "; ".join(problems) or None


def sweep_cells(cell: dict[str, Any]) -> list[dict[str, Any]]:
    sweep = cell.get("sweep")
    return [t for t in sweep if isinstance(t, dict)] if isinstance(sweep, list) else []


def cycle_cells(cell: dict[str, Any]) -> list[dict[str, Any]]:
    cycles = cell.get("cycles")
    return [t for t in cycles if isinstance(t, dict)] if isinstance(cycles, list) else []


def temperature_cell(cell: dict[str, Any], temperature: float) -> dict[str, Any]:
    return next((t for t in sweep_cells(cell) if finite(t.get("temperature")) == temperature), {})
