"""The file:PATH corpus: one file cut at line boundaries, a folder split by whole file, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_support import numbered_lines, sha256

from benchmarks.cli import main
from benchmarks.corpora import load_corpus
from generators.errors import CorpusError


def test_file_split_is_contiguous_at_line_boundaries(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(numbered_lines(200))  # 2,000 characters: 80% and 90% are line boundaries
    corpus = load_corpus(f"file:{path}", data_dir=tmp_path)
    assert corpus.train == numbered_lines(160)
    assert corpus.train + corpus.valid + corpus.test == numbered_lines(200)
    assert len(corpus.valid) == len(corpus.test) == 200


def test_file_split_moves_each_cut_to_the_nearest_line_boundary(tmp_path):
    text = numbered_lines(131, width=13)  # n = 1,703; targets 1,362 and 1,532
    (tmp_path / "text.txt").write_bytes(("\ufeff" + text.replace("\n", "\r\n")).encode())
    corpus = load_corpus(f"file:{tmp_path / 'text.txt'}", data_dir=tmp_path)
    assert corpus.train == text[:1365]  # 1,365 (3 away) beats 1,352 (10 away)
    assert corpus.valid == text[1365:1534]  # 1,534 (2 away) beats 1,521
    assert corpus.test == text[1534:]
    assert corpus.sha256 == sha256(text)  # BOM and CRLF normalised away


def test_a_path_with_a_tilde_is_expanded_and_the_name_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "text.txt").write_text(numbered_lines(200))
    corpus = load_corpus("file:~/text.txt", data_dir=tmp_path)
    assert corpus.name == "file:~/text.txt" and corpus.train == numbered_lines(160)


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
    corpus = load_corpus(f"file:{tmp_path / 'books'}", data_dir=tmp_path)
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
    assert load_corpus(f"file:{tmp_path / 'books'}", data_dir=tmp_path) == corpus


def test_folder_falls_back_to_a_contiguous_split(tmp_path):
    texts = make_folder(tmp_path / "books", {"a.txt": 200, "b.txt": 3, "c.txt": 3})  # one file dominates
    corpus = load_corpus(f"file:{tmp_path / 'books'}", data_dir=tmp_path)
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
        ("z.txt", b"hello\nw\x00rld\n", "z.txt is not text: a NUL byte at byte offset 7"),
        ("z.txt", "\ufeffhi\n".encode("utf-16-le"), "z.txt is not text: a NUL byte at byte offset 3"),
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
        load_corpus(f"file:{path}", data_dir=tmp_path / "data")
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "data").exists()


def test_a_folder_with_a_nul_byte_in_one_file_names_that_file(tmp_path):
    make_folder(tmp_path / "books", {f"book{i}.txt": 30 for i in range(4)})
    (tmp_path / "books" / "book2.txt").write_bytes(b"book2 line 0000\n" * 5 + b"\x00\x01\x02 binary junk")
    with pytest.raises(CorpusError) as caught:
        load_corpus(f"file:{tmp_path / 'books'}", data_dir=tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'books' / 'book2.txt'} is not text: a NUL byte at byte offset 80; "
        "a corpus must be UTF-8 text (is it a binary or a UTF-16 file?)"
    )


def test_the_cli_refuses_a_file_with_nul_bytes_in_one_line_with_status_2(tmp_path, capsys):
    path = tmp_path / "corpus.txt"
    path.write_bytes(numbered_lines(300).encode() + b"\x00")
    out = tmp_path / "run"
    code = main(["run", "--corpus", f"file:{path}", "--generators", "markov", "--out", str(out)])
    stderr = capsys.readouterr().err
    assert (
        code == 2
        and stderr
        == f"textgen-bench: error: {path} is not text: a NUL byte at byte offset 3000; "
        + ("a corpus must be UTF-8 text (is it a binary or a UTF-16 file?)\n")
    )
    assert not out.exists()
