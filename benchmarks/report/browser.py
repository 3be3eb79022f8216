"""The sample browser's data: every continuation of a run, with what the metrics found in it.

Read from ``samples.json.gz`` (:func:`benchmarks.run.results.collect_samples`), never recomputed.
Beside each list of texts the samples file may hold their annotations, one per text, as
:func:`benchmarks.metrics.spans.text_annotation` gives them (``loop``, ``looped``, ``copied``,
``seq_rep_4``, ``copy_rate_8``, ``valid_word_rate``), under these keys::

    corpora[i]["human_annotations"]           parallel to corpora[i]["prompts"]["test"] (their human texts)
    cells[j]["temperatures"][k]["annotations"]       parallel to ["test"]
    cells[j]["temperatures"][k]["demo_annotations"]  parallel to ["demo"]

Texts without annotations are shown plainly ("not stored"). Without a samples file (a run written
before it existed) the browser falls back to the demo prompts' continuations in results.json.

The page gets, per corpus: ``rows`` [{name, color}], ``seeds``, ``temperatures`` [{value, label}],
``cycleTemperatures`` and ``cycleChars`` (the cycling probe's), ``prompts`` [{kind, label, text,
human}] (test prompts, then demo prompts), and ``cells`` [{row, seed, texts, long}], where
``texts[t][p][s]`` is sample ``s`` of prompt ``p`` at temperature ``t`` (null where the cell has no
such temperature) and ``long[c][p]`` the probe's continuation of test prompt ``p`` at cycle
temperature ``c``. A text is {text, loop, copied, metrics}: ``metrics`` is a list of [label,
formatted value]. A long continuation is {text, loop, copied, attractor}: its cycle span and
attractor ("attractor 1 of 3, 41 prompts") come from results.json's ``cycles`` of that cell. The whole is compact JSON, gzip-compressed and
base64-encoded (:func:`encoded`), unpacked in the page by ``DecompressionStream``.
"""

from __future__ import annotations

import base64
import gzip
import json
import unicodedata
from pathlib import Path
from typing import Any

from matplotlib.colors import to_hex

from benchmarks.report import formatting as fmt
from benchmarks.report.data import CorpusRun, Run, cycle_cells
from benchmarks.report.figures import color
from benchmarks.run.layout import SAMPLES_FILE


def load_samples(run_dir: Path) -> dict[str, Any] | None:
    """The run folder's samples.json.gz, or None when it has none (or it cannot be read)."""
    path = Path(run_dir) / SAMPLES_FILE
    try:
        data = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def loop_words(annotation: dict[str, Any]) -> str:
    """How the loop reads beside a text: where it starts and ends and its period, in characters."""
    loop = annotation.get("loop")
    if loop:
        onset, end, period = loop
        return f"chars {fmt.count(onset)}–{fmt.count(end)}, period {fmt.count(period)}"
    return "none"


def text_metrics(text: str, annotation: dict[str, Any]) -> list[list[str]]:
    """The stored per-text metrics, formatted as the report's tables format them."""
    return [
        ["loop", loop_words(annotation)],
        ["seq-rep-4", fmt.rate(annotation.get("seq_rep_4"))],
        ["copy rate (8-gram)", fmt.rate(annotation.get("copy_rate_8"))],
        ["valid-word rate", fmt.rate(annotation.get("valid_word_rate"))],
        ["length (chars)", fmt.count(len(text))],
    ]


def text_entry(text: Any, annotation: Any) -> dict[str, Any]:
    """One text for the page, with its spans and metrics when they were stored."""
    text = str(text)
    if not isinstance(annotation, dict):
        return {"text": text, "loop": None, "copied": [], "metrics": None}
    text = unicodedata.normalize("NFC", text)  # the spans index the NFC text, as the metrics read it
    return {
        "text": text,
        "loop": annotation.get("loop"),
        "copied": annotation.get("copied") or [],
        "metrics": text_metrics(text, annotation),
    }


def entries(texts: list[Any], annotations: Any) -> list[dict[str, Any]]:
    """``texts`` with their annotations (a list parallel to them, or missing)."""
    parallel = annotations if isinstance(annotations, list) and len(annotations) == len(texts) else []
    return [text_entry(text, parallel[i] if parallel else None) for i, text in enumerate(texts)]


def by_prompt(stored: dict[str, Any], tests: int, per_prompt: int, demos: int) -> list[list[dict[str, Any]]]:
    """One temperature's texts as [prompt][sample]: the test prompts' (prompt-major), then the demos'."""
    test = entries(stored.get("test") or [], stored.get("annotations"))
    demo = entries(stored.get("demo") or [], stored.get("demo_annotations"))
    grouped = [test[p * per_prompt : (p + 1) * per_prompt] for p in range(tests)]
    return grouped + [[demo[d]] if d < len(demo) else [] for d in range(demos)]


def cell_texts(
    temperatures: list[float], stored: list[Any], tests: int, per_prompt: int, demos: int
) -> list[list[list[dict[str, Any]]] | None]:
    """A cell's texts at each of the corpus's temperatures (joined by value), None where it has none."""
    found = {fmt.finite(entry.get("temperature")): entry for entry in stored if isinstance(entry, dict)}
    return [by_prompt(found[t], tests, per_prompt, demos) if t in found else None for t in temperatures]


def stored_corpus(samples: dict[str, Any], name: str) -> dict[str, Any]:
    return next((c for c in samples.get("corpora") or [] if c.get("name") == name), {})


def test_prompts(corpus: dict[str, Any]) -> list[dict[str, Any]]:
    """The test prompts with their human continuations (annotated when stored)."""
    prompts = (corpus.get("prompts") or {}).get("test") or []
    humans = entries([p.get("human", "") for p in prompts], corpus.get("human_annotations"))
    return [
        {"kind": "test", "label": f"test {i + 1}", "text": str(p.get("text", "")), "human": humans[i]}
        for i, p in enumerate(prompts)
    ]


def demo_prompts(prompts: list[Any]) -> list[dict[str, Any]]:
    return [
        {"kind": "demo", "label": f"demo {i + 1}", "text": str(p), "human": None}
        for i, p in enumerate(prompts)
    ]


def attractor_words(number: Any, sizes: list[Any]) -> str | None:
    """'attractor 1 of 3, 41 prompts' for a continuation's attractor number (1 = the largest)."""
    if not isinstance(number, int) or not 0 < number <= len(sizes):
        return None
    size = sizes[number - 1]
    return f"attractor {number} of {len(sizes)}, {size} prompt{'' if size == 1 else 's'}"


def long_entry(text: Any, measured: dict[str, Any], index: int) -> dict[str, Any]:
    """One long continuation for the page: its cycle span and attractor as results.json stores them."""
    text = unicodedata.normalize("NFC", str(text))
    per_prompt = measured.get("per_prompt") or {}
    onsets, periods = per_prompt.get("onset") or [], per_prompt.get("period") or []
    loop = None
    if index < len(onsets) and index < len(periods) and onsets[index] is not None and periods[index]:
        loop = [onsets[index], len(text), periods[index]]
    numbers = per_prompt.get("attractor") or []
    attractor = (
        attractor_words(numbers[index], measured.get("attractor_sizes") or [])
        if index < len(numbers)
        else None
    )
    return {"text": text, "loop": loop, "copied": [], "attractor": attractor}


def long_texts(view: CorpusRun, cell: dict[str, Any]) -> list[list[dict[str, Any]] | None]:
    """A cell's cycling-probe continuations at the greedy probe temperature ([t][prompt]; None at
    the other probe temperatures, where cycles rarely form, and where none): the page stays light,
    and samples.json.gz holds every long continuation."""
    measured = next(
        (c for c in view.seed_cells(str(cell.get("row"))) if c.get("seed") == cell.get("seed")), {}
    )
    by_value = {fmt.finite(m.get("temperature")): m for m in cycle_cells(measured)}
    stored = {fmt.finite(e.get("temperature")): e for e in cell.get("cycles") or [] if isinstance(e, dict)}
    return [
        [long_entry(text, by_value.get(t, {}), i) for i, text in enumerate(stored[t].get("test") or [])]
        if t in stored and t == view.greedy_cycle_temperature
        else None
        for t in view.cycle_temperatures
    ]


def from_samples(view: CorpusRun, samples: dict[str, Any]) -> dict[str, Any]:
    """The corpus's prompts and every cell's texts (and long continuations), from samples.json.gz."""
    corpus = stored_corpus(samples, view.name)
    tests = test_prompts(corpus)
    demos = demo_prompts((corpus.get("prompts") or {}).get("demo") or [])
    per_prompt = int(samples.get("samples_per_prompt") or 1)
    cells = [
        {
            "row": cell.get("row"),
            "seed": cell.get("seed"),
            "texts": cell_texts(
                view.temperatures, cell.get("temperatures") or [], len(tests), per_prompt, len(demos)
            ),
            "long": long_texts(view, cell),
        }
        for cell in samples.get("cells") or []
        if cell.get("corpus") == view.name
    ]
    return {"prompts": tests + demos, "cells": cells, "note": None}


def from_results(view: CorpusRun) -> dict[str, Any]:
    """Without samples.json.gz: the demo prompts' continuations that results.json keeps."""
    demos = demo_prompts(view.demo_prompts)
    cells = []
    for name in view.names:
        for cell in view.seed_cells(name):
            stored = [
                {"temperature": d.get("temperature"), "demo": d.get("texts") or []}
                for d in cell.get("demo_samples") or []
                if isinstance(d, dict)
            ]
            texts = cell_texts(view.temperatures, stored, 0, 1, len(demos))
            cells.append({"row": name, "seed": cell.get("seed"), "texts": texts})
    note = (
        f"This run folder has no {SAMPLES_FILE}: only the demo prompts' continuations are shown, "
        "without loop or copy marks."
    )
    return {"prompts": demos, "cells": cells, "note": note}


def corpus_data(view: CorpusRun, samples: dict[str, Any] | None) -> dict[str, Any]:
    """Everything the browser shows of one corpus."""
    texts = from_samples(view, samples) if samples is not None else from_results(view)
    return {
        "name": view.name,
        "rows": [{"name": name, "color": to_hex(color(view, name))} for name in view.names],
        "seeds": view.run.seeds,
        "temperatures": [{"value": t, "label": fmt.temperature(t)} for t in view.temperatures],
        "cycleTemperatures": view.cycle_temperatures,
        "cycleChars": view.cycle_chars,
        **texts,
    }


def browser_data(run: Run, run_dir: Path) -> dict[str, Any]:
    samples = load_samples(run_dir)
    return {"corpora": [corpus_data(view, samples) for view in run.views]}


def encoded(data: Any) -> str:
    """Compact JSON, gzip-compressed without a timestamp (the same data gives the same bytes), base64."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)).decode("ascii")
