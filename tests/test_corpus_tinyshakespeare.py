"""The tinyshakespeare corpus: nanoGPT's split, a verified download from 127.0.0.1, the cache."""

from __future__ import annotations

import contextlib
import os
import shutil

import pytest
from corpus_support import SHARED_DATA, numbered_lines, refused_url, serving, sha256

from benchmarks.corpora import load_corpus, tinyshakespeare
from generators.errors import CorpusError


def test_nanogpt_split_is_exact():
    text = numbered_lines(123) + "x" * 4  # n = 1,234 -> cut = int(1110.6) = 1110
    corpus = tinyshakespeare.nanogpt_split("tiny", text)
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
    monkeypatch.setattr(tinyshakespeare, "SHA256", sha256(text))
    with serving(served) as base:
        monkeypatch.setattr(tinyshakespeare, "URL", f"{base}/input.txt")
        first = load_corpus("tinyshakespeare", data_dir=data)
    assert "downloading tinyshakespeare" in capsys.readouterr().err
    assert os.listdir(data) == ["tinyshakespeare.txt"]  # no temporary file left behind
    assert first.train == text[:1350] and first.valid == first.test == text[1350:]
    assert first.sha256 == sha256(text)
    second = load_corpus("tinyshakespeare", data_dir=data, progress=False)  # server gone: cache
    assert second == first


def test_tinyshakespeare_download_with_a_wrong_checksum_leaves_nothing(monkeypatch, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / "input.txt").write_text(numbered_lines(150))
    data = tmp_path / "data"
    monkeypatch.setattr(tinyshakespeare, "SHA256", "0" * 64)
    with serving(served) as base, pytest.raises(CorpusError) as caught:
        monkeypatch.setattr(tinyshakespeare, "URL", f"{base}/input.txt")
        load_corpus("tinyshakespeare", data_dir=data, progress=False)
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
        monkeypatch.setattr(tinyshakespeare, "URL", url)
        with pytest.raises(CorpusError) as caught:
            load_corpus("tinyshakespeare", data_dir=data, progress=False)
    message = str(caught.value)
    assert f"could not download {url}" in message
    assert "HTTP 404" in message if failure == "missing" else "refused" in message.lower()
    assert f"at {data / 'tinyshakespeare.txt'}" in message
    assert tinyshakespeare.SHA256 in message and "1,115,394 characters" in message
    assert os.listdir(data) == []


def test_tinyshakespeare_present_with_other_content_is_a_checksum_error(tmp_path):
    (tmp_path / "tinyshakespeare.txt").write_text("not it\n")
    with pytest.raises(CorpusError, match=f"checksum mismatch for {tmp_path / 'tinyshakespeare.txt'}"):
        load_corpus("tinyshakespeare", data_dir=tmp_path)


@pytest.mark.skipif(
    not (SHARED_DATA / "tinyshakespeare.txt").is_file(), reason="no shared tinyshakespeare.txt"
)
def test_real_tinyshakespeare_matches_nanogpt(tmp_path):
    shutil.copy(SHARED_DATA / "tinyshakespeare.txt", tmp_path / "tinyshakespeare.txt")
    corpus = load_corpus("tinyshakespeare", data_dir=tmp_path)
    assert (len(corpus.train), len(corpus.valid), len(corpus.test)) == (1_003_854, 111_540, 111_540)
    assert corpus.sha256 == tinyshakespeare.SHA256
