"""What the tool tells its user while it runs: one line per event, on stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable

Log = Callable[[str], None]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def one_line(text: str, limit: int = 0) -> str:
    """``text`` with every run of whitespace (newlines included) as one space, cut to ``limit``
    characters when ``limit`` is positive: error messages stay on one terminal line."""
    flat = " ".join(text.split())
    return flat if not 0 < limit < len(flat) else flat[: limit - 1] + "…"
