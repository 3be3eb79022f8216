"""``file:PATH``: a UTF-8 text file, cut 80/10/10 at line boundaries, or a folder of ``.txt``
files, split by whole file when the files allow it (else cut by line like one file)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.corpora.normalise import check_not_empty, normalise_newlines, read_text
from benchmarks.corpora.split import (
    assign_parts,
    check_split_sizes,
    corpus_from_parts,
    describe_part_split,
    join_documents,
    sha256_text,
    split_at_lines,
    split_sizes_ok,
)
from generators.base import Corpus
from generators.errors import CorpusError

TRAIN_FRACTION = 0.8  # of one file (or folder), contiguous
VALID_FRACTION = 0.1
FOLDER_HELDOUT_FRACTION = 0.1  # a folder by whole file: target share of test and of valid


def load(data_dir: Path, *, progress: bool, argument: str) -> Corpus:
    """a UTF-8 text file (80/10/10 at line boundaries) or a folder of .txt files (by file)"""
    name, path = f"file:{argument}", Path(argument).expanduser()  # the registry checked it exists
    if path.is_dir():
        return load_folder(name, path)
    text = normalise_newlines(read_text(path))
    check_not_empty(text, path)
    return contiguous_split(name, text, "the file, with LF line ends and no byte-order mark")


def load_folder(name: str, path: Path) -> Corpus:
    files = sorted((p for p in path.glob("*.txt") if p.is_file()), key=lambda p: p.name)
    if not files:
        raise CorpusError(f"{path} holds no .txt files (corpus {name!r}; subfolders are not searched)")
    texts = {p.name: normalise_newlines(read_text(p)) for p in files}
    content = join_documents([texts[n] for n in sorted(texts)])
    check_not_empty(content, path)
    how = (
        f"the folder's {len(files)} .txt files in name order, each with LF line ends, joined by a blank line"
    )
    if len(files) >= 3:
        fraction = FOLDER_HELDOUT_FRACTION
        assignment = assign_parts({n: len(t) for n, t in texts.items()}, fraction, fraction, "file")
        if assignment is not None:
            rule = f"by whole file: {how}; " + describe_part_split(
                texts, assignment, "file", "file", fraction, fraction
            )
            corpus = corpus_from_parts(name, texts, assignment, rule)
            if split_sizes_ok(corpus.train, corpus.valid, corpus.test):
                return corpus
    return contiguous_split(name, content, how + " (whole files cannot make the split; cut by line instead)")


def contiguous_split(name: str, text: str, what: str) -> Corpus:
    first, second = split_at_lines(text, TRAIN_FRACTION, VALID_FRACTION)
    train, valid, test = text[:first], text[first:second], text[second:]
    rule = (
        f"contiguous at line boundaries: {what}; train = characters [0, {first:,}), valid = [{first:,}, "
        f"{second:,}), test = [{second:,}, {len(text):,}); cuts at the line boundaries nearest 80% and 90%"
    )
    check_split_sizes(name, train, valid, test, "contiguous 80/10/10 at line boundaries")
    return Corpus(name, train=train, valid=valid, test=test, sha256=sha256_text(text), split_rule=rule)
