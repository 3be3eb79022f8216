"""What the tool tells its user while it runs: one line per event, on stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable

Log = Callable[[str], None]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
