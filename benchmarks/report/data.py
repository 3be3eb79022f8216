"""Read access to one run's ``results.json`` (schema in :mod:`benchmarks.results`), tolerant of gaps.

A failed generator has only some sections and many values may be null; every accessor here
returns None for what is missing instead of raising, so the report renders whatever is there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.report.formatting import finite, one_line
from generators.errors import TextgenBenchError

SUPPORTED_SCHEMA = 1  # benchmarks.results.SCHEMA_VERSION (not imported: it pulls in the harness)
HUMAN = "human"  # the generator name of the human rows in tables and results.csv


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
    if not isinstance(data, dict) or data.get("schema") != SUPPORTED_SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else None
        raise TextgenBenchError(
            f"{file} has results schema {found!r}; this report reads schema {SUPPORTED_SCHEMA}"
        )
    return Run(data)


def nearest(values: list[float], target: float) -> float | None:
    """The value closest to ``target`` (the lower one on a tie)."""
    return min(values, key=lambda v: (abs(v - target), v)) if values else None


@dataclass(frozen=True)
class Run:
    data: dict[str, Any]

    def section(self, *keys: str) -> dict[str, Any]:
        """A nested dict of the results, {} where any level is missing or null."""
        node: Any = self.data
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        return node if isinstance(node, dict) else {}

    @property
    def config(self) -> dict[str, Any]:
        return self.section("config")

    @property
    def names(self) -> list[str]:
        """Generator names in run order."""
        return list(self.section("generators"))

    def entry(self, name: str) -> dict[str, Any]:
        return self.section("generators", name)

    def value(self, name: str, section: str, key: str) -> float | None:
        """A finite number from one section of a generator's entry, else None."""
        return finite(self.section("generators", name, section).get(key))

    @property
    def temperatures(self) -> list[float]:
        """The sweep's temperatures in config order, then any a cell holds that the config does not."""
        found = list(self.section("config", "sweep").get("temperatures") or [])
        for name in self.names:
            found += [cell.get("temperature") for cell in self.cells(name)]
        return list(dict.fromkeys(t for t in map(finite, found) if t is not None))

    def cells(self, name: str) -> list[dict[str, Any]]:
        sweep = self.entry(name).get("sweep")
        return [cell for cell in sweep if isinstance(cell, dict)] if isinstance(sweep, list) else []

    def cell(self, name: str, temperature: float) -> dict[str, Any]:
        for cell in self.cells(name):
            if finite(cell.get("temperature")) == temperature:
                return cell
        return {}

    def sweep_value(self, name: str, temperature: float | None, key: str) -> float | None:
        return None if temperature is None else finite(self.cell(name, temperature).get(key))

    @property
    def human(self) -> dict[str, Any]:
        """The human cell's metrics plus its judged quality_bpc."""
        cells = self.section("human").get("cells") or [{}]
        return {**cells[0], "quality_bpc": self.section("human").get("quality_bpc")}

    def human_value(self, key: str) -> float | None:
        return finite(self.human.get(key))

    def demo_samples(self, name: str, temperature: float) -> list[str] | None:
        """The continuations of the demo prompts at one temperature (keys are str(temperature))."""
        for key, texts in (self.entry(name).get("demo_samples") or {}).items():
            try:
                if float(key) == temperature and isinstance(texts, list):
                    return texts
            except ValueError:
                continue
        return None

    def sample_counts(self) -> tuple[int | None, int | None]:
        """(samples, pooled_samples) of the first generator cell recording them: the texts a cell's
        per-continuation metrics and its pooled metrics used; None where no cell records one."""
        for name in self.names:
            for cell in self.cells(name):
                if isinstance(cell.get("samples"), int):
                    pooled = cell.get("pooled_samples")
                    return cell["samples"], pooled if isinstance(pooled, int) else None
        return None, None

    @property
    def demo_prompts(self) -> list[str]:
        return list(self.section("prompts").get("demo") or [])

    @property
    def test_prompt_count(self) -> int:
        return len(self.section("prompts").get("test") or [])

    @property
    def batch(self) -> int | None:
        """The throughput stage's large batch size."""
        for name in self.names:
            batch = self.section("generators", name, "throughput").get("batch")
            if isinstance(batch, int):
                return batch
        batch = self.section("config", "throughput").get("batch")
        return batch if isinstance(batch, int) else None

    def generate_batch_speed(self, name: str) -> float | None:
        throughput = self.section("generators", name, "throughput")
        return finite(throughput.get(f"generate_chars_per_s_batch{throughput.get('batch', self.batch)}"))

    @property
    def greedy_temperature(self) -> float | None:
        """T=0 when swept, else the lowest temperature."""
        return nearest(self.temperatures, 0.0)

    @property
    def sampling_temperature(self) -> float | None:
        """T=1 (pure sampling) when swept, else the nearest temperature."""
        return nearest(self.temperatures, 1.0)

    def status_line(self, name: str) -> str | None:
        """None for a finished generator, else "failed in STAGE: error" on one line."""
        entry = self.entry(name)
        status = entry.get("status") or "missing"
        if status == "ok":
            return None
        stage = entry.get("failed_stage")
        where = f" in {stage}" if stage else ""
        return f"{status}{where}: {one_line(entry.get('error'))}"
