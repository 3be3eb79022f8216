"""``ag_news`` and ``ag_news:PATH``: the AG News CSV (class, title, description), one document per
row with AG News's escapes undone, split by a hash of each document.

Plain ``ag_news`` is the original test split (Zhang et al. 2015), from ``<data dir>/ag_news.csv``
or downloaded; ``ag_news:PATH`` is any CSV of that shape, with or without a header row.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

from benchmarks.corpora.fetch import download
from benchmarks.corpora.normalise import ag_news_document, check_not_empty, read_text
from benchmarks.corpora.split import SPLITS, check_split_sizes, sha256_text, unit_interval_hash
from generators.base import Corpus
from generators.errors import CorpusError

# A widely used copy of the original AG News test.csv (Zhang et al. 2015). There is no published
# checksum, so a file is accepted as the test split only with 7,600 rows, 1,900 in each class.
URL = "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/test.csv"
TEST_ROWS_PER_CLASS = 1_900
CLASSES = 4
TRAIN_FRACTION = 0.8  # of documents, by hash
VALID_FRACTION = 0.1


def load_test_split(data_dir: Path, *, progress: bool) -> Corpus:
    """the AG News test split (7,600 news items) from <data dir>/ag_news.csv, else downloaded"""
    path = data_dir / "ag_news.csv"
    hint = f"put the AG News test.csv (7,600 rows of class,title,description) at {path}, or pass ag_news:PATH"
    if not path.is_file():
        what = "the AG News test split (1.8 MB, once)"
        download(URL, path, what=what, hint=hint, progress=progress, check=check_test_split)
    check_test_split(path)
    return split_by_document("ag_news", path)


def load_csv(data_dir: Path, *, progress: bool, argument: str) -> Corpus:
    """an AG News CSV (class,title,description), one document per row, 80/10/10"""
    return split_by_document(f"ag_news:{argument}", Path(argument).expanduser())


def split_by_document(name: str, path: Path) -> Corpus:
    documents, _ = read_csv(path)
    content = "\n".join(documents)
    check_not_empty(content, path)
    valid_end = TRAIN_FRACTION + VALID_FRACTION
    split_of = {}
    for doc in documents:
        u = unit_interval_hash("ag_news", doc)
        split_of[doc] = "train" if u < TRAIN_FRACTION else "valid" if u < valid_end else "test"
    splits = {split: "\n".join(doc for doc in documents if split_of[doc] == split) for split in SPLITS}
    rule = (
        f"by document: one document per CSV row ({len(documents):,}) = title + ' ' + description, "
        "unescaped (\\$ -> $; other backslash runs are line breaks -> one space; entities such as #39; "
        "quot; &lt; decoded, with the space AG News left for the '&'); u = the first 8 bytes of "
        f"sha256('ag_news\\n' + document) / 2^64: train if u < {TRAIN_FRACTION}, valid if u < "
        f"{valid_end:g}, else test (identical documents share a split); documents joined by LF in file order"
    )
    check_split_sizes(name, splits["train"], splits["valid"], splits["test"], "by document, 80/10/10")
    return Corpus(name, **splits, sha256=sha256_text(content), split_rule=rule)


def read_csv(path: Path) -> tuple[list[str], list[str]]:
    """(non-empty documents, class labels of all rows); a header first row is skipped."""
    if not path.is_file():
        raise CorpusError(f"{path} does not exist or is not a file (an AG News CSV was expected)")
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
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


def check_test_split(path: Path) -> None:
    """The AG News test split has 7,600 rows, 1,900 in each of 4 classes."""
    _, labels = read_csv(path)
    counts = sorted(Counter(labels).values())
    if counts != [TEST_ROWS_PER_CLASS] * CLASSES:
        raise CorpusError(
            f"{path} is not the AG News test split: {len(labels):,} rows in classes of {counts} "
            f"(expected {CLASSES} classes of {TEST_ROWS_PER_CLASS:,}); "
            "for another file pass ag_news:PATH"
        )


def is_integer(field: str) -> bool:
    return bool(re.fullmatch(r"[+-]?[0-9]+", field))
