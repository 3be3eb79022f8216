"""Where a run keeps what it has computed: atomic JSON pieces, the model cache, the environment.

A run folder holds ``pieces/<generator>/<stage>.json`` (each written atomically the moment the
stage finishes, so an interrupted run keeps them and a rerun skips them), ``results.json``
(assembled from the pieces) and the report. Trained models live in a cache keyed by generator,
config, corpus hash, seed and package version, with a checksum manifest.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import math
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import platformdirs

from generators.errors import ConfigError

PACKAGE_VERSION = importlib.metadata.version("textgen-bench")
LIBRARIES = ("torch", "transformers", "tokenizers", "markovify", "numpy", "pandas", "matplotlib")


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temporary file in the same folder, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, sort_keys=False, default=_jsonable, allow_nan=False)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN or infinity: store such values as null."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


class RunStore:
    """The pieces of one run folder."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.pieces_dir = run_dir / "pieces"

    def piece_path(self, generator: str, stage: str) -> Path:
        return self.pieces_dir / generator / f"{stage}.json"

    def has(self, generator: str, stage: str) -> bool:
        return self.piece_path(generator, stage).exists()

    def load(self, generator: str, stage: str) -> dict[str, Any]:
        return read_json(self.piece_path(generator, stage))

    def save(self, generator: str, stage: str, data: dict[str, Any]) -> None:
        write_json_atomic(self.piece_path(generator, stage), data)

    def discard(self, generator: str, stage: str) -> None:
        self.piece_path(generator, stage).unlink(missing_ok=True)

    def finished(self) -> dict[str, list[str]]:
        """Which stages are stored, per generator."""
        if not self.pieces_dir.exists():
            return {}
        return {
            d.name: sorted(p.stem for p in d.glob("*.json"))
            for d in sorted(self.pieces_dir.iterdir())
            if d.is_dir()
        }


def cache_directory() -> Path:
    root = os.environ.get("TEXTGEN_BENCH_CACHE")
    return Path(root) if root else Path(platformdirs.user_cache_dir("textgen-bench")) / "models"


def model_cache_key(
    generator: str, config: dict[str, Any], corpus_sha256: str, seed: int, budget: dict
) -> str:
    blob = json.dumps(
        {
            "generator": generator,
            "config": config,
            "corpus": corpus_sha256,
            "seed": seed,
            "budget": budget,
            "version": PACKAGE_VERSION,
        },
        sort_keys=True,
        default=str,
    )
    return f"{generator}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


def _file_digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "MANIFEST.json"
    }


def seal_model_dir(folder: Path, extra: dict[str, Any]) -> None:
    """Write MANIFEST.json with a checksum of every file, last, so a partial save is never sealed."""
    write_json_atomic(folder / "MANIFEST.json", {"files": _file_digests(folder), **extra})


def verify_model_dir(folder: Path) -> str | None:
    """None when the cached model is intact; otherwise a sentence saying what is wrong."""
    manifest_path = folder / "MANIFEST.json"
    if not manifest_path.exists():
        return "no MANIFEST.json (an interrupted save)"
    try:
        expected = read_json(manifest_path)["files"]
    except (ValueError, KeyError):
        return "MANIFEST.json is unreadable"
    actual = _file_digests(folder)
    for name, digest in expected.items():
        if name not in actual:
            return f"{name} is missing"
        if actual[name] != digest:
            return f"{name} fails its checksum"
    return None


def remove_tree(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


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


def resolve_device(device: str) -> str:
    """``auto`` → ``cuda`` when torch sees a GPU, else ``cpu``; a CUDA device torch lacks is a ConfigError."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        check_cuda_device(device)
    return device


def check_cuda_device(device: str) -> None:
    """A ConfigError, in one line, when torch cannot run on ``device`` (``cuda`` or ``cuda:N``)."""
    import torch

    if not torch.cuda.is_available():
        built_for_gpu = torch.version.cuda is not None or getattr(torch.version, "hip", None) is not None
        why = "it finds no GPU" if built_for_gpu else "it is a CPU-only build"
        raise ConfigError(
            f"device {device!r} asked for, but torch {torch.__version__} cannot use CUDA ({why}); "
            "use --device auto or cpu, or install a CUDA build of torch (README: GPU)"
        )
    index = torch.device(device).index or 0
    if index >= torch.cuda.device_count():
        raise ConfigError(f"device {device!r} asked for, but torch sees {torch.cuda.device_count()} GPU(s)")


def environment(device: str) -> dict[str, Any]:
    return {
        "commit": git_commit(),
        "libraries": library_versions(),
        "platform": platform.platform(),
        "device": describe_device(device),
    }
