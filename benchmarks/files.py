"""Writing files so that a reader never sees half of one: atomic JSON and text, read back as JSON.

A file is written to a temporary name in its own folder and renamed over the target, so a crash or
a kill leaves the old file or the new one, never a mix. New files get the usual permissions (0666
less the umask, as ``open`` gives), not the private 0600 of a temporary file.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, exactly as given: no newline translation) to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_gz_atomic(path: Path, data: Any) -> None:
    """Compact JSON, gzip-compressed with no timestamp (the same data gives the same bytes)."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=jsonable)
    write_bytes_atomic(path, gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))


def read_json_gz(path: Path) -> Any:
    return json.loads(gzip.decompress(Path(path).read_bytes()).decode("utf-8"))


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON (no NaN or infinity: store those as null) atomically."""
    text = json.dumps(data, indent=2, sort_keys=False, default=jsonable, allow_nan=False)
    write_text_atomic(path, text + "\n")


def jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN or infinity: such values are stored as null."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))
