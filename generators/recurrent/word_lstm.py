"""word-lstm: a word-level recurrent language model with an open vocabulary.

Tokens come from the lossless :func:`generators.openvocab.vocabulary.tokenize_words` (words, single
punctuation characters, whitespace runs). The vocabulary is the ``vocab_size`` most frequent
training tokens plus an unknown symbol (UNK). A token outside the vocabulary costs
``log P(UNK | history) + log P_spelling(token)``, so every string gets a finite score.

Scoring tokenizes ``context + text`` together; a text's last token (a word or whitespace run may
go on) costs P(the next token starts with it): the vocabulary tokens with that prefix plus P(UNK)
× the spelling model's mass of unknown strings with it, and the context's last token is charged
once (see :meth:`RecurrentGenerator._score`), so the chain rule holds at every split.

The spelling model (:class:`generators.openvocab.spelling.SpellingModel`, Kneser–Ney character n-grams) is
fit on the training token *occurrences* that fall outside the vocabulary: P_spelling is meant to
be P(string | UNK), and its maximum-likelihood estimate is the distribution of the strings that
stood behind UNK in training (rare words, numbers, odd punctuation), each as often as it occurred.
(When every training token is in the vocabulary it is fit on all training token types instead.)
In-vocabulary strings are always scored by their own id, so the spelling model excludes them and
renormalises over the rest. The only mass lost is on spellings that would not tokenize back to
one token (a spelled "a b"), so the reported bpc is an upper bound, never flattering.

Generation never prints an UNK marker: when UNK is picked, the row spells a non-empty string
outside the vocabulary with the spelling model, the same sampling applied to each character, from
its own stream (``default_rng([seed + i, 1])``). Temperature acts on UNK as :meth:`logit_bias`
says; greedy decoding, top-k and top-p rank it as the one word greedy would spell
(:meth:`rank_bias`), so ``top_k = 1`` and a tiny ``top_p`` are greedy at every temperature, and
greedy writes an unknown word where it beats every known word (a name no known word can stand
for is spelled, not left out).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from generators.base import Sampling
from generators.openvocab.spelling import SpellingModel, open_end_logprob, spelling_name, spelling_note
from generators.openvocab.vocabulary import tokenize_words
from generators.recurrent.config import WordLSTMConfig
from generators.recurrent.generator import Encoded, RecurrentGenerator
from generators.registry import register_generator


@register_generator("word-lstm")
class WordLSTMGenerator(RecurrentGenerator):
    """Word-level LSTM/GRU/RNN; unknown tokens are spelled out character by character."""

    config_class = WordLSTMConfig
    open_ends = True

    def __init__(self, config: Any = None, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        self.tokens: list[str] = []  # the vocabulary, most frequent first; UNK is id len(tokens)
        self.index: dict[str, int] = {}  # token -> id
        self.sorted_tokens: list[str] = []  # the vocabulary sorted, for ranges of tokens by prefix
        self.sorted_ids: np.ndarray = np.zeros(0, dtype=np.int64)  # their ids
        self.spelling: SpellingModel | None = None  # spells the tokens outside the vocabulary
        self._log_spelling_perplexity: float | None = None  # estimated on first use
        self._log_best_spelling: float | None = None  # computed on first use

    def build_vocabulary(self, train_text: str) -> None:
        counts = Counter(tokenize_words(train_text))
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))  # ties broken by the text
        tokens = [t for t, _ in ranked[: self.config.vocab_size]]
        outside = Counter(dict(ranked[self.config.vocab_size :]))  # each as often as it occurred
        spelling = SpellingModel(
            outside or Counter(list(counts)),
            order=self.config.spelling_order,
            discount=self.config.spelling_discount,
            excluded=tokens,
        )
        self.set_vocabulary(tokens, spelling)

    def set_vocabulary(self, tokens: list[str], spelling: SpellingModel) -> None:
        """The vocabulary, its lookup tables and the spelling model; estimates of the old one are
        forgotten."""
        self.tokens = tokens
        self.index = {t: i for i, t in enumerate(tokens)}
        order = sorted(range(len(tokens)), key=tokens.__getitem__)
        self.sorted_tokens = [tokens[i] for i in order]
        self.sorted_ids = np.array(order, dtype=np.int64)
        self.spelling = spelling
        self._log_spelling_perplexity = self._log_best_spelling = None

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

    def open_end_logprob(self, piece: str, logprobs: np.ndarray) -> float:
        """log P(the next token starts with ``piece``): vocabulary tokens and spellings with that prefix."""
        vocabulary = (self.sorted_tokens, self.sorted_ids)
        return open_end_logprob(piece, logprobs, vocabulary, self.unknown_id, self.require_spelling())

    def known_characters(self) -> str:
        """The one-character vocabulary tokens and the spelling model's alphabet (every other
        character is UNK spelled with an unseen character)."""
        spelling = self.require_spelling()
        return "".join(sorted(set(spelling.alphabet) | {t for t in self.tokens if len(t) == 1}))

    @property
    def log_spelling_perplexity(self) -> float:
        """log N, N = exp(entropy of the spelling model): a Monte Carlo estimate from 2,000 spellings."""
        if self._log_spelling_perplexity is None:
            spelling, rng = self.require_spelling(), np.random.default_rng(0)
            spellings = [spelling.sample(rng) for _ in range(2000)]
            self._log_spelling_perplexity = -float(np.mean(spelling.logprobs(spellings)))
        return self._log_spelling_perplexity

    @property
    def log_best_spelling(self) -> float:
        """log P_spelling of the word greedy spells (the most likely characters, one by one)."""
        if self._log_best_spelling is None:
            spelling = self.require_spelling()
            self._log_best_spelling = spelling.logprob(spelling.sample(np.random.default_rng(0), Sampling(0.0)))
        return self._log_best_spelling

    def logit_bias(self, sampling: Sampling) -> dict[int, float]:
        """Below T = 1, temperature sharpens each unknown word, not UNK as a whole; above, UNK as one token.

        UNK stands for many strings, each with P(UNK) × P_spelling(w). Sharpening each of them by
        1/T, as temperature does to known words, gives UNK the mass P(UNK)^(1/T) · Σ_w P_spelling(w)^(1/T),
        which for N equally likely spellings is P(UNK)^(1/T) · N^(1 - 1/T); N = exp(entropy of the
        spelling model) (``log_spelling_perplexity``). Dividing UNK's logit by T alone would let UNK,
        the sum of many rare words, win at low temperatures.

        Above T = 1 the uniform-spellings formula is no fair stand-in: the exact sum is dominated by
        ever longer, improbable spellings (for a character bigram it diverges), and N^(1 - 1/T)
        makes UNK win most steps. There UNK is tempered like any other token, as the character and
        BPE models temper theirs. Greedy decoding and top-k / top-p choose by :meth:`rank_bias`
        instead. The measurements behind both choices are in docs/generators.md.
        """
        if sampling.greedy or sampling.temperature >= 1.0:
            return {}
        return {len(self.tokens): (sampling.temperature - 1.0) * self.log_spelling_perplexity}

    def rank_bias(self) -> dict[int, float]:
        """Greedy, top-k and top-p rank UNK as the one word greedy would spell: P(UNK) × P_spelling
        of it (``log_best_spelling``), not the mass of every unknown word together. The ranking does
        not depend on the temperature, so top_k = 1 is greedy at every temperature, and greedy writes
        an unknown word wherever that word beats every known one (a name no known word can stand for)."""
        return {len(self.tokens): self.log_best_spelling}

    @classmethod
    def check_saved(cls, meta: dict[str, Any], path: Path) -> None:
        if "order" not in meta.get("vocabulary", {}).get("spelling", {}):
            raise ValueError(
                f"{path} holds a word-lstm saved with the older character-bigram spelling model; train it again"
            )

    def describe(self) -> dict[str, Any]:
        spelling = self.spelling.ngram_count if self.spelling else 0
        return {**super().describe(), "spelling_ngrams": spelling}  # besides the network's parameters

    card_tokenizer = "words, punctuation, whitespace runs + UNK"

    def card(self) -> dict[str, Any]:
        spelling = self.spelling.ngram_count if self.spelling else 0
        return {**super().card(), "notes": spelling_note(self.config.spelling_order, spelling)}

    def tokenizer_description(self) -> str:
        return (
            f"words, punctuation and whitespace runs: {len(self.tokens)} most frequent + UNK "
            f"(unknown tokens spelled by a {spelling_name(self.config.spelling_order)})"
        )

    def vocabulary_to_json(self) -> dict[str, Any]:
        return {"tokens": self.tokens, "spelling": self.require_spelling().to_json()}

    def vocabulary_from_json(self, data: dict[str, Any]) -> None:
        tokens = list(data["tokens"])
        self.set_vocabulary(tokens, SpellingModel.from_json(data["spelling"], excluded=tokens))
