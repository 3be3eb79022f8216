"""Corpus registry: splits, checksums, fetching and every bad input, without the network."""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import http.server
import io
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import pytest

from benchmarks import corpora
from benchmarks.corpus_text import unescape_ag_news
from generators.base import Corpus
from generators.errors import CorpusError

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def numbered_lines(count: int, width: int = 10) -> str:
    """``count`` distinct lines, each ``width`` characters including its LF."""
    return "".join(f"{i:0{width - 1}d}\n" for i in range(count))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serving(directory: Path) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving ``directory``; yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def refused_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/input.txt"


# ---- registry ------------------------------------------------------------------------------


def test_data_directory_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TEXTGEN_BENCH_DATA", str(tmp_path / "data"))
    assert corpora.data_directory() == tmp_path / "data"
    monkeypatch.delenv("TEXTGEN_BENCH_DATA")
    assert corpora.data_directory() == Path(platformdirs.user_cache_dir("textgen-bench"))


def test_available_corpora_lists_names_and_patterns():
    assert set(corpora.available_corpora()) == {
        "shakespeare", "tinyshakespeare", "ag_news", "ag_news:PATH", "file:PATH"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("shakespear", "did you mean 'shakespeare'"),
        ("tiny_shakespeare", "did you mean 'tinyshakespeare'"),
        ("file:", "file: needs a path"),
        ("ag_news:", "ag_news: needs a path"),
    ],
)
def test_bad_names_are_one_line_errors(tmp_path, name, message):
    with pytest.raises(CorpusError, match=message) as caught:
        corpora.load_corpus(name, data_dir=tmp_path)
    assert "\n" not in str(caught.value)


def test_require_context_names_the_short_split():
    corpus = Corpus("c", train="a" * 1000, valid="b" * 100, test="c" * 50, sha256="")
    corpora.require_context(corpus, 99)  # 99 + 1 fits in valid; test is not needed by default
    with pytest.raises(CorpusError, match="valid has 100 characters, needs at least 101"):
        corpora.require_context(corpus, 100)
    with pytest.raises(CorpusError, match="train has 1,000, valid has 100 characters"):
        corpora.require_context(corpus, 1000)
    with pytest.raises(CorpusError, match="test has 50"):
        corpora.require_context(corpus, 60, splits=("test",))


# ---- tinyshakespeare -----------------------------------------------------------------------


def test_nanogpt_split_is_exact():
    text = numbered_lines(123) + "x" * 4  # n = 1,234 -> cut = int(1110.6) = 1110
    corpus = corpora.nanogpt_split("tiny", text)
    assert corpus.train == text[:1110]
    assert corpus.valid == corpus.test == text[1110:]
    assert len(corpus.test) == 124
    assert corpus.sha256 == sha256(text)
    assert "1,110" in corpus.split_rule and "nanoGPT's val split" in corpus.split_rule


def test_tinyshakespeare_downloads_verifies_and_caches(monkeypatch, tmp_path, capsys):
    text = numbered_lines(150)
    served = tmp_path / "served"
    served.mkdir()
    (served / "input.txt").write_text(text)
    data = tmp_path / "data"
    monkeypatch.setattr(corpora, "TINYSHAKESPEARE_SHA256", sha256(text))
    with serving(served) as base:
        monkeypatch.setattr(corpora, "TINYSHAKESPEARE_URL", f"{base}/input.txt")
        first = corpora.load_corpus("tinyshakespeare", data_dir=data)
    assert "downloading tinyshakespeare" in capsys.readouterr().err
    assert os.listdir(data) == ["tinyshakespeare.txt"]  # no temporary file left behind
    assert first.train == text[:1350] and first.valid == first.test == text[1350:]
    assert first.sha256 == sha256(text)
    second = corpora.load_corpus("tinyshakespeare", data_dir=data, progress=False)  # server gone: cache
    assert second == first


def test_tinyshakespeare_download_with_a_wrong_checksum_leaves_nothing(monkeypatch, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / "input.txt").write_text(numbered_lines(150))
    data = tmp_path / "data"
    monkeypatch.setattr(corpora, "TINYSHAKESPEARE_SHA256", "0" * 64)
    with serving(served) as base, pytest.raises(CorpusError) as caught:
        monkeypatch.setattr(corpora, "TINYSHAKESPEARE_URL", f"{base}/input.txt")
        corpora.load_corpus("tinyshakespeare", data_dir=data, progress=False)
    message = str(caught.value)
    assert "checksum mismatch" in message and "0" * 64 in message
    assert sha256(numbered_lines(150)) in message
    assert os.listdir(data) == []


@pytest.mark.parametrize("failure", ["refused", "missing"])
def test_tinyshakespeare_download_failure_says_which_file_to_put_where(monkeypatch, tmp_path, failure):
    data = tmp_path / "data"
    with contextlib.ExitStack() as stack:
        if failure == "refused":
            url = refused_url()
        else:
            url = stack.enter_context(serving(tmp_path)) + "/absent.txt"
        monkeypatch.setattr(corpora, "TINYSHAKESPEARE_URL", url)
        with pytest.raises(CorpusError) as caught:
            corpora.load_corpus("tinyshakespeare", data_dir=data, progress=False)
    message = str(caught.value)
    assert f"could not download {url}" in message
    assert "HTTP 404" in message if failure == "missing" else "refused" in message.lower()
    assert f"at {data / 'tinyshakespeare.txt'}" in message
    assert corpora.TINYSHAKESPEARE_SHA256 in message and "1,115,394 characters" in message
    assert os.listdir(data) == []


def test_tinyshakespeare_present_with_other_content_is_a_checksum_error(tmp_path):
    (tmp_path / "tinyshakespeare.txt").write_text("not it\n")
    with pytest.raises(CorpusError, match=f"checksum mismatch for {tmp_path / 'tinyshakespeare.txt'}"):
        corpora.load_corpus("tinyshakespeare", data_dir=tmp_path)


# ---- ag_news -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("escaped", "plain"),
    [
        ("company #39;s shares", "company's shares"),
        ("up to  #36;50 million", "up to $50 million"),
        ("just over \\$1 billion", "just over $1 billion"),
        ("In  quot;helping themselves, quot; Ricky", 'In "helping themselves," Ricky'),
        ("Johnson  amp; Johnson", "Johnson & Johnson"),
        ("Texas Instruments Inc. &lt;TXN.N&gt;, on", "Texas Instruments Inc. <TXN.N>, on"),
        ("a new threat #151;prostate cancer", "a new threat—prostate cancer"),  # Windows-1252 #151
        ("it&#39;s &quot;fine&quot;", 'it\'s "fine"'),
        ("A second\\team of rocketeers", "A second team of rocketeers"),
        ('by Sophos."\\\\"The teenager', 'by Sophos." "The teenager'),
        ("snag \\  the prize", "snag the prize"),
        ("Japan; AT T (NYSE: T)", "Japan; AT T (NYSE: T)"),
    ],
)
def test_ag_news_unescaping(escaped, plain):
    assert unescape_ag_news(escaped) == plain


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
        loaded.append(corpora.load_corpus(f"ag_news:{path}", data_dir=tmp_path))
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
    assert corpora.load_corpus(f"ag_news:{tmp_path / 'news-0.csv'}", data_dir=tmp_path) == first


def ag_news_like_csv(path: Path, rows_per_class: int = 1_900) -> Path:
    lines = [
        f'{c},"Title {c}-{i}","Story {i} of class {c}."' for c in range(1, 5) for i in range(rows_per_class)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_plain_ag_news_reads_the_data_directory_and_checks_it_is_the_test_split(tmp_path):
    ag_news_like_csv(tmp_path / "ag_news.csv")
    corpus = corpora.load_corpus("ag_news", data_dir=tmp_path)
    assert corpus.name == "ag_news"
    assert sum(len(part.split("\n")) for part in (corpus.train, corpus.valid, corpus.test)) == 7_600
    ag_news_like_csv(tmp_path / "ag_news.csv", rows_per_class=10)
    with pytest.raises(CorpusError, match="is not the AG News test split: 40 rows"):
        corpora.load_corpus("ag_news", data_dir=tmp_path)


def test_plain_ag_news_download_is_accepted_only_when_it_is_the_test_split(monkeypatch, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    ag_news_like_csv(served / "test.csv")
    ag_news_like_csv(served / "small.csv", rows_per_class=30)
    with serving(served) as base:
        monkeypatch.setattr(corpora, "AG_NEWS_URL", f"{base}/small.csv")
        with pytest.raises(CorpusError, match="not the AG News test split"):
            corpora.load_corpus("ag_news", data_dir=tmp_path / "a", progress=False)
        assert os.listdir(tmp_path / "a") == []
        monkeypatch.setattr(corpora, "AG_NEWS_URL", f"{base}/test.csv")
        corpora.load_corpus("ag_news", data_dir=tmp_path / "b", progress=False)
    assert (tmp_path / "b" / "ag_news.csv").read_bytes() == (served / "test.csv").read_bytes()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'1,"a","b"\n2,"c"\n', "line 2: expected 3 fields"),
        (b'1,"a","b"\nx,"c","d"\n', "line 2: the class 'x' is not a number"),
        (b'1,"a","b"\n2,"c\xe9","d"\n', "not valid UTF-8: byte offset 14"),
        (b"label,title,description\n", "is empty"),
    ],
)
def test_ag_news_bad_files(tmp_path, content, message):
    path = tmp_path / "news.csv"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=message):
        corpora.load_corpus(f"ag_news:{path}", data_dir=tmp_path)


# ---- file:PATH -----------------------------------------------------------------------------


def test_file_split_is_contiguous_at_line_boundaries(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(numbered_lines(200))  # 2,000 characters: 80% and 90% are line boundaries
    corpus = corpora.load_corpus(f"file:{path}", data_dir=tmp_path)
    assert corpus.train == numbered_lines(160)
    assert corpus.train + corpus.valid + corpus.test == numbered_lines(200)
    assert len(corpus.valid) == len(corpus.test) == 200


def test_file_split_moves_each_cut_to_the_nearest_line_boundary(tmp_path):
    text = numbered_lines(131, width=13)  # n = 1,703; targets 1,362 and 1,532
    (tmp_path / "text.txt").write_bytes(("\ufeff" + text.replace("\n", "\r\n")).encode())
    corpus = corpora.load_corpus(f"file:{tmp_path / 'text.txt'}", data_dir=tmp_path)
    assert corpus.train == text[:1365]  # 1,365 (3 away) beats 1,352 (10 away)
    assert corpus.valid == text[1365:1534]  # 1,534 (2 away) beats 1,521
    assert corpus.test == text[1534:]
    assert corpus.sha256 == sha256(text)  # BOM and CRLF normalised away


def make_folder(folder: Path, sizes: dict[str, int]) -> dict[str, str]:
    folder.mkdir()
    texts = {}
    for name, lines in sizes.items():
        texts[name] = "".join(f"{name} line {i:04d}\n" for i in range(lines))
        (folder / name).write_text(texts[name])
    return texts


def test_folder_is_split_by_whole_file(tmp_path):
    texts = make_folder(tmp_path / "books", {f"book{i}.txt": 20 + 3 * i for i in range(6)})
    (tmp_path / "books" / "notes.md").write_text("not a .txt file\n")
    (tmp_path / "books" / "sub").mkdir()
    (tmp_path / "books" / "sub" / "hidden.txt").write_text("not searched\n")
    corpus = corpora.load_corpus(f"file:{tmp_path / 'books'}", data_dir=tmp_path)
    assert corpus.split_rule.startswith("by whole file")
    held = {
        split: [n for n in texts if texts[n] in getattr(corpus, split)]
        for split in ("train", "valid", "test")
    }
    assert sorted(n for names in held.values() for n in names) == sorted(
        texts
    )  # each file in exactly one split
    assert len(held["test"]) == len(held["valid"]) == 1
    assert corpus.test == texts[held["test"][0]] and f"test = {held['test'][0]} (" in corpus.split_rule
    assert "not searched" not in corpus.train + corpus.valid + corpus.test
    assert corpus.sha256 == sha256("\n".join(texts[n] for n in sorted(texts)))
    assert corpora.load_corpus(f"file:{tmp_path / 'books'}", data_dir=tmp_path) == corpus


def test_folder_falls_back_to_a_contiguous_split(tmp_path):
    texts = make_folder(tmp_path / "books", {"a.txt": 200, "b.txt": 3, "c.txt": 3})  # one file dominates
    corpus = corpora.load_corpus(f"file:{tmp_path / 'books'}", data_dir=tmp_path)
    assert corpus.split_rule.startswith("contiguous") and "cut by line instead" in corpus.split_rule
    assert corpus.train + corpus.valid + corpus.test == "\n".join(texts[n] for n in sorted(texts))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("absent.txt", None, "absent.txt does not exist"),
        ("folder", "a folder", "holds no .txt files"),
        ("e.txt", b"", "is empty"),
        ("e.txt", b" \n\t\r\n", "is empty"),
        ("b.txt", b"hello\nw\xc3orld\n", "b.txt is not valid UTF-8: byte offset 7"),
        ("s.txt", numbered_lines(50).encode(), "train needs at least 1,000 and valid and test at least 100"),
    ],
)
def test_bad_files(tmp_path, name, content, message):
    path = tmp_path / name
    if content == "a folder":
        path.mkdir()
        (path / "readme.md").write_text("no text files here\n")
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(CorpusError, match=message) as caught:
        corpora.load_corpus(f"file:{path}", data_dir=tmp_path / "data")
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "data").exists()


# ---- real data (skipped when absent) and the network (opt-in) --------------------------------


@pytest.mark.skipif(
    not (SHARED_DATA / "tinyshakespeare.txt").is_file(), reason="no shared tinyshakespeare.txt"
)
def test_real_tinyshakespeare_matches_nanogpt(tmp_path):
    shutil.copy(SHARED_DATA / "tinyshakespeare.txt", tmp_path / "tinyshakespeare.txt")
    corpus = corpora.load_corpus("tinyshakespeare", data_dir=tmp_path)
    assert (len(corpus.train), len(corpus.valid), len(corpus.test)) == (1_003_854, 111_540, 111_540)
    assert corpus.sha256 == corpora.TINYSHAKESPEARE_SHA256


@pytest.mark.skipif(not (SHARED_DATA / "ag_news_test.csv").is_file(), reason="no shared ag_news_test.csv")
def test_real_ag_news_is_the_test_split_and_fully_unescaped(tmp_path):
    shutil.copy(SHARED_DATA / "ag_news_test.csv", tmp_path / "ag_news.csv")
    corpus = corpora.load_corpus("ag_news", data_dir=tmp_path)
    text = corpus.train + corpus.valid + corpus.test
    assert sum(part.count("\n") + 1 for part in (corpus.train, corpus.valid, corpus.test)) == 7_600
    for leftover in ("\\", "#39;", "quot;", "amp;", "&lt;", "#36;"):
        assert leftover not in text


@pytest.mark.skipif(
    os.environ.get("TEXTGEN_BENCH_NETWORK_TESTS") != "1", reason="set TEXTGEN_BENCH_NETWORK_TESTS=1"
)
def test_real_shakespeare_download(tmp_path):
    corpus = corpora.load_corpus("shakespeare", data_dir=tmp_path)
    assert len(os.listdir(tmp_path / "shakespeare")) == 42 + 1  # the works and MANIFEST.json
    assert "the 42 modern-spelling texts" in corpus.split_rule
