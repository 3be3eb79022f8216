"""The reference rows of a corpus in the report: compressors and published figures, from results.json.

They stand beside the generators in the likelihood table and the bpc plots, marked as what they
are; they have no sweep and no rank. The reading guide states how each compressor was run, with
its library's version, and why a compressor's number is not quite a static model's.
"""

from __future__ import annotations

from typing import Any

from benchmarks.report import formatting as fmt
from benchmarks.report.data import CorpusRun, Run

ADAPTS = (
    "A compressor adapts to the test text as it reads it (it learns a play's names on the way); the "
    "generators are scored as trained and do not, so a compressor has an advantage no static model "
    "has. The neural analogue is dynamic evaluation (Krause et al. 2018, which updates a model's "
    "weights on the test text as it is scored), which this benchmark does not do."
)


def compressors(view: CorpusRun) -> list[dict[str, Any]]:
    rows = (view.corpus.get("references") or {}).get("compressors") or []
    return [r for r in rows if isinstance(r, dict) and fmt.finite(r.get("bpc")) is not None]


def published(view: CorpusRun) -> list[dict[str, Any]]:
    rows = (view.corpus.get("references") or {}).get("published") or []
    return [r for r in rows if isinstance(r, dict) and fmt.finite(r.get("bpc")) is not None]


def lines(view: CorpusRun) -> list[tuple[str, float, str]]:
    """(label, bpc, kind) of every reference row, compressors first; kind is "compressor" or "published"."""
    return [(f"{r['name']} (compressor)", r["bpc"], "compressor") for r in compressors(view)] + [
        (str(r["name"]), r["bpc"], "published") for r in published(view)
    ]


def likelihood_rows(view: CorpusRun, titles: list[str], bpc_title: str) -> list[dict[str, str]]:
    """The likelihood table's reference rows: the bpc column filled, every other one a dash."""
    rows = []
    for label, bpc, kind in lines(view):
        row = {title: fmt.DASH for title in titles}
        tokenizer = "UTF-8 bytes" if kind == "compressor" else "characters"
        rows.append({**row, "generator": label, "tokenizer": tokenizer, bpc_title: fmt.bpc(bpc)})
    return rows


def reading_guide(run: Run) -> list[str]:
    """How the compressor rows were measured, for the reading guide (nothing when none were)."""
    measured = next((compressors(v) for v in run.views if compressors(v)), [])
    if not measured:
        return []
    methods = "; ".join(f"**{r['name']}**: {r.get('method')} ({r.get('library')})" for r in measured)
    text = (
        "**Compressor rows** are reference points, not generators: the bits a general-purpose "
        "compressor spends on the scored test text after the training split, "
        "(len(C(train + test)) − len(C(train))) · 8 / test characters, over the UTF-8 bytes of the "
        f"two texts joined. {methods}. {ADAPTS}"
    )
    return [text, ""]


def published_notes(view: CorpusRun) -> list[str]:
    """The published figures of this corpus: source, setup and how they differ from our measurement."""
    notes = []
    for row in published(view):
        notes += [
            f"**{row['name']}**: {fmt.bpc(row['bpc'])} bpc = {row.get('nats')} nats per character / ln 2; "
            f"{row.get('setup')}. Source: {row.get('source')}. {row.get('note')}.",
            "",
        ]
    return notes
