"""Sample quality: bits per character of generated text under a judge model (Caccia et al. 2018).

The judge is one of the run's trained generators (``sweep.judge``; ``auto`` = the neural generator
with the lowest test bpc). Each continuation is scored given its prompt; a cell's quality is the
corpus-weighted bpc of all its continuations. The human continuations are judged the same way.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import contract
from benchmarks.store import RunStore, read_json, verify_model_dir
from generators.registry import get_generator_class

JUDGE = "_judge"


def choose_judge(store: RunStore, names: list[str], requested: str) -> str | None:
    """The requested judge, or the lowest-bpc neural generator that finished its likelihood stage."""
    scored = {n: store.load(n, "likelihood")["bpc"] for n in names if store.has(n, "likelihood")}
    if requested != "auto":
        return requested if requested in scored else None
    neural = {n: bpc for n, bpc in scored.items() if store.load(n, "fit").get("family") == "neural"}
    pool = neural or scored
    return min(pool, key=pool.get) if pool else None


def judged_bpc(judge, prompts: list[str], texts: list[str]) -> float | None:
    nll = chars = 0.0
    for prompt, text in zip(prompts, texts, strict=True):
        if text:
            nll -= float(contract.score(judge, text, prompt).sum())
            chars += len(text)
    return nll / (chars * math.log(2)) if chars else None


def run_judge(run_dir: Path, log: Callable[[str], None] = print) -> int:
    store = RunStore(run_dir)
    run = read_json(run_dir / "run.json")
    names = list(run["config"]["run"]["generators"])
    requested = run["config"]["sweep"]["judge"]
    name = choose_judge(store, names, requested)
    if name is None:
        store.save(
            JUDGE, "failed", {"stage": "judge", "error": f"no judge available (requested {requested!r})"}
        )
        return 1
    try:
        folder = Path(store.load(name, "fit")["model_dir"])
        if (problem := verify_model_dir(folder)) is not None:
            raise contract.StageError(f"the judge model {name} is damaged ({problem})")
        judge = get_generator_class(name).load(folder, device=run["device"])
        log(f"judge: scoring every sample with {name} …")
        store.save(JUDGE, "quality", judge_all(store, names, judge, name, run_dir))
    except Exception as error:
        store.save(
            JUDGE, "failed", {"stage": "judge", "error": str(error), "traceback": traceback.format_exc()}
        )
        log(f"judge: FAILED: {error}")
        return 1
    return 0


def judge_all(store: RunStore, names: list[str], judge, judge_name: str, run_dir: Path) -> dict[str, Any]:
    prompts = read_json(run_dir / "prompts.json")["prompts"]
    tests = [p for p in prompts if p["source"] == "test"]
    quality: dict[str, Any] = {"judge": judge_name, "generators": {}}
    quality["human"] = judged_bpc(judge, [p["text"] for p in tests], [p["human"] for p in tests])
    for name in names:
        if not store.has(name, "samples"):
            continue
        stored = store.load(name, "samples")
        batch_prompts = stored["prompts"]
        quality["generators"][name] = {
            temperature: judged_bpc(judge, batch_prompts[: len(cell["test"])], cell["test"])
            for temperature, cell in stored["samples"].items()
        }
    return quality
