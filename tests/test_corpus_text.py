"""The pure text rules: decoding, Gutenberg boilerplate, AG News escapes (normalise.py) and the
split by whole part (split.py), on constructed strings."""

from __future__ import annotations

import hashlib
import re

import pytest

from benchmarks.corpora.normalise import decode_text, strip_gutenberg_boilerplate, unescape_ag_news
from benchmarks.corpora.split import assign_parts, corpus_from_parts, describe_part_split
from generators.errors import CorpusError

GUTENBERG_WRAPPED = (
    "The Project Gutenberg EBook of Quux, by William Shakespeare\n\nLicense blah\n"
    "*** START OF THIS PROJECT GUTENBERG EBOOK QUUX ***\n\nQUUX\n\nQuux. Speak, quux!\n\n"
    "*** END OF THIS PROJECT GUTENBERG EBOOK QUUX ***\nMore license text\n"
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"caf\xc3\xa9\x00", "is not text: a NUL byte at byte offset 5"),
        (b"\xff\x00", "is not text: a NUL byte at byte offset 1"),  # a NUL byte is named first
        (b"ab\xe9cd", "is not valid UTF-8: byte offset 2 \\(invalid continuation byte\\)"),
    ],
)
def test_decode_text_names_the_source_and_the_first_bad_byte(data, message):
    with pytest.raises(CorpusError, match=f"^notes.txt {message}"):
        decode_text(data, "notes.txt")


def test_decode_text_keeps_every_other_character():
    text = "tab\tbell\x07 é 漢 🙂\r\n"
    assert decode_text(text.encode(), "t") == text


@pytest.mark.parametrize(
    ("text", "body"),
    [
        (GUTENBERG_WRAPPED, "\n\nQUUX\n\nQuux. Speak, quux!\n\n"),
        ("header\n***START OF THE PROJECT GUTENBERG EBOOK X***\nbody\n***END OF THE PROJECT GUTENBERG EBOOK X***\n", "\nbody\n"),
        ("Etext header\n*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\nbody\nEnd of the Project Gutenberg EBook of X\n", "\nbody\n"),
        ("just a play\nwith no markers\n", "just a play\nwith no markers\n"),
    ],
)  # fmt: skip
def test_gutenberg_boilerplate_is_stripped(text, body):
    assert strip_gutenberg_boilerplate(text) == body


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


def test_the_split_rule_states_each_split_at_the_length_the_corpus_has():
    # works end in LF and a split joins its works by a blank line, so a split of k works holds k − 1
    # characters more than its works: the rule once gave test 531,535 against len(test) 531,538
    works = {f"work{i}": f"Work {i}.\n" + "x" * (40 + 7 * i) + "\n" for i in range(12)}
    assignment = {name: "test" if i < 3 else "valid" if i < 5 else "train" for i, name in enumerate(works)}
    rule = describe_part_split(works, assignment, "salt", "work", 0.1, 0.05)
    corpus = corpus_from_parts("c", works, assignment, rule)
    stated = dict(re.findall(r"(test|valid) = [\w, ]+ \(([\d,]+) characters", rule))
    assert {split: int(n.replace(",", "")) for split, n in stated.items()} == {
        "test": len(corpus.test),
        "valid": len(corpus.valid),
    }
    assert len(corpus.test) == sum(len(works[f"work{i}"]) for i in range(3)) + 2  # two blank lines
