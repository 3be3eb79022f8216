"""Executors: how the unfinished tasks of a plan are run. The harness knows only :class:`Executor`.

A task is a cell (its stages) or a corpus's judge, named by its id. Every task runs in a worker
process of its own (:mod:`benchmarks.run.worker`), which writes its pieces into the run folder as
they finish; the executor reports each task's exit status as it ends.

* :class:`LocalExecutor` ``--jobs 1`` (the default) runs one task at a time; ``--jobs N`` runs N at
  once, each worker's torch threads set to its share of this machine's cores, so parallel cells
  never oversubscribe the CPU. With several at once, each worker's output comes line by line,
  prefixed with its task (and its progress bars, which would overwrite each other, are off).
* :class:`~benchmarks.run.ray_executor.RayExecutor` (``--engine ray``) runs them as Ray tasks on a
  cluster, which return their pieces to this process; it alone writes the run folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from benchmarks.console import Log, log
from benchmarks.run.environment import describe_device
from benchmarks.run.plan import RunPlan
from benchmarks.run.worker import PARENT_ENV, thread_environment
from generators.base import Corpus

INTERRUPT_GRACE_S = 60  # after Ctrl-C, how long workers get to save what they finished


@dataclass(frozen=True)
class Task:
    id: str  # a cell id, or a judge pseudo-cell id
    retrain: bool = False  # ignore a cached model (cells only)


Done = Callable[[Task, int], None]  # called with each task and its worker's exit status


class Executor(ABC):
    @abstractmethod
    def resolve_device(self, requested: str) -> str:
        """The device the cells will use (``auto`` resolved where they run); a ConfigError in one
        line when it cannot be had. Called before the plan is built."""

    @abstractmethod
    def describe_device(self, device: str) -> dict[str, Any]:
        """The device (or machines) the run uses, for run.json and the report's headings."""

    @abstractmethod
    def prepare(self, plan: RunPlan, corpora: dict[str, Corpus]) -> None:
        """Before any work on ``plan`` (the started plan, when a run resumes): a ConfigError in one
        line when this executor cannot run its cells."""

    @abstractmethod
    def run(self, run_dir: Path, tasks: Sequence[Task], done: Done) -> None:
        """Run every task; call ``done`` as each ends. On Ctrl-C, stop the workers (each keeps what
        it finished) and raise KeyboardInterrupt."""


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class LocalExecutor(Executor):
    """Up to ``jobs`` worker processes at once on this machine."""

    def __init__(self, jobs: int = 1, *, log: Log = log) -> None:
        if jobs < 1:
            raise ValueError(f"jobs must be >= 1, got {jobs}")
        self.jobs = jobs
        self.threads = max(1, available_cores() // jobs)
        self.log = log

    def resolve_device(self, requested: str) -> str:
        from generators.devices import resolve_device

        return str(resolve_device(requested))

    def describe_device(self, device: str) -> dict[str, Any]:
        """The device, with the torch threads each worker gets and how many cells run at once."""
        described = describe_device(device)
        if described.get("type") == "cpu":
            described["torch_threads"] = self.threads
            described["omp_wait_policy"] = thread_environment(self.threads)["OMP_WAIT_POLICY"]
        return {**described, "cells_at_once": self.jobs}

    def prepare(self, plan: RunPlan, corpora: dict[str, Corpus]) -> None:
        self.resolve_device(plan.device)  # a resumed run's workers use the device it started on

    def worker_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            PARENT_ENV: str(os.getpid()),
            **thread_environment(self.threads),  # torch (and numpy's BLAS) size their pools by these
        }

    def start(self, run_dir: Path, task: Task) -> subprocess.Popen:
        command = [sys.executable, "-m", "benchmarks.run.worker", str(run_dir), task.id]
        command += ["--retrain"] if task.retrain else []
        if self.jobs == 1:  # the worker has the terminal: its progress bars show
            return subprocess.Popen(command, env=self.worker_env())
        worker = subprocess.Popen(
            command, env=self.worker_env(), stderr=subprocess.PIPE, text=True, errors="replace", bufsize=1
        )
        threading.Thread(target=relay, args=(worker.stderr, task.id), daemon=True).start()
        return worker

    def run(self, run_dir: Path, tasks: Sequence[Task], done: Done) -> None:
        pending, running = list(tasks), {}
        try:
            while pending or running:
                while pending and len(running) < self.jobs:
                    task = pending.pop(0)
                    running[self.start(run_dir, task)] = task
                for worker in [w for w in running if w.poll() is not None]:
                    done(running.pop(worker), worker.returncode)
                time.sleep(0.05)
        except KeyboardInterrupt:
            stop(running)
            for worker, task in running.items():
                done(task, worker.returncode)
            raise


def stop(running: dict[subprocess.Popen, Task]) -> None:
    """After Ctrl-C (which the workers got too): let them save and exit, then kill what is left."""
    deadline = time.monotonic() + INTERRUPT_GRACE_S
    for worker in running:
        try:
            worker.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        except KeyboardInterrupt:  # a second Ctrl-C: stop at once
            for other in running:
                other.kill()
                other.wait()
            return


def relay(stream: IO[str], prefix: str) -> None:
    """Copy a worker's output to ours line by line; lines not yet naming their task get its id."""
    for line in stream:
        text = line.rstrip("\n")
        print(text if text.startswith(prefix) else f"{prefix}: {text}", file=sys.stderr, flush=True)
