"""``tinyshakespeare``: karpathy's 1,115,394-character file, split exactly as nanoGPT, so bits per
character compare with published numbers."""

from __future__ import annotations

from pathlib import Path

from benchmarks.corpora.fetch import check_file_sha256, download
from benchmarks.corpora.normalise import read_text
from benchmarks.corpora.split import check_split_sizes, sha256_text
from generators.base import Corpus

URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
CHARS = 1_115_394


def load(data_dir: Path, *, progress: bool) -> Corpus:
    """karpathy's tinyshakespeare (1.1 M chars), nanoGPT's first 90% / last 10% split"""
    path = data_dir / "tinyshakespeare.txt"
    hint = (
        f"put tinyshakespeare's input.txt ({CHARS:,} characters, sha256 "
        f"{SHA256}) at {path}, e.g. copied from a local copy"
    )
    if not path.is_file():
        what = "tinyshakespeare (1.1 MB, once)"
        download(URL, path, what=what, hint=hint, progress=progress, sha256=SHA256)
    check_file_sha256(path, SHA256, hint.replace("put", "delete it or put", 1))
    return nanogpt_split("tinyshakespeare", read_text(path))


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
