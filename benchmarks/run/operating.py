"""What the summary reads off each row of a corpus: its operating point and its strategy verdict.

Both are computed once, when results.json is assembled, from the rows' summaries over seeds and
the human row (:mod:`benchmarks.metrics.operating` defines them); the report only shows them.
"""

from __future__ import annotations

from typing import Any

from benchmarks.metrics.operating import operating_point, strategy_verdict

MATCHED = ("distinct_2", "self_bleu_4")  # the diversity metrics an operating point matches
READ = (  # the metrics read at the operating point (interpolated between rungs)
    "distinct_2",
    "self_bleu_4",
    "seq_rep_4",
    "loop_rate",
    "valid_word_rate",
    "zipf",
    "quality_bpc",
    "quality_gap",
)


def row_means(entry: dict[str, Any]) -> dict[str, float | None]:
    """The means over seeds of one sweep or strategy entry of a row's summary (cycling as cycling.KEY)."""
    means = {key: (entry.get(key) or {}).get("mean") for key in READ}
    for key, value in (entry.get("cycling") or {}).items():
        means[f"cycling.{key}"] = value.get("mean")
    return means


def human_targets(human: dict[str, Any]) -> dict[str, tuple[float, float, float]]:
    """metric -> (human value, interval low, high) for the matched metrics the human row has."""
    cell = (human.get("cells") or [{}])[0]
    intervals = human.get("intervals") or {}
    return {
        key: (cell[key], *intervals[key])
        for key in MATCHED
        if cell.get(key) is not None and intervals.get(key) is not None
    }


def operating_points(rows: dict[str, Any], human: dict[str, Any]) -> dict[str, Any]:
    """{row: its operating point, or None} for one corpus."""
    targets = human_targets(human)
    if len(targets) < len(MATCHED):
        return {row: None for row in rows}
    points = {}
    for row, summary in rows.items():
        ladder = {float(e["temperature"]): row_means(e) for e in summary.get("sweep") or []}
        points[row] = operating_point(ladder, targets)
    return points


def strategy_verdicts(rows: dict[str, Any], human: dict[str, Any]) -> dict[str, Any]:
    """{row: which supported strategy removes greedy loops closest to human quality, or None}: loops
    read at the cycling probe's horizon when the human row has the probe's numbers, else the
    sweep's loop rate."""
    probe = (human.get("cycles") or [{}])[0]
    measure = "cycling.looped_share" if probe.get("looped_share") is not None else "loop_rate"
    human_rate = probe.get("looped_share") if measure != "loop_rate" else (human.get("cells") or [{}])[0].get("loop_rate")
    verdicts = {}
    for row, summary in rows.items():
        strategies = [
            {"strategy": s["strategy"], **row_means(s)}
            for s in summary.get("strategies") or []
            if s.get("supported")
        ]
        greedy = next((e for e in summary.get("sweep") or [] if float(e["temperature"]) == 0.0), {})
        verdicts[row] = strategy_verdict(strategies, human_rate, row_means(greedy).get(measure), measure)
    return verdicts
