"""Where a run runs: the device it uses, and the commit, libraries, lock, CPU and platform it records.

Results are bit-identical on the same kind of CPU; another kind (another vector capability) runs
other float kernels, so run.json records the CPU for ``report --compare`` to warn about.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

PACKAGE_VERSION = importlib.metadata.version("textgen-bench")
LOCK_FILE = Path(__file__).parents[2] / "requirements.lock"  # in a checkout, beside pyproject.toml
LIBRARIES = (
    "torch",
    "transformers",
    "tokenizers",
    "markovify",
    "numpy",
    "scipy",
    "pandas",
    "matplotlib",
    "zstandard",
    "pyppmd",
)


def git_commit(cwd: Path | None = None) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd or Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd or Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() + ("-dirty" if dirty else "")


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "textgen-bench": PACKAGE_VERSION}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def lock_digest(path: Path = LOCK_FILE) -> dict[str, str] | None:
    """The lock's file name and sha256; None for an install without one (not from a checkout)."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
    return {"file": path.name, "sha256": digest}


def describe_cpu() -> dict[str, str]:
    """This machine's CPU: its model name and the vector instructions torch's kernels use on it
    (``torch.backends.cpu.get_cpu_capability()``: AVX512, AVX2, …)."""
    import torch

    return {"model": cpu_name(), "capability": torch.backends.cpu.get_cpu_capability()}


def describe_device(device: str) -> dict[str, Any]:
    """The device the run uses, by name, for every throughput table."""
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        index = torch.device(device).index or 0
        props = torch.cuda.get_device_properties(index)
        return {
            "type": "cuda",
            "name": props.name,
            "memory_gib": round(props.total_memory / 2**30, 1),
            "cuda": torch.version.cuda,
        }
    return {
        "type": "cpu",
        "name": cpu_name(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def node_identity() -> dict[str, Any]:
    """The machine a cell runs on, as its pieces record it (a Ray task adds its node's id)."""
    return {"hostname": platform.node()}


def environment(device: dict[str, Any]) -> dict[str, Any]:
    """The commit, libraries, lock, CPU and platform of this process and the ``device`` the run uses
    (as ``describe_device`` or an executor describes it), for run.json. The CPU is that of the
    machine that starts the run: every cell's with ``--engine local``."""
    return {
        "commit": git_commit(),
        "libraries": library_versions(),
        "lock": lock_digest(),
        "cpu": describe_cpu(),
        "platform": platform.platform(),
        "device": device,
    }
