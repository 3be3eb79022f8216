"""word-lstm: a word-level recurrent language model with an open vocabulary.

Tokens come from the lossless :func:`generators.vocabulary.tokenize_words` (words, single
punctuation characters, whitespace runs). The vocabulary is the ``vocab_size`` most frequent
training tokens plus an unknown symbol (UNK). A token outside the vocabulary costs
``log P(UNK | history) + log P_spelling(token)``, so every string gets a finite score.

Scoring tokenizes ``context + text`` together; a text's last token (a word or whitespace run may
go on) costs P(the next token starts with it): the vocabulary tokens with that prefix plus P(UNK)
× the spelling model's mass of unknown strings with it, and the context's last token is charged
once (see :meth:`RecurrentGenerator._score`), so the chain rule holds at every split.

The spelling model (:class:`generators.spelling.SpellingModel`, Kneser–Ney character n-grams) is
fit on the training token *occurrences* that fall outside the vocabulary: P_spelling is meant to
be P(string | UNK), and its maximum-likelihood estimate is the distribution of the strings that
stood behind UNK in training (rare words, numbers, odd punctuation), each as often as it occurred.
(When every training token is in the vocabulary it is fit on all training token types instead.)
In-vocabulary strings are always scored by their own id, so the spelling model excludes them and
renormalises over the rest. The only mass lost is on spellings that would not tokenize back to
one token (a spelled "a b"), so the reported bpc is an upper bound, never flattering.

Generation never prints an UNK marker and never drops the word UNK stands for: UNK is a token
like any other (temperature, top-k and top-p act on it as on the rest), and when it is picked the
row spells a non-empty string outside the vocabulary with the spelling model, the same sampling
applied to each character, from its own stream (``default_rng([seed + i, 1])``). Greedy decoding
picks UNK where it is the most likely token and spells the most likely string, so ``top_k = 1`` is
greedy at every temperature. (Greedy used to block UNK, and temperatures below 1 all but blocked
it: "[Enter a Servant.]" came out "[Enter .]" wherever the name was unknown.)
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from generators.base import Sampling
from generators.configs.word_lstm import WordLSTMConfig
from generators.recurrent_generator import Encoded, RecurrentGenerator
from generators.registry import register_generator
from generators.spelling import SpellingModel, open_token_logprob
from generators.vocabulary import tokenize_words


@register_generator("word-lstm")
class WordLSTMGenerator(RecurrentGenerator):
    """Word-level LSTM/GRU/RNN; unknown tokens are spelled out character by character."""

    config_class = WordLSTMConfig
    tokens_go_on = True

    def __init__(self, config: Any = None, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        self.tokens: list[str] = []  # the vocabulary, most frequent first; UNK is id len(tokens)
        self.index: dict[str, int] = {}
        self.spelling: SpellingModel | None = None

    def build_vocabulary(self, train_text: str) -> None:
        counts = Counter(tokenize_words(train_text))
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))  # ties broken by the text
        self.set_tokens([t for t, _ in ranked[: self.config.vocab_size]])
        outside = Counter(dict(ranked[self.config.vocab_size :]))  # each as often as it occurred
        self.spelling = SpellingModel(
            outside or Counter(list(counts)),
            order=self.config.spelling_order,
            discount=self.config.spelling_discount,
            excluded=self.tokens,
        )

    def set_tokens(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.index = {t: i for i, t in enumerate(tokens)}
        order = sorted(range(len(tokens)), key=tokens.__getitem__)
        self.sorted_tokens = [tokens[i] for i in order]  # for prefix ranges
        self.sorted_ids = np.array(order, dtype=np.int64)

    def vocabulary_size(self) -> int:
        return len(self.tokens) + 1

    def encode(self, text: str) -> Encoded:
        words = tokenize_words(text)
        unknown = len(self.tokens)
        ids = np.fromiter((self.index.get(w, unknown) for w in words), dtype=np.int64, count=len(words))
        ends = np.cumsum([len(w) for w in words], dtype=np.int64) - 1
        extra = np.zeros(len(words))
        outside = np.flatnonzero(ids == unknown)
        if len(outside):
            extra[outside] = self.require_spelling().logprobs([words[i] for i in outside])
        return Encoded(ids, ends, extra)

    def require_spelling(self) -> SpellingModel:
        if self.spelling is None:
            raise RuntimeError(f"{self.name} is not trained: call fit() or load() first")
        return self.spelling

    def token_text(self, token: int, rng: np.random.Generator, sampling: Sampling) -> str:
        if token < len(self.tokens):
            return self.tokens[token]
        return self.require_spelling().sample(rng, sampling)

    def prefix_logprob(self, piece: str, logprobs: np.ndarray) -> float:
        """log P(the next token starts with ``piece``): vocabulary tokens and spellings with that prefix."""
        vocabulary = (self.sorted_tokens, self.sorted_ids)
        return open_token_logprob(piece, logprobs, vocabulary, self.unknown_id, self.require_spelling())

    def known_characters(self) -> str:
        """The one-character vocabulary tokens and the spelling model's alphabet (every other
        character is UNK spelled with an unseen character)."""
        spelling = self.require_spelling()
        return "".join(sorted(set(spelling.alphabet) | {t for t in self.tokens if len(t) == 1}))

    def logit_bias(self, sampling: Sampling) -> dict[int, float]:
        """No bias: UNK is tempered and cut by top-k and top-p like any token, at every temperature;
        its spelling follows the same sampling, character by character (see the module docstring)."""
        return {}

    @classmethod
    def check_saved(cls, meta: dict[str, Any], path: Path) -> None:
        if "order" not in meta.get("vocabulary", {}).get("spelling", {}):
            raise ValueError(
                f"{path} holds a word-lstm saved with the older character-bigram spelling model; train it again"
            )

    def describe(self) -> dict[str, Any]:
        spelling = self.spelling.ngram_count if self.spelling else 0
        return {**super().describe(), "spelling_ngrams": spelling}  # besides the network's parameters

    def tokenizer_description(self) -> str:
        return (
            f"words, punctuation and whitespace runs: {len(self.tokens)} most frequent + UNK "
            f"(unknown tokens spelled by a character {self.config.spelling_order + 1}-gram Kneser–Ney model)"
        )

    def vocabulary_to_json(self) -> dict[str, Any]:
        return {"tokens": self.tokens, "spelling": self.require_spelling().to_json()}

    def vocabulary_from_json(self, data: dict[str, Any]) -> None:
        self.set_tokens(list(data["tokens"]))
        self.spelling = SpellingModel.from_json(data["spelling"], excluded=self.tokens)
