"""The ag_news corpora: CSV formats, the documented split by document, the test-split check, the
download from 127.0.0.1 and every bad file."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
from pathlib import Path

import pytest
from corpus_support import SHARED_DATA, serving, sha256

from benchmarks.corpora import ag_news, load_corpus
from generators.errors import CorpusError

AG_ROWS = [
    ("3", "Fears for T N pension after talks", "Unions say they are 'disappointed' after talks."),
    ("4", "Sun #39;s Looking Glass", "Developers get early code, a second\\team and  #36;10 million."),
    ("2", 'Tougher "rules"', "FOXBOROUGH -- Looking at his upper body,\r\nit's easy to see why."),
] + [
    (str(1 + i % 4), f"Headline number {i}", f"Story {i} says  quot;something {i * 7}. quot;")
    for i in range(80)
]
AG_ROWS.append(AG_ROWS[5])  # a duplicate row
AG_DOCUMENTS = [  # AG_ROWS unescaped by hand, in file order
    "Fears for T N pension after talks Unions say they are 'disappointed' after talks.",
    "Sun's Looking Glass Developers get early code, a second team and $10 million.",
    'Tougher "rules" FOXBOROUGH -- Looking at his upper body, it\'s easy to see why.',
] + [f'Headline number {i} Story {i} says "something {i * 7}."' for i in range(80)]
AG_DOCUMENTS.append('Headline number 2 Story 2 says "something 14."')


def write_ag_csv(path: Path, header: bool, quoting: int, line_end: str) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=quoting, lineterminator=line_end)
    if header:
        writer.writerow(["label", "title", "description"])
    writer.writerows(AG_ROWS)
    path.write_bytes(buffer.getvalue().encode())
    return path


def test_ag_news_formats_give_the_same_corpus_split_by_the_documented_rule(tmp_path):
    loaded = []
    for header, quoting, line_end in [
        (True, csv.QUOTE_ALL, "\r\n"),
        (False, csv.QUOTE_ALL, "\n"),
        (True, csv.QUOTE_MINIMAL, "\n"),
        (False, csv.QUOTE_MINIMAL, "\r\n"),
    ]:
        path = write_ag_csv(tmp_path / f"news-{len(loaded)}.csv", header, quoting, line_end)
        loaded.append(load_corpus(f"ag_news:{path}", data_dir=tmp_path))
    first = loaded[0]
    assert all(
        (c.train, c.valid, c.test, c.sha256) == (first.train, first.valid, first.test, first.sha256)
        for c in loaded
    )
    documents = first.train.split("\n") + first.valid.split("\n") + first.test.split("\n")
    assert sorted(documents) == sorted(AG_DOCUMENTS)
    for split in ("train", "valid", "test"):
        for doc in getattr(first, split).split("\n"):
            u = int(hashlib.sha256(f"ag_news\n{doc}".encode()).hexdigest()[:16], 16) / 2**64
            assert split == ("train" if u < 0.8 else "valid" if u < 0.9 else "test")
    assert first.sha256 == sha256("\n".join(AG_DOCUMENTS))
    assert load_corpus(f"ag_news:{tmp_path / 'news-0.csv'}", data_dir=tmp_path) == first


def ag_news_like_csv(path: Path, rows_per_class: int = 1_900) -> Path:
    lines = [
        f'{c},"Title {c}-{i}","Story {i} of class {c}."' for c in range(1, 5) for i in range(rows_per_class)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_plain_ag_news_reads_the_data_directory_and_checks_it_is_the_test_split(tmp_path):
    ag_news_like_csv(tmp_path / "ag_news.csv")
    corpus = load_corpus("ag_news", data_dir=tmp_path)
    assert corpus.name == "ag_news"
    assert sum(len(part.split("\n")) for part in (corpus.train, corpus.valid, corpus.test)) == 7_600
    ag_news_like_csv(tmp_path / "ag_news.csv", rows_per_class=10)
    with pytest.raises(CorpusError, match="is not the AG News test split: 40 rows"):
        load_corpus("ag_news", data_dir=tmp_path)


def test_plain_ag_news_download_is_accepted_only_when_it_is_the_test_split(monkeypatch, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    ag_news_like_csv(served / "test.csv")
    ag_news_like_csv(served / "small.csv", rows_per_class=30)
    with serving(served) as base:
        monkeypatch.setattr(ag_news, "URL", f"{base}/small.csv")
        with pytest.raises(CorpusError, match="not the AG News test split"):
            load_corpus("ag_news", data_dir=tmp_path / "a", progress=False)
        assert os.listdir(tmp_path / "a") == []
        monkeypatch.setattr(ag_news, "URL", f"{base}/test.csv")
        load_corpus("ag_news", data_dir=tmp_path / "b", progress=False)
    assert (tmp_path / "b" / "ag_news.csv").read_bytes() == (served / "test.csv").read_bytes()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'1,"a","b"\n2,"c"\n', "line 2: expected 3 fields"),
        (b'1,"a","b"\nx,"c","d"\n', "line 2: the class 'x' is not a number"),
        (b'1,"a","b"\n2,"c\xe9","d"\n', "is not valid UTF-8: byte offset 14"),
        (b'1,"a","b"\n2,"c\x00","d"\n', "is not text: a NUL byte at byte offset 14"),
        (b"label,title,description\n", "is empty"),
    ],
)
def test_ag_news_bad_files(tmp_path, content, message):
    path = tmp_path / "news.csv"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=message) as caught:
        load_corpus(f"ag_news:{path}", data_dir=tmp_path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_ag_news_path_that_is_a_folder_is_refused(tmp_path):
    with pytest.raises(CorpusError, match="is not a file \\(an AG News CSV was expected\\)"):
        load_corpus(f"ag_news:{tmp_path}", data_dir=tmp_path)


@pytest.mark.skipif(not (SHARED_DATA / "ag_news_test.csv").is_file(), reason="no shared ag_news_test.csv")
def test_real_ag_news_is_the_test_split_and_fully_unescaped(tmp_path):
    shutil.copy(SHARED_DATA / "ag_news_test.csv", tmp_path / "ag_news.csv")
    corpus = load_corpus("ag_news", data_dir=tmp_path)
    text = corpus.train + corpus.valid + corpus.test
    assert sum(part.count("\n") + 1 for part in (corpus.train, corpus.valid, corpus.test)) == 7_600
    for leftover in ("\\", "#39;", "quot;", "amp;", "&lt;", "#36;"):
        assert leftover not in text
