"""Corpus loaders for the corpus registry's tests: ones that keep the contract, and ones that break
it in each way."""

import hashlib

from generators.base import Corpus
from generators.errors import CorpusError

CALLS = []
NOT_CALLABLE = 3


def letters(name, sha256=None):
    text = "".join(f"Dear friend, this is letter {i:04d} of the family archive.\n" for i in range(60))
    cut, end = len(text) * 8 // 10, len(text) * 9 // 10
    digest = hashlib.sha256(text.encode()).hexdigest() if sha256 is None else sha256
    return Corpus(
        name,
        train=text[:cut],
        valid=text[cut:end],
        test=text[end:],
        sha256=digest,
        split_rule="contiguous 80/10/10",
    )


def load(data_dir, *, progress):
    """Letters of a made-up family archive,
    cut 80/10/10.

    Not part of the description.
    """
    CALLS.append((data_dir, progress))
    return letters("fake_letters")


def undocumented(data_dir, *, progress):
    return letters("fake_undocumented")


class Archive:
    @staticmethod
    def load(data_dir, *, progress):
        """A static method is a loader too."""
        return letters("fake_method")


def not_a_corpus(data_dir, *, progress):
    return "Dear friend, ..."


def breaks_contract(data_dir, *, progress):
    return letters("someone_else", sha256="")


def too_small(data_dir, *, progress):
    return Corpus("fake_small", train="a" * 10, valid="b", test="c", sha256="0" * 64)


def buggy(data_dir, *, progress):
    return {}["letters"]


def old_signature(data_dir):
    return letters("fake_old")


def refusing(data_dir, *, progress):
    raise CorpusError(f"put letters.csv in {data_dir}")
