"""The report's samples: three test prompts beside their human continuation, and ``samples.md``.

report.md shows the first ``SHOWN_PROMPTS`` test prompts, each with the human text that follows it
in the test split and every generator's first continuation (lowest seed) at its operating point's
nearest swept temperature (T=1 where it has none). The demo prompts' continuations at every
temperature go to the appendix ``samples.md``, linked from the report. Texts come from the stored
samples (``samples.json.gz``); the appendix falls back to results.json's demo samples.
"""

from __future__ import annotations

from typing import Any

from benchmarks.report import formatting as fmt
from benchmarks.report.browser import stored_corpus
from benchmarks.report.data import CorpusRun, Run, nearest
from benchmarks.report.strategies import operating_point

SHOWN_PROMPTS = 3  # test prompts shown in report.md: enough to see each generator's voice, few lines
SAMPLES_APPENDIX = "samples.md"


def shown_temperature(run: CorpusRun, name: str) -> tuple[float | None, str]:
    """The swept temperature nearest the row's operating point, and why it was chosen."""
    point = operating_point(run, name)
    target = fmt.finite(point.get("temperature")) if point else None
    if target is None:
        chosen = run.sampling_temperature
        return chosen, "no operating point: T=1" if chosen == 1.0 else "no operating point"
    chosen = nearest(run.temperatures, target)
    return chosen, f"operating point T ≈ {target:.2f}"


def cell_texts(samples: dict[str, Any], run: CorpusRun, name: str, temperature: float | None) -> list[str]:
    """The row's lowest seed's test-prompt texts at ``temperature``, first sample of each prompt."""
    seeds = sorted(
        (c for c in samples.get("cells") or [] if c.get("row") == name and c.get("corpus") == run.name),
        key=lambda c: c.get("seed", 0),
    )
    per_prompt = int(samples.get("samples_per_prompt") or 1)
    for cell in seeds[:1]:
        for entry in cell.get("temperatures") or []:
            if fmt.finite(entry.get("temperature")) == temperature:
                return [str(t) for t in (entry.get("test") or [])[::per_prompt]]
    return []


def test_prompt_samples(run: CorpusRun, samples: dict[str, Any] | None, depth: str = "##") -> list[str]:
    """The first test prompts: the prompt, the human continuation, each generator's continuation."""
    appendix = (
        "The sample browser of report.html shows every prompt, seed and temperature; the demo prompts' "
        f"continuations are in [{SAMPLES_APPENDIX}]({SAMPLES_APPENDIX})."
    )
    prompts = (stored_corpus(samples or {}, run.name).get("prompts") or {}).get("test") or []
    if not prompts:
        return [f"{depth} Three test prompts", "", f"No stored samples (no samples.json.gz). {appendix}", ""]
    chosen = {name: shown_temperature(run, name) for name in run.names}
    texts = {name: cell_texts(samples or {}, run, name, t) for name, (t, _) in chosen.items()}
    lines = [
        f"{depth} Three test prompts",
        "",
        "Each generator's first continuation (lowest seed) at the swept temperature nearest its operating "
        f"point, beside the text that follows the prompt in the test split. {appendix}",
        "",
    ]
    for index, prompt in enumerate(prompts[:SHOWN_PROMPTS]):
        lines += [f"{depth}# Test prompt {index + 1}", "", fmt.code_block(str(prompt.get("text", ""))), ""]
        lines += ["**human** (the test split)", "", fmt.code_block(str(prompt.get("human", ""))), ""]
        for name in run.names:
            temperature, why = chosen[name]
            text = texts[name][index] if index < len(texts[name]) else None
            if text is None:
                continue
            shown = fmt.code_block(text) if text else "*(empty: the model ended the text at once)*"
            lines += [f"**{name}**, {fmt.temperature(temperature)} ({why})", "", shown, ""]
    return lines


def demo_samples(run: CorpusRun, depth: str = "##") -> list[str]:
    """Every demo prompt's continuation by every generator at every temperature (lowest seed)."""
    sweep = run.section("config", "sweep")
    lines = [
        f"{depth} Samples of {run.name}",
        "",
        f"Continuations of the demo prompts, at most {sweep.get('max_chars', '?')} characters each; "
        "each block holds exactly the generated text (the prompt is in the heading).",
        "",
    ]
    if not run.demo_prompts:
        return [*lines, "No demo prompts in this run.", ""]
    for index, prompt in enumerate(run.demo_prompts):
        lines += [f"{depth}# Prompt {index + 1}: {fmt.code_span(prompt)}", ""]
        for temperature in run.temperatures:
            lines += [f"{depth}## {fmt.temperature(temperature)}", ""]
            lines += temperature_samples(run, index, temperature)
    return lines


def temperature_samples(run: CorpusRun, index: int, temperature: float) -> list[str]:
    lines = []
    for name in run.names:
        texts = run.demo_samples(name, temperature)
        if texts is None or index >= len(texts):
            continue
        text = str(texts[index])
        shown = fmt.code_block(text) if text else "*(empty: the model ended the text at once)*"
        lines += [f"**{name}**", "", shown, ""]
    return lines or ["*(no samples)*", ""]


def samples_markdown(run: Run, title: list[str]) -> str:
    """``samples.md``: the appendix of the demo prompts' samples, one section per corpus; ``title``
    is the report's title lines."""
    lines = [f"{title[0]}: samples", "", "The appendix of [report.md](report.md).", ""]
    for view in run.views:
        lines += demo_samples(view)
    return "\n".join(lines).rstrip("\n") + "\n"
