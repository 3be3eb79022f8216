"""Progress lines for a run whose output nobody watches live (stderr sent to a file or a pipe).

Progress bars draw on a terminal only, so a run logged to a file says nothing between its stage
lines for many minutes. When stderr is not a terminal, :func:`progress_lines` prints, every
``run.progress_every`` seconds, how many tasks are done of how many, the time elapsed and an
estimate of the time left: the mean time of the tasks finished in this session times the tasks
left (none before the first ends; cells differ in length, so it is a rough guide).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from benchmarks.console import Log

Clock = Callable[[], float]


def duration(seconds: float) -> str:
    """'1h02m', '14m05s', '42s'."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class Progress:
    """Counts finished tasks of ``total`` (``done`` of them finished before this session) and says
    where the run stands, at most once every ``every`` seconds of ``clock``."""

    def __init__(
        self, what: str, total: int, done: int, *, every: float, log: Log, clock: Clock = time.monotonic
    ):
        self.what, self.total, self.done, self.every, self.log, self.clock = (
            what,
            total,
            done,
            every,
            log,
            clock,
        )
        self.before = done  # finished before this session: they say nothing of how long a task takes
        self.start = clock()
        self.last = self.start
        self.lock = threading.Lock()

    def finished(self) -> None:
        with self.lock:
            self.done += 1

    def line(self) -> str:
        """'progress: 3/12 cells done, 14m05s elapsed, about 42m15s left'."""
        with self.lock:
            done, ran = self.done, self.done - self.before
        elapsed = self.clock() - self.start
        left = self.total - done
        if ran == 0:
            eta = "time left unknown until the first one ends"
        else:
            eta = f"about {duration(elapsed / ran * left)} left"
        return f"progress: {done}/{self.total} {self.what} done, {duration(elapsed)} elapsed, {eta}"

    def tick(self) -> None:
        """Log the line when ``every`` seconds have passed since the last one."""
        now = self.clock()
        if now - self.last >= self.every:
            self.last = now
            self.log(self.line())


@contextmanager
def progress_lines(progress: Progress, stream: TextIO | None = None, poll: float = 1.0) -> Iterator[Progress]:
    """Tick ``progress`` from a background thread while the block runs, when ``stream`` (stderr)
    is not a terminal and ``progress.every`` > 0; on a terminal the progress bars say it."""
    stream = stream if stream is not None else sys.stderr
    if progress.every <= 0 or stream.isatty():
        yield progress
        return
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(min(poll, progress.every)):
            progress.tick()

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield progress
    finally:
        stop.set()
        thread.join()
