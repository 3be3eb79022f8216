"""Repetition penalty and n-gram blocking on every built-in generator, each on its own tokens.

markov: stream tokens (words and whitespace runs), with a hand-computed chain; char-lstm:
characters; word-lstm: word tokens (UNK one id); gpt2: BPE ids. For the neural models the test
records the TokenHistory each generation builds and checks that it holds the prompt's tokens, then
exactly the generated ones, and that no generated token completes an n-gram already there.
"""

from __future__ import annotations

import numpy as np
import pytest
from gpt2_support import TINY
from gpt2_support import corpus as gpt2_corpus
from support import TINY_CHAR_LSTM, TINY_WORD_LSTM, VERSE

from generators.base import Budget, Corpus, Sampling
from generators.gpt2.generator import GPT2Generator
from generators.markov.generator import MarkovGenerator
from generators.recurrent.char_lstm import CharLSTMGenerator
from generators.recurrent.word_lstm import WordLSTMGenerator
from generators.sampling import TokenHistory

PROMPTS = ["the cat ", "a dog and a", "on the mat. the"]


@pytest.fixture
def histories(monkeypatch) -> list[TokenHistory]:
    """Every TokenHistory built with rows (not the views of ``subset``), in order."""
    made: list[TokenHistory] = []
    init = TokenHistory.__init__

    def recording(self, rows, ngram=0):
        init(self, rows, ngram)
        if len(self):
            made.append(self)

    monkeypatch.setattr(TokenHistory, "__init__", recording)
    return made


def repeated_ngrams(tokens: list[int], start: int, n: int) -> list[int]:
    """Positions from ``start`` on whose n-gram ending there occurred earlier in ``tokens``."""
    found = []
    for end in range(max(start, n - 1), len(tokens)):
        gram = tuple(tokens[end - n + 1 : end + 1])
        if any(tuple(tokens[j - n + 1 : j + 1]) == gram for j in range(n - 1, end)):
            found.append(end)
    return found


# ---------------------------------------------------------------- markov: a chain computed by hand

# state (a,) -> b 3 times, c once; (b,) -> a 3 times; (c,) -> d; (d,) -> END
CHAIN = Corpus("chain", "a b a b a b a c d", "a b", "a b", "0" * 64)


@pytest.fixture(scope="module")
def chain() -> MarkovGenerator:
    generator = MarkovGenerator.from_options({"state_size": 1})
    generator.fit(CHAIN)
    return generator


def greedy_after_a(generator: MarkovGenerator, **settings) -> str:
    return generator.generate(["a"], max_chars=8, sampling=Sampling(0.0, **settings))[0]


def test_markov_greedy_loops_and_bigram_blocking_breaks_the_loop(chain):
    assert greedy_after_a(chain) == " b a b a"
    # history a b a: after a, b would repeat the bigram (a, b): c, the other follower
    assert greedy_after_a(chain, no_repeat_ngram=2) == " b a c d"


def test_markov_repetition_penalty_multiplies_the_log_probabilities(chain):
    """After a b a, b (seen, p 3/4) against c (unseen, p 1/4): θ · log 3/4 < log 1/4 from θ = 4.82."""
    assert np.log(0.75) * 4 > np.log(0.25) > np.log(0.75) * 5
    assert greedy_after_a(chain, repetition_penalty=4.0) == " b a b a"
    assert greedy_after_a(chain, repetition_penalty=5.0) == " b a c d"


def test_markov_samples_no_repeated_ngram_of_stream_tokens(histories):
    words = [
        "the",
        "cat",
        "sat",
        "on",
        "the",
        "mat",
        "and",
        "the",
        "dog",
        "sat",
        "on",
        "the",
        "log",
        "while",
        "the",
        "cat",
        "ran",
    ]
    rng = np.random.default_rng(0)
    text = "\n".join(" ".join(rng.choice(words, 8)) for _ in range(300))
    generator = MarkovGenerator.from_options({"state_size": 2})
    generator.fit(Corpus("words", text, text[:500], text[:500], "0" * 64))
    for sampling in (Sampling(1.0, no_repeat_ngram=3), Sampling(0.0, no_repeat_ngram=3)):
        histories.clear()
        texts = generator.generate(PROMPTS, max_chars=150, sampling=sampling, seed=3)
        plain = generator.generate(PROMPTS, max_chars=150, sampling=sampling.history_free(), seed=3)
        assert texts != plain
        for prompt, history in zip(PROMPTS, histories, strict=True):
            tokens = history.tokens(0)
            known = len(generator._prompt_tokens(prompt)[0])
            assert repeated_ngrams(tokens, known, 3) == []


# ---------------------------------------------------------------- char-lstm: characters


@pytest.fixture(scope="module")
def char_lstm() -> CharLSTMGenerator:
    generator = CharLSTMGenerator.from_options(TINY_CHAR_LSTM)
    generator.fit(Corpus("tiny", VERSE * 30, VERSE * 3, VERSE, "0" * 64), seed=0, budget=Budget(steps=60))
    return generator


@pytest.mark.parametrize("sampling", [Sampling(0.0, no_repeat_ngram=4), Sampling(1.0, no_repeat_ngram=3)])
def test_char_lstm_history_is_the_characters_and_no_ngram_repeats(char_lstm, histories, sampling):
    texts = char_lstm.generate(PROMPTS, max_chars=60, sampling=sampling, seed=1)
    (history,) = histories
    for row, (prompt, text) in enumerate(zip(PROMPTS, texts, strict=True)):
        tokens = history.tokens(row)
        assert tokens[: len(prompt) + len(text)] == char_lstm.encode(prompt + text).ids.tolist()
        assert repeated_ngrams(tokens, len(prompt), sampling.no_repeat_ngram) == []
    assert texts != char_lstm.generate(PROMPTS, max_chars=60, sampling=sampling.history_free(), seed=1)


def test_char_lstm_repetition_penalty_reads_the_prompt(char_lstm, histories):
    """Greedy after "the cat " with θ = 1e6: each character of the prompt is penalised at once."""
    penalised = Sampling(0.0, repetition_penalty=1e6)
    text = char_lstm.generate(["the cat "], max_chars=40, sampling=penalised)[0]
    assert histories[0].tokens(0)[:8] == char_lstm.encode("the cat ").ids.tolist()
    assert text != char_lstm.generate(["the cat "], max_chars=40, sampling=Sampling(0.0))[0]


# ---------------------------------------------------------------- word-lstm: word tokens


@pytest.fixture(scope="module")
def word_lstm() -> WordLSTMGenerator:
    generator = WordLSTMGenerator.from_options({**TINY_WORD_LSTM, "vocab_size": 40})
    generator.fit(Corpus("tiny", VERSE * 30, VERSE * 3, VERSE, "0" * 64), seed=0, budget=Budget(steps=60))
    return generator


@pytest.mark.parametrize("sampling", [Sampling(0.0, no_repeat_ngram=3), Sampling(1.0, no_repeat_ngram=2)])
def test_word_lstm_history_is_the_word_tokens_and_no_ngram_repeats(word_lstm, histories, sampling):
    texts = word_lstm.generate(PROMPTS, max_chars=80, sampling=sampling, seed=2)
    (history,) = histories
    unknown = word_lstm.unknown_id
    for row, (prompt, text) in enumerate(zip(PROMPTS, texts, strict=True)):
        tokens = history.tokens(row)
        prompt_ids = word_lstm.encode(prompt).ids.tolist()
        assert tokens[: len(prompt_ids)] == prompt_ids
        generated = tokens[len(prompt_ids) :]
        known = generated[: generated.index(unknown)] if unknown in generated else generated
        rendered = "".join(word_lstm.tokens[t] for t in known)  # the text up to its first spelled word
        assert text.startswith(rendered[: len(text)])
        if unknown not in generated:  # rows go on while others finish: the text is a prefix
            assert rendered[: len(text)] == text
        assert repeated_ngrams(tokens, len(prompt_ids), sampling.no_repeat_ngram) == []


# ---------------------------------------------------------------- gpt2: BPE ids


@pytest.fixture(scope="module")
def gpt2() -> GPT2Generator:
    generator = GPT2Generator.from_options(TINY)
    generator.fit(gpt2_corpus(), seed=0, budget=Budget(steps=30))
    return generator


@pytest.mark.parametrize(
    "sampling", [Sampling(0.0, no_repeat_ngram=2), Sampling(1.0, repetition_penalty=1.5)]
)
def test_gpt2_history_is_the_bpe_ids_without_end_of_text(gpt2, histories, sampling):
    texts = gpt2.generate(PROMPTS, max_chars=60, sampling=sampling, seed=4)
    (history,) = histories
    contexts, healed = gpt2._healed_prompts(PROMPTS)
    tokens = gpt2.tokens
    for row, (context, text) in enumerate(zip(contexts, texts, strict=True)):
        ids = history.tokens(row)
        assert ids[: len(context) - 1] == context[1:]  # the prompt's tokens, no <|endoftext|>
        generated = ids[len(context) - 1 :]
        written = b"".join(tokens.token_bytes(t) for t in generated).decode("utf-8", "replace")
        assert written.startswith(healed[row] + text[:-1]) or tokens.end_of_text in generated
        if sampling.no_repeat_ngram:
            assert repeated_ngrams(ids, len(context) - 1, sampling.no_repeat_ngram) == []
    assert texts != gpt2.generate(PROMPTS, max_chars=60, sampling=sampling.history_free(), seed=4)
