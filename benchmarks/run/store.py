"""The pieces of a run folder: one JSON file per finished stage of each cell, written atomically.

``pieces/<cell id>/<stage>.json`` is written the moment its stage finishes, so an interrupted run
keeps it and a rerun skips it (see :mod:`benchmarks.run.layout` for the ids).

A Ray task keeps its cell's pieces in memory instead (:class:`MemoryPieces`, and
:class:`MemoryStore` for a judge, which reads every cell of its corpus): it starts from the pieces
the driver sent and returns what it saved and discarded, which the driver then applies to the
run folder's :class:`RunStore`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from benchmarks.files import jsonable, read_json, write_json_atomic
from benchmarks.run.layout import PIECES, STAGES


class Pieces(Protocol):
    """What a stage reads and writes: the pieces of one cell (a run folder's, or kept in memory)."""

    def has(self, stage: str) -> bool: ...
    def load(self, stage: str) -> dict[str, Any]: ...
    def save(self, stage: str, data: dict[str, Any]) -> None: ...
    def discard(self, stage: str) -> None: ...


class Store(Protocol):
    """What the judge reads and writes: the pieces of many cells (a run folder's, or in memory)."""

    def has(self, cell: str, stage: str) -> bool: ...
    def load(self, cell: str, stage: str) -> dict[str, Any]: ...
    def save(self, cell: str, stage: str, data: dict[str, Any]) -> None: ...


class RunStore:
    """The pieces of every cell of one run folder."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self.pieces_dir = self.run_dir / PIECES

    def piece_path(self, cell: str, stage: str) -> Path:
        return self.pieces_dir / cell / f"{stage}.json"

    def has(self, cell: str, stage: str) -> bool:
        return self.piece_path(cell, stage).exists()

    def load(self, cell: str, stage: str) -> dict[str, Any]:
        return read_json(self.piece_path(cell, stage))

    def save(self, cell: str, stage: str, data: dict[str, Any]) -> None:
        write_json_atomic(self.piece_path(cell, stage), data)

    def discard(self, cell: str, stage: str) -> None:
        self.piece_path(cell, stage).unlink(missing_ok=True)

    def cell(self, cell: str) -> CellPieces:
        return CellPieces(self, cell)

    def missing_stages(self, cell: str) -> list[str]:
        return [stage for stage in STAGES if not self.has(cell, stage)]

    def finished_stages(self, cell: str) -> list[str]:
        folder = self.pieces_dir / cell
        return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


class CellPieces:
    """The pieces of one cell of a run folder."""

    def __init__(self, store: RunStore, cell: str) -> None:
        self.store, self.id = store, cell

    def has(self, stage: str) -> bool:
        return self.store.has(self.id, stage)

    def load(self, stage: str) -> dict[str, Any]:
        return self.store.load(self.id, stage)

    def save(self, stage: str, data: dict[str, Any]) -> None:
        self.store.save(self.id, stage, data)

    def discard(self, stage: str) -> None:
        self.store.discard(self.id, stage)


def as_json(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as a file of the run folder would give it back (lists for tuples and arrays; NaN refused)."""
    return json.loads(json.dumps(data, default=jsonable, allow_nan=False))


class MemoryPieces:
    """The pieces of one cell, in memory: those it was given, and a record of what changed since."""

    def __init__(self, kept: dict[str, dict[str, Any]] | None = None) -> None:
        self.pieces = {stage: as_json(piece) for stage, piece in (kept or {}).items()}
        self.saved: dict[str, dict[str, Any]] = {}  # in the order they were saved
        self.discarded: set[str] = set()  # given (or saved) and then discarded

    def has(self, stage: str) -> bool:
        return stage in self.pieces

    def load(self, stage: str) -> dict[str, Any]:
        return as_json(self.pieces[stage])  # a copy, as a file read gives

    def save(self, stage: str, data: dict[str, Any]) -> None:
        self.pieces[stage] = self.saved[stage] = as_json(data)
        self.discarded.discard(stage)

    def discard(self, stage: str) -> None:
        self.pieces.pop(stage, None)
        self.saved.pop(stage, None)
        self.discarded.add(stage)

    def changes(self) -> dict[str, Any]:
        """What to apply to the run folder: ``discarded`` stages first, then each ``saved`` piece."""
        return {"discarded": sorted(self.discarded), "saved": self.saved}


class MemoryStore:
    """The pieces of several cells, in memory, with RunStore's has/load/save (for a judge task)."""

    def __init__(self, pieces: dict[str, dict[str, dict[str, Any]]]) -> None:
        self.cells = {cell: MemoryPieces(stages) for cell, stages in pieces.items()}

    def cell(self, cell: str) -> MemoryPieces:
        return self.cells.setdefault(cell, MemoryPieces())

    def has(self, cell: str, stage: str) -> bool:
        return self.cell(cell).has(stage)

    def load(self, cell: str, stage: str) -> dict[str, Any]:
        return self.cell(cell).load(stage)

    def save(self, cell: str, stage: str, data: dict[str, Any]) -> None:
        self.cell(cell).save(stage, data)


def apply_changes(store: RunStore, cell: str, changes: dict[str, Any]) -> None:
    """Write what a task changed of one cell's pieces (MemoryPieces.changes) into the run folder."""
    for stage in changes["discarded"]:
        store.discard(cell, stage)
    for stage, piece in changes["saved"].items():
        store.save(cell, stage, piece)
