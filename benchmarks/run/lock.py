"""One run per run folder: a lock held by the run that uses it.

The lock is the kernel's (``flock`` on ``<run folder>/.lock``), so it goes with the process that
held it however that process ends. The file also names the holder (pid, host, start time) for the
message a second run gets, and for the note when a run takes over the lock of one that died.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from benchmarks.console import Log
from benchmarks.run.layout import LOCK_FILE
from generators.errors import ConfigError


class FolderInUse(ConfigError):
    """Another live run holds the run folder."""


@contextlib.contextmanager
def run_folder_lock(run_dir: Path, log: Log) -> Iterator[None]:
    """Hold ``run_dir``'s lock for the duration; a FolderInUse error when another run holds it."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / LOCK_FILE
    with open(path, "a+", encoding="utf-8") as handle:
        handle.seek(0)
        holder = handle.read().strip()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderInUse(
                f"{run_dir} is in use by another run ({holder or 'a process that has not said who it is'}); "
                "wait for it to finish, or pick another --out"
            ) from None
        if holder:
            log(f"taking over the lock of {run_dir} from a run that ended without releasing it ({holder})")
        handle.seek(0)
        handle.truncate()
        started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}, started {started}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()  # an empty lock file: the folder was released normally
