"""Helpers shared by the corpus tests: checksums, numbered lines and an HTTP server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"  # optional real data files


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def numbered_lines(count: int, width: int = 10) -> str:
    """``count`` distinct lines, each ``width`` characters including its LF."""
    return "".join(f"{i:0{width - 1}d}\n" for i in range(count))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serving(directory: Path) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving ``directory``; yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def refused_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/input.txt"
