"""The pieces of a run folder: one JSON file per finished stage of each cell, written atomically.

``pieces/<cell id>/<stage>.json`` is written the moment its stage finishes, so an interrupted run
keeps it and a rerun skips it (see :mod:`benchmarks.run.layout` for the ids).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from benchmarks.files import read_json, write_json_atomic
from benchmarks.run.layout import PIECES, STAGES


class Pieces(Protocol):
    """What a stage reads and writes: the pieces of one cell (a run folder's, or kept in memory)."""

    def has(self, stage: str) -> bool: ...
    def load(self, stage: str) -> dict[str, Any]: ...
    def save(self, stage: str, data: dict[str, Any]) -> None: ...
    def discard(self, stage: str) -> None: ...


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
