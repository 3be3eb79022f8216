"""Training-step and scoring time of the built-in neural generators by torch threads and OpenMP
waiting, on a quiet machine and beside one and two CPU hogs, side by side.

One command (from the repository root, after ``make setup``)::

    .venv/bin/python -m benchmarks.perf.threads_under_load [--rounds 2] [--corpus shakespeare]
        [--json reports/perf/threads-under-load-<machine>.json]

Each measurement runs in a fresh worker process, as a run's cells do, because OpenMP reads
its waiting settings once, when torch starts its thread pool: one worker per policy
(``POLICY_ENV``: libgomp's default, which spins about 3 ms before an idle thread sleeps;
``passive``, which sleeps at once; ``spin``, about 30 µs). Inside a worker each generator
(char-lstm, word-lstm and gpt2 at the quick profile's sizes, their defaults) trains one step to
warm up, then ``STEPS`` steps on one and on two torch threads, in turn first (paired rounds, as in
:mod:`benchmarks.perf.paired`), and after each its once-trained twin scores ``SCORED_TEXTS``
short texts one at a time (small operations, as a judge's); the time per step is
``FitReport.train_seconds`` over its steps (validation excluded), the scoring time is per text.
Every round visits each load (no hog, one, two ``python -c 'while True: pass'``) in a rotated
order, so a slow spell of a shared machine falls on all of them; the one-minute load average is
recorded at the end of each. The table gives medians over rounds, and the median of the per-round
ratios to one thread with the default policy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STEPS = {"char-lstm": 20, "word-lstm": 8, "gpt2": 4}  # about a second each on a quiet 2-core EPYC
WARM_UP_STEPS = 1  # first-use costs (allocator, kernels) stay out of the timed fits
THREADS = (1, 2)  # torch threads compared (the run's default on 2 cores is 2)
POLICIES = ("default", "passive", "spin")  # the worker's OpenMP waiting: see POLICY_ENV
POLICY_ENV = {  # unset: libgomp spins about 3 ms before sleeping; passive: none; spin: about 30 µs
    "default": {},
    "passive": {"OMP_WAIT_POLICY": "PASSIVE"},
    "spin": {"GOMP_SPINCOUNT": "3000"},
}
SCORED_TEXTS, SCORED_CHARS, CONTEXT_CHARS = 16, 300, 40  # one at a time, as a judge scores samples
HOGS = (0, 1, 2)  # CPU-bound processes beside the worker
TRAIN_CHARS, VALID_CHARS = 200_000, 20_000  # enough text for the tokenizers; validation stays short
HOG = "while True: pass"


def worker(corpus_name: str, first: int) -> dict[str, dict[str, float]]:
    """In the worker process: {generator: {threads: ms per step}} and {"<generator> scoring":
    {threads: ms per text}}; ``first`` is the thread count timed first."""
    import dataclasses

    import torch

    from benchmarks.corpora import load_corpus
    from generators.base import Budget
    from generators.registry import create_generator

    full = load_corpus(corpus_name, progress=False)
    corpus = dataclasses.replace(
        full, train=full.train[:TRAIN_CHARS], valid=full.valid[:VALID_CHARS], test=""
    )

    def ms_per_step(name: str, steps: int) -> float:
        report = create_generator(name, {}, device="cpu").fit(corpus, seed=0, budget=Budget(steps=steps))
        return 1000 * report.train_seconds / report.steps

    texts = [full.valid[i * 1000 : i * 1000 + CONTEXT_CHARS + SCORED_CHARS] for i in range(SCORED_TEXTS)]

    def ms_per_text(generator: Any) -> float:
        began = time.perf_counter()
        for text in texts:
            generator.score(text[CONTEXT_CHARS:], text[:CONTEXT_CHARS])
        return 1000 * (time.perf_counter() - began) / len(texts)

    times: dict[str, dict[str, float]] = {}
    for name, steps in STEPS.items():
        scorer = create_generator(name, {}, device="cpu")
        scorer.fit(corpus, seed=0, budget=Budget(steps=WARM_UP_STEPS))
        times[name], times[f"{name} scoring"] = {}, {}
        for threads in sorted(THREADS, key=lambda t: t != first):
            torch.set_num_threads(threads)
            times[name][str(threads)] = ms_per_step(name, steps)
            times[f"{name} scoring"][str(threads)] = ms_per_text(scorer)
    return times


def run_worker(policy: str, corpus: str, first: int) -> dict[str, dict[str, float]]:
    """One worker process with OpenMP's waiting set as ``policy`` says; its timings."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(POLICY_ENV[policy])
    command = [sys.executable, "-m", "benchmarks.perf.threads_under_load", "--corpus", corpus]
    done = subprocess.run(
        [*command, "--worker", str(first)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def hogs(count: int) -> Iterator[None]:
    """``count`` CPU-bound processes for the duration of the block."""
    started = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(count)]
    try:
        yield
    finally:
        for hog in started:
            hog.kill()
            hog.wait()


def measure(corpus: str, rounds: int) -> dict[str, Any]:
    """Every round: each load in rotated order, each policy's worker (one timing per thread count)."""
    samples: dict[str, list[float]] = {}
    loads: dict[str, list[float]] = {str(h): [] for h in HOGS}
    for r in range(rounds):
        for hog_count in HOGS[r % len(HOGS) :] + HOGS[: r % len(HOGS)]:
            with hogs(hog_count):
                for policy in POLICIES if r % 2 == 0 else POLICIES[::-1]:
                    first = THREADS[r % len(THREADS)]
                    for name, by_threads in run_worker(policy, corpus, first).items():
                        for threads, value in by_threads.items():
                            samples.setdefault(f"{name}|{hog_count}|{policy}|{threads}", []).append(value)
                loads[str(hog_count)].append(os.getloadavg()[0])  # its last minute, hogs included
            print(f"round {r + 1}/{rounds}, {hog_count} hog(s) done", file=sys.stderr, flush=True)
    return {"ms_per_step": samples, "load_average_1min": loads, "steps": STEPS, "rounds": rounds}


def ratio(slow: list[float], fast: list[float]) -> float:
    """The median over rounds of slow / fast (paired by round)."""
    return statistics.median(s / f for s, f in zip(slow, fast, strict=True))


def table(result: dict[str, Any]) -> str:
    """Markdown: per generator and load, ms per step (per text, scoring) of each setting and the
    ratios to one thread."""
    ms = result["ms_per_step"]
    columns = [(p, t) for p in POLICIES for t in map(str, THREADS)]
    head = ["generator", "hogs", "load"] + [f"{t} thr {p} (ms)" for p, t in columns]
    head += [f"{t} thr {p} / 1 thr default" for p, t in columns if t != "1"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name in dict.fromkeys(key.split("|")[0] for key in ms):
        for hog_count in HOGS:
            key = f"{name}|{hog_count}|" + "{}|{}"
            load = statistics.median(result["load_average_1min"][str(hog_count)])
            cells = [name, str(hog_count), f"{load:.1f}"]
            cells += [f"{statistics.median(ms[key.format(p, t)]):.0f}" for p, t in columns]
            cells += [
                f"{ratio(ms[key.format(p, t)], ms[key.format('default', '1')]):.2f}×"
                for p, t in columns
                if t != "1"
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.perf.threads_under_load")
    parser.add_argument("--rounds", type=int, default=2, help="rounds over every load and policy")
    parser.add_argument(
        "--corpus", default="shakespeare", help="corpus name (its first 200,000 training characters)"
    )
    parser.add_argument("--json", type=Path, help="also write the raw timings here")
    parser.add_argument("--worker", type=int, metavar="FIRST", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(args.corpus, args.worker)))
        return 0
    result = {"cpu_count": os.cpu_count(), **measure(args.corpus, args.rounds)}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
