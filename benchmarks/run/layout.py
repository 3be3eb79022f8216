"""The run folder's layout, in one place: file and piece names, cell ids, pseudo-cells, exit codes.

A run folder holds::

    plan.json          the RunPlan (every cell, corpus and prompt; see benchmarks.run.plan)
    run.json           when and where it ran: created, commit, libraries, lock, CPU, device
    pieces/<cell id>/<stage>.json     one finished stage of one cell, written atomically
    pieces/_human/<corpus key>/sweep.json, pieces/_judge/<corpus key>/quality.json
    pieces/_reference/<corpus key>/compressors.json
    results.json, samples.json.gz, results.csv, report.md, plots/     assembled and rendered from the pieces
    .lock              held by the run using the folder

A cell id reads ``<row>/<corpus key>/seed-<n>`` (``char-lstm/shakespeare/seed-0``): stable, and a
path under ``pieces/``.
"""

from __future__ import annotations

import hashlib
import re

SCHEMA_VERSION = 2  # of results.json (benchmarks.run.results documents it)
MEASUREMENT_REVISION = 6  # bump when a change alters measured values: older run folders are not resumed
# 2: spelling model, loop rule on whole words, pooled metrics on one sample per prompt, disjoint prompts
# 3: a run is a plan of cells; sampling seeds come from the temperature's value
# 4: a cell's bpc interval draws its chunks with one seed for every cell, not with the training seed
# 5: strategies; every neural judge but the sample's own generator; human diversity intervals
# 6: the loop rule drops a last word only where the limit cut it; the cycling probe

PLAN_FILE = "plan.json"
RUN_FILE = "run.json"
RESULTS_FILE = "results.json"
SAMPLES_FILE = "samples.json.gz"  # every continuation of every cell (benchmarks.run.results)
LOCK_FILE = ".lock"
PIECES = "pieces"
RUN_ENTRIES = {
    PLAN_FILE,
    RUN_FILE,
    PIECES,
    RESULTS_FILE,
    SAMPLES_FILE,
    "results.csv",
    "report.md",
    "samples.md",  # report.md's appendix (benchmarks.report.samples_md)
    "report.html",
    "plots",
    LOCK_FILE,
}

STAGES = ("fit", "likelihood", "cycles", "sweep", "throughput")  # a cell is finished when each has its piece
SAMPLES = "samples"  # every continuation of the sweep, beside the stages
CYCLE_SAMPLES = "cycle_samples"  # every long continuation of the cycling probe, beside the stages
TEXT_PIECES = (SAMPLES, CYCLE_SAMPLES)  # the texts of a cell, kept out of results.json
FAILED = "failed"  # why a cell (or a judge) did not finish

HUMAN = "_human"  # pseudo-cell of the true test-split continuations, one per corpus
JUDGE = "_judge"  # pseudo-cell of the sample-quality scores, one per corpus
REFERENCE = "_reference"  # pseudo-cell of the compressor reference rows, one per corpus

EXIT_OK = 0
EXIT_CRASH = 1  # a bug in textgen-bench itself
EXIT_USAGE = 2  # bad input: a one-line error, nothing computed
EXIT_UNFINISHED = 3  # the report is written, but a cell or a judge did not finish
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT); finished pieces are kept

PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def corpus_key(corpus: str) -> str:
    """A corpus name as one path component: itself when plain (``shakespeare``), else a readable
    slug and a short hash (``file:/data/a b.txt`` -> ``file-data-a-b.txt-3f2a9c1e``)."""
    if PLAIN_NAME.fullmatch(corpus):
        return corpus
    slug = re.sub(r"[^A-Za-z0-9_.]+", "-", corpus).strip("-")[-40:].strip("-")
    return f"{slug or 'corpus'}-{hashlib.sha256(corpus.encode()).hexdigest()[:8]}"


def cell_id(row: str, corpus: str, seed: int) -> str:
    return f"{row}/{corpus_key(corpus)}/seed-{seed}"


def pseudo_cell_id(kind: str, corpus: str) -> str:
    """The human or judge pseudo-cell of one corpus."""
    return f"{kind}/{corpus_key(corpus)}"
