"""The trained-model cache: one folder per (generator, config, corpus, seed, budget, device, version).

The version is textgen-bench's and that of the package whose code the generator runs (a plugin's
own), so a model trained by other code is never taken for this code's.

A training that a time cap cut short of its fixed work is kept beside its folder under another
name (:func:`cut_short_dir`), for the run that trained it, and never reused in its place.

A model folder is filled under a private staging name and renamed into place with a checksum
manifest (MANIFEST.json) written last, so a reader finds a whole model or none. Two runs that
would train the same model take turns: the second waits for the first's lock and then uses its
finished model instead of training it again.

On a Ray cluster a model is cached on the node that trained it; its files travel as bytes
(:func:`model_files`) and are sealed into another machine's cache with their manifest
(:func:`install_model`), which checks every file against it first.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import platformdirs

from benchmarks.console import Log
from benchmarks.files import read_json, write_json_atomic
from benchmarks.run.environment import PACKAGE_VERSION

CACHE_ENV = "TEXTGEN_BENCH_CACHE"
MANIFEST = "MANIFEST.json"
CUT_SHORT = "-cut-short-at-step-"  # a cut-short training's folder: the complete one's name, this, its steps


def cache_directory() -> Path:
    root = os.environ.get(CACHE_ENV)
    return Path(root) if root else Path(platformdirs.user_cache_dir("textgen-bench")) / "models"


def model_cache_key(
    generator: str, config: dict[str, Any], corpus_sha256: str, seed: int, budget: dict, code: str
) -> str:
    """The cache folder's name; ``code`` is "<distribution> <version>" of the generator's package."""
    blob = json.dumps(
        {
            "generator": generator,
            "config": config,
            "corpus": corpus_sha256,
            "seed": seed,
            "budget": budget,
            "version": PACKAGE_VERSION,
            "code": code,
        },
        sort_keys=True,
        default=str,
    )
    return f"{generator}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


def file_digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def seal_model_dir(folder: Path, extra: dict[str, Any]) -> None:
    """Write MANIFEST.json with a checksum of every file, last, so a partial save is never sealed."""
    write_json_atomic(folder / MANIFEST, {"files": file_digests(folder), **extra})


def verify_model_dir(folder: Path) -> str | None:
    """None when the cached model is intact; otherwise a sentence saying what is wrong."""
    if not folder.is_dir():
        return "it is missing"
    if not (folder / MANIFEST).exists():
        return f"no {MANIFEST} (an interrupted save)"
    try:
        expected = read_json(folder / MANIFEST)["files"]
    except (ValueError, KeyError, TypeError):
        return f"{MANIFEST} is unreadable"
    actual = file_digests(folder)
    for name, digest in expected.items():
        if name not in actual:
            return f"{name} is missing"
        if actual[name] != digest:
            return f"{name} fails its checksum"
    return None


def remove_tree(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def training_lock(folder: Path, log: Log) -> Iterator[None]:
    """Hold ``<folder>.lock`` while training the model of ``folder``; wait (saying so) while another
    process holds it. The lock is the kernel's (flock): it goes with the process that held it."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_name(folder.name + ".lock"), "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            log(f"waiting for {holder}, which is training the same model ({folder.name}) …")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {os.uname().nodename}")
        handle.flush()
        yield


def staging_dir(folder: Path) -> Path:
    """A fresh, private folder beside ``folder`` to save a model into before it is renamed in place."""
    staging = folder.with_name(f"{folder.name}.partial-{os.getpid()}")
    remove_tree(staging)
    staging.mkdir(parents=True)
    return staging


def cut_short_dir(folder: Path, steps: int) -> Path:
    """Where a training of ``folder``'s model that a time cap stopped at ``steps`` is kept: beside
    it, under a name no cache lookup uses (at a given step every such training is the same)."""
    return folder.with_name(f"{folder.name}{CUT_SHORT}{steps}")


def remove_stale_partials(folder: Path) -> None:
    """Staging folders of ``folder`` (and of its cut-short trainings) left by killed processes
    (call while holding its lock)."""
    for pattern in (f"{folder.name}.partial*", f"{folder.name}{CUT_SHORT}*.partial*"):
        for stale in folder.parent.glob(pattern):
            remove_tree(stale)


ModelFiles = dict[str, bytes]  # a model folder's files by relative path, MANIFEST.json included


def model_files(folder: Path) -> ModelFiles:
    """Every file of an intact model folder, as bytes (for a Ray task's arguments or result)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def install_model(folder: Path, files: ModelFiles, log: Log) -> str | None:
    """Put a model's ``files`` in place as ``folder`` of this machine's cache, unless an intact copy
    is there already. None when the folder is intact afterwards; otherwise why the files were
    refused (they fail their own manifest), and nothing is installed."""
    if verify_model_dir(folder) is None:
        return None
    with training_lock(folder, log):
        if verify_model_dir(folder) is None:
            return None  # another process installed or trained it meanwhile
        staging = staging_dir(folder)
        problem = write_files(staging, files) or verify_model_dir(staging)
        if problem is not None:
            remove_tree(staging)
            return problem
        remove_tree(folder)
        staging.rename(folder)
    return None


def write_files(folder: Path, files: ModelFiles) -> str | None:
    """Write ``files`` under ``folder``; a sentence instead when a name would land outside it."""
    for name, data in files.items():
        path = folder / name
        if not path.resolve().is_relative_to(folder.resolve()):
            return f"the file name {name!r} points outside the model folder"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return None
