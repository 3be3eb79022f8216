"""Reference rows of each corpus: compressors measured on its split, and published figures.

Reference rows stand beside the generators in the likelihood table and the bpc plot, but they are
not generators (they cannot sample): no sweep, no ranks. Two kinds:

* **compressors** (:mod:`benchmarks.metrics.compressors`): the bits per character of the scored
  test text given the training split. Computed once per corpus, in the run's own process before
  its cells, and kept twice: as the piece ``pieces/_reference/<corpus key>/compressors.json`` of
  the run folder, and in the model cache (``<cache>/_references/``, keyed by the corpus, the
  scored characters, the settings and the library versions), so another run on the same corpus
  reads them instead of compressing again;
* **published** figures (:data:`PUBLISHED`), on a corpus that is the published one, with their
  source and how their measurement differs from ours.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from pathlib import Path
from typing import Any

from benchmarks.console import Log
from benchmarks.files import read_json, write_json_atomic
from benchmarks.run.layout import REFERENCE, pseudo_cell_id
from benchmarks.run.model_cache import cache_directory
from benchmarks.run.plan import RunPlan
from benchmarks.run.store import RunStore
from generators.base import Corpus

COMPRESSORS = "compressors"  # the piece of a corpus's reference pseudo-cell
REFERENCE_REVISION = 1  # bump when the measurement changes: cached rows of the old one are not read

NANOGPT = "karpathy/nanoGPT README, quick start (https://github.com/karpathy/nanoGPT)"
NANOGPT_EVAL = (
    "nanoGPT's split is ours (first 90% train, last 10% val = our test), but its loss is the mean "
    "over random windows of the val text (eval_iters batches of block_size characters, each "
    "character predicted from at most block_size − 1 before it), the best of the run's evaluations, "
    "over its 65-character vocabulary; ours scores every test character once"
)
PUBLISHED: dict[str, list[dict[str, Any]]] = {
    "tinyshakespeare": [
        {
            "name": "nanoGPT shakespeare-char, A100 (published)",
            "nats": 1.4697,
            "setup": "6 layers × 384, 6 heads, block 256, batch 64, 5,000 iterations, dropout 0.2; "
            "about 3 minutes on one A100",
            "source": NANOGPT,
            "note": NANOGPT_EVAL,
        },
        {
            "name": "nanoGPT shakespeare-char, CPU (published)",
            "nats": 1.88,
            "setup": "4 layers × 128, 4 heads, block 64, batch 12, 2,000 iterations, dropout 0; "
            "about 3 minutes on a laptop CPU; the README gives the loss to two decimals",
            "source": NANOGPT,
            "note": NANOGPT_EVAL,
        },
    ],
}


def published_rows(corpus: str) -> list[dict[str, Any]]:
    """The published figures of ``corpus``, each with its bpc (nats per character / ln 2)."""
    return [{**row, "bpc": row["nats"] / math.log(2)} for row in PUBLISHED.get(corpus, [])]


def scored_test(plan: RunPlan, corpus: Corpus) -> str:
    """The test text every row is scored on (the likelihood stage's rule)."""
    return corpus.test[: plan.config.likelihood.max_test_chars or None]


def cache_file(corpus: Corpus, test: str) -> Path:
    from benchmarks.metrics.compressors import COMPRESSORS as METHODS

    settings = [[c.name, c.method, c.library] for c in METHODS]
    key = json.dumps([corpus.sha256, len(corpus.train), len(test), settings, REFERENCE_REVISION])
    return cache_directory() / "_references" / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.json"


def measure_compressors(train: str, test: str, log: Log) -> list[dict[str, Any]]:
    """One row per compressor: its bpc of ``test`` given ``train``, bits, method, library, seconds."""
    from benchmarks.metrics.compressors import COMPRESSORS as METHODS
    from benchmarks.metrics.compressors import conditional_code_bits

    rows = []
    for compressor in METHODS:
        started = time.perf_counter()
        bits = conditional_code_bits(compressor.compress, train, test)
        seconds = time.perf_counter() - started
        log(f"reference {compressor.name}: {bits / len(test):.4f} bpc ({seconds:.1f} s)")
        rows.append(
            {
                "name": compressor.name,
                "bpc": bits / len(test),
                "bits": bits,
                "chars": len(test),
                "train_chars": len(train),
                "method": compressor.method,
                "library": compressor.library,
                "seconds": seconds,
            }
        )
    return rows


def compressor_rows(plan: RunPlan, corpus: Corpus, log: Log) -> dict[str, Any]:
    """The compressor rows of ``corpus`` (from the cache when another run measured them)."""
    test = scored_test(plan, corpus)
    file = cache_file(corpus, test)
    if file.is_file():
        return {**read_json(file), "cached": True}
    log(f"{corpus.name}: compressing the test split given the training split (once per corpus) …")
    measured = {"rows": measure_compressors(corpus.train, test, log)}
    write_json_atomic(file, measured)
    return {**measured, "cached": False}


def ensure_references(plan: RunPlan, corpora: dict[str, Corpus], store: RunStore, log: Log) -> None:
    """The compressor piece of every corpus of the run that has none yet."""
    for corpus in plan.corpora:
        cell = pseudo_cell_id(REFERENCE, corpus.name)
        if not store.has(cell, COMPRESSORS):
            store.save(cell, COMPRESSORS, compressor_rows(plan, corpora[corpus.name], log))


def corpus_references(store: RunStore, corpus: str) -> dict[str, Any]:
    """What results.json records of a corpus's reference rows."""
    cell = pseudo_cell_id(REFERENCE, corpus)
    measured = store.load(cell, COMPRESSORS) if store.has(cell, COMPRESSORS) else {}
    return {"compressors": measured.get("rows") or [], "published": published_rows(corpus)}
