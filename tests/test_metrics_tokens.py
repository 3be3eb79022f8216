"""Word tokens for every text metric: Welleck et al.'s split, newlines included, CJK characters one each, NFC."""

from __future__ import annotations

import unicodedata

import pytest

from benchmarks.metrics import loop_tokens, token_spans, word_tokens


def test_words_single_punctuation_and_newlines():
    assert word_tokens("Hello, world! It's 3pm.\n") == [
        "Hello",
        ",",
        "world",
        "!",
        "It",
        "'",
        "s",
        "3pm",
        ".",
        "\n",
    ]
    assert word_tokens(" \n\t \r\n") == ["\n", "\n"]  # a newline is a token, other whitespace is not


def test_each_cjk_ideograph_kana_and_hangul_syllable_is_a_token():
    assert word_tokens("我爱你我爱你") == ["我", "爱", "你", "我", "爱", "你"]
    assert word_tokens("東京タワーへ行く") == ["東", "京", "タ", "ワ", "ー", "へ", "行", "く"]
    assert word_tokens("안녕하세요 world") == ["안", "녕", "하", "세", "요", "world"]
    # extension B, and a compatibility ideograph NFC keeps (U+F900 itself is mapped to U+8C48 by NFC)
    assert word_tokens("\U00020000\ufa0e\uf900") == ["\U00020000", "\ufa0e", "\u8c48"]
    assert word_tokens("abc我def") == ["abc", "我", "def"]  # a run of other word characters stays whole
    assert word_tokens("สวัสดีครับ") == ["สวัสดีครับ"]  # Thai: one run (it needs a dictionary)


def test_combining_marks_stay_in_their_word():
    # Thai vowel signs and Devanagari vowel signs have no precomposed forms; re's \w leaves them out
    assert word_tokens("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]
    assert word_tokens("ครับ, ค่ะ") == ["ครับ", ",", "ค่ะ"]


def test_nfd_accents_do_not_split_a_word():
    nfd = unicodedata.normalize("NFD", "café déjà vu")
    assert nfd != "café déjà vu"
    assert word_tokens(nfd) == ["café", "déjà", "vu"]
    assert token_spans(nfd) == [("café", 0), ("déjà", 5), ("vu", 10)]  # offsets into the NFC text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the state of the sta", ["the", "state", "of", "the"]),  # "sta" reaches the limit: cut
        ("the state of the", ["the", "state", "of"]),  # a whole last word at the limit looks the same
        ("the state of ", ["the", "state", "of"]),  # ends in a space: every token kept
        ("Servant.]\n\n[Ente", ["Servant", ".", "]", "\n", "\n", "["]),
        ("a b.", ["a", "b", "."]),  # ends in punctuation: kept
        ("a b\n", ["a", "b", "\n"]),  # ends in a newline: kept
        ("café", []),  # one (non-ASCII) word reaching the limit
        ("我爱你", ["我", "爱", "你"]),  # one ideograph is whole: never cut
        ("", []),
    ],
)
def test_loop_tokens_leave_out_a_last_word_the_limit_cut(text, expected):
    assert loop_tokens(text, max_chars=len(text)) == expected
    assert loop_tokens(text) == loop_tokens(text, max_chars=len(text) + 1) == word_tokens(text)  # not cut
