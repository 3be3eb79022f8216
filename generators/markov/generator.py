"""A markovify Markov chain for generation, scored by an interpolated Kneser–Ney model of the same counts.

Tokens (``level="word"``): the text is cut into maximal runs of non-whitespace (markovify's
whitespace-separated words, punctuation attached) and of whitespace. A single space between two
words is the implicit separator and is not a token; every other whitespace run ("\\n", "\\n\\n",
two spaces, a tab, a leading or trailing space) is a token of its own, so newlines are part of the
chain's state. This is lossless: the stream renders back to the text by putting one space between
two consecutive words, and ``state_size`` counts stream tokens. (That is the "markovify words plus
a separator model" design, with the separator model folded into the chain: a single space costs
nothing, any other whitespace is predicted like a word.) ``level="char"``: every character is a
token.

The training text is one markovify run (markovify's "one very long run" for a continuing
process): ``markovify.Chain([token ids], state_size)``, compiled. BEGIN pads the start of a text,
END follows only the last training state.

Generation samples the compiled chain's transition counts with logits = log(count), so
temperature T gives p ∝ count^(1/T), T = 0 the argmax (first follower on ties, in the chain's
order), then top-k, top-p, min-p and typical exactly as :func:`generators.sampling.next_token_probs`
(numpy here). Prompt ``i`` draws one uniform per step from ``np.random.default_rng(seed + i)``; plain
sampling (T = 1, every other setting off) searches ``u · total`` in markovify's cumulative counts
directly. The state is the
prompt's last ``state_size`` tokens; an unseen state backs off to the longest suffix that some
state ends with (sampling the summed follower counts of those states), down to the empty suffix
(all transition counts: unigram frequencies). Slots before the prompt's start and unknown tokens
hold ``NO_TOKEN``, so a short or empty prompt backs off too. Generation never uses BEGIN: with one
run it only replays the corpus opening (every empty prompt began with the training text's first
words). After END the state is emptied the same way. Generation goes on past END and stops at
exactly ``max_chars`` characters (no end-of-text). The walk runs on flat sampling tables built
from the chain in ``fit`` and ``load`` (:mod:`generators.markov.walk`). The repetition penalty and
n-gram blocking read each row's stream tokens (the prompt's, then the generated ones; END is not a
token): such a walk computes every step's distribution from the state's counts, as log(count /
total), instead of searching a table (:meth:`ChainWalk.walk_remembering`).

Scoring: :class:`generators.openvocab.kneser_ney.KneserNey` over context lengths 0..state_size, built from
the compiled chain's own transition counts (END transitions dropped: a score never charges an end
of text, so the token distribution sums to 1 without it). Below the unigrams sits a base
distribution: for words, ``unk_base`` on the unknown token and the rest spread evenly over the
vocabulary (a uniform base would give unknown words only about 1/V of the leftover mass; SRILM
gives them all of it; docs/generators.md); for characters, uniform over the vocabulary plus
the unknown character. An unknown word costs P(UNK | h) · P_spell(word) / (1 − Σ_vocab P_spell):
the :class:`SpellingModel` (Kneser–Ney character n-grams fit on the vocabulary types) renormalised
to the strings outside the vocabulary; an unknown character costs P(UNK | h) / #unseen Unicode
scalars. The only mass lost is on token sequences that do not render back to themselves (two
whitespace tokens in a row, a spelled word holding whitespace), so every string's probability is a
lower bound, never an overcount. Each token's log-probability sits on its last character;
implicit spaces score 0.

``score(text, context)`` = log P(context + text) − log P(context), P(x) the probability that the
output starts with x, ``context + text`` tokenised together (BEGIN-padded). A text's last piece may
go on: it costs P(the next token starts with it), the vocabulary's sorted range with that prefix
plus P(UNK) × the spelling model's prefix mass (a lone space after a word also stands for the
separator before any word). The context's last piece is charged once: that mass is taken off where
the token holding it is charged. So score(a) + score(b, context=a) == score(a + b) at every split.

Saved as JSON: ``chain.json`` (markovify's ``to_json``) and ``markov.json`` (config, vocabulary);
``load`` rebuilds the Kneser–Ney tables and the spelling model from them deterministically, so the
counts cannot drift apart from the chain.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import markovify
import numpy as np

from generators.base import (
    SAMPLING_SETTINGS,
    UNICODE_SCALAR_COUNT,
    Budget,
    Corpus,
    FitReport,
    Generator,
    NextCharDistribution,
    Sampling,
)
from generators.errors import CorpusError
from generators.markov.config import MarkovConfig
from generators.markov.walk import NO_TOKEN, ChainWalk, periodic_from
from generators.openvocab.kneser_ney import KneserNey
from generators.openvocab.spelling import SpellingModel, open_end_logprob, spelling_name, spelling_note
from generators.openvocab.vocabulary import unseen_char_logprob
from generators.options import config_from_dict, config_to_dict
from generators.registry import register_generator
from generators.sampling import TokenHistory

STREAM_PIECE = re.compile(r"\S+|\s+")
BEGIN, END = markovify.chain.BEGIN, markovify.chain.END
FORMAT = 1


def split_stream(text: str, level: str) -> tuple[list[str], list[int]]:
    """The stream tokens of ``text`` and the offset just past each (see the module docstring)."""
    if level == "char":
        return list(text), list(range(1, len(text) + 1))
    pieces = STREAM_PIECE.findall(text)
    ends = list(itertools.accumulate(map(len, pieces)))
    last = len(pieces) - 1
    kept = [i for i, piece in enumerate(pieces) if piece != " " or i in (0, last)]  # not implicit spaces
    return [pieces[i] for i in kept], [ends[i] for i in kept]


@register_generator("markov")
class MarkovGenerator(Generator):
    """markovify chain for text, interpolated Kneser–Ney for likelihoods (word or character level)."""

    config_class = MarkovConfig
    family = "count"
    sampling_settings = SAMPLING_SETTINGS  # the history rules read stream-token ids (walk_remembering)

    def __init__(self, config: MarkovConfig | None = None, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        self.char_level = self.config.level == "char"  # instance attribute: next_char_distribution works
        self.chain: markovify.Chain | None = None
        self.vocab: list[str] = []  # the stream tokens, sorted; a token's id is its place here
        # Built from chain + vocab by _prepare (fit, load):
        self.index: dict[str, int] = {}  # token -> id
        self.unk_id = self.begin_id = 0  # ids of the unknown token and of BEGIN: len(vocab), + 1
        self.codes: np.ndarray | None = None  # character level: the vocabulary's code points, sorted
        self.word_ids: np.ndarray = np.zeros(0, dtype=np.int64)  # word level: ids of the non-whitespace tokens
        self.kn: KneserNey | None = None  # scoring tables, built from the chain's counts
        self.spelling: SpellingModel | None = None  # spells words outside the vocabulary (word level)
        self.walk: ChainWalk | None = None  # sampling tables of the chain

    # ----------------------------------------------------------------- building

    def fit(self, corpus: Corpus, *, seed: int = 0, budget: Budget | None = None) -> FitReport:
        """Count the training text (one pass; ``seed`` and ``budget`` change nothing)."""
        start = time.perf_counter()
        tokens, _ = split_stream(corpus.train, self.config.level)
        if len(tokens) <= self.config.state_size:
            raise CorpusError(
                f"markov: the training text has {len(tokens)} {self.config.level} tokens; "
                f"state_size={self.config.state_size} needs more than {self.config.state_size}"
            )
        self.vocab = sorted(set(tokens))
        index = {token: i for i, token in enumerate(self.vocab)}
        self.chain = markovify.Chain([[index[t] for t in tokens]], self.config.state_size).compile(
            inplace=True
        )
        self._prepare()
        seconds = time.perf_counter() - start
        report = FitReport(seconds=seconds, steps=1, train_chars=len(corpus.train), stopped_by="complete")
        valid = corpus.valid[: self.config.valid_chars or None]
        if valid:
            bpc = -float(self._char_logprobs(valid).sum()) / (len(valid) * math.log(2))
            report.curve.append({"seconds": seconds, "step": 1, "valid_bpc": bpc})
        return report

    def _prepare(self) -> None:
        """Build the id tables, the Kneser–Ney model and the spelling model from chain + vocab."""
        v = len(self.vocab)
        self.index = {token: i for i, token in enumerate(self.vocab)}
        self.unk_id, self.begin_id = v, v + 1
        self.codes = np.array([ord(c) for c in self.vocab], dtype=np.int64) if self.char_level else None
        if self.char_level:
            base = np.full(v + 1, 1.0 / (v + 1))
            self.spelling = None
        else:
            base = np.append(np.full(v, (1 - self.config.unk_base) / v), self.config.unk_base)
            self.spelling = SpellingModel.fit(
                self.vocab,
                order=self.config.spelling_order,
                discount=self.config.spelling_discount,
                excluded=self.vocab,
                known_chars=" ",  # the implicit separator, in no vocabulary token
            )
            self.word_ids = np.flatnonzero([not token[0].isspace() for token in self.vocab])
        ngrams, counts = self._chain_ngrams()
        self.kn = KneserNey(ngrams, counts, v + 1, self.config.discount, base)
        self.walk = ChainWalk(self.chain, self.vocab, char_level=self.char_level)  # sampling tables

    def _chain_ngrams(self) -> tuple[np.ndarray, np.ndarray]:
        """The compiled chain's transitions as (N, state_size + 1) id rows and counts, END dropped."""
        rows: list[int] = []
        counts: list[int] = []
        for state, (followers, cumulative) in self.chain.model.items():
            context = [self.begin_id if s == BEGIN else s for s in state]
            previous = 0
            for token, total in zip(followers, cumulative, strict=True):
                if token != END:
                    rows.extend(context)
                    rows.append(token)
                    counts.append(total - previous)
                previous = total
        width = self.config.state_size + 1
        return np.array(rows, dtype=np.int64).reshape(-1, width), np.array(counts, dtype=np.int64)

    # ----------------------------------------------------------------- scoring

    def _ids(self, tokens: list[str]) -> np.ndarray:
        if self.char_level:
            codes = np.array([ord(c) for c in tokens], dtype=np.int64)
            pos = np.minimum(np.searchsorted(self.codes, codes), len(self.codes) - 1)
            return np.where(self.codes[pos] == codes, pos, self.unk_id)
        return np.array([self.index.get(t, self.unk_id) for t in tokens], dtype=np.int64)

    def _unknown_costs(self, tokens: list[str]) -> np.ndarray:
        """log P(token | UNK) of each: the spelling of an unknown word, or 1 / #unseen characters."""
        if self.char_level:
            return np.full(len(tokens), unseen_char_logprob(len(self.vocab)))
        return self.spelling.logprobs(tokens)

    def token_logprobs(self, tokens: list[str], first: int = 0) -> np.ndarray:
        """log P of stream tokens ``first..`` given all tokens before them (BEGIN-padded start)."""
        self._require_fit()
        k = self.config.state_size
        keep = max(0, first - k)  # tokens before ``keep`` cannot reach the scored ones
        ids = self._ids(tokens[keep:])
        padded = np.concatenate([np.full(k - (first - keep), self.begin_id), ids])
        logprobs = self.kn.logprobs(padded)  # (len(tokens) - first,)
        unknown = np.flatnonzero(ids[first - keep :] == self.unk_id)
        if len(unknown):
            logprobs[unknown] += self._unknown_costs([tokens[first + i] for i in unknown])
        return logprobs

    def _score(self, text: str, context: str) -> np.ndarray:
        return self._char_logprobs(text, context)

    def _char_logprobs(self, text: str, context: str = "") -> np.ndarray:
        """score() itself, also used by fit (so a subclass overriding score leaves fit alone)."""
        out = np.zeros(len(text))
        tokens, ends = split_stream(context + text, self.config.level)
        ends_arr = np.array(ends, dtype=np.int64)
        piece = self._last_piece(context)  # this piece may go on in text
        open_from = len(context) - len(piece)
        first = int(np.searchsorted(ends_arr, open_from, side="right"))  # first token charged
        logprobs = self.token_logprobs(tokens, first)
        if not self.char_level:
            logprobs[-1] = self.open_end_logprob(tokens, len(tokens) - 1)  # the text's last piece may go on
            if piece:
                logprobs[0] -= self.open_end_logprob([*tokens[:first], piece], first)
        in_text = ends_arr[first:] > len(context)
        out[ends_arr[first:][in_text] - len(context) - 1] = logprobs[in_text]
        if len(text):
            out[0] += logprobs[~in_text].sum()  # the context's last piece, complete
        return out

    def open_end_logprob(self, tokens: list[str], j: int) -> float:
        """log P(the next token starts with ``tokens[j]`` | ``tokens[:j]``), word level (a lone space
        after a word also stands for the implicit separator before any word)."""
        k = self.config.state_size
        history = np.concatenate([np.full(k, self.begin_id), self._ids(tokens[max(0, j - k) : j])])
        logprobs = np.log(self.kn.distribution(history[-k:]))  # (V + 1,)
        after_word = tokens[j] == " " and j > 0 and not tokens[j - 1][0].isspace()
        vocabulary = (self.vocab, np.arange(len(self.vocab)))
        words = self.word_ids if after_word else None
        return open_end_logprob(tokens[j], logprobs, vocabulary, self.unk_id, self.spelling, words)

    def _last_piece(self, context: str) -> str:
        """The stream piece that ends ``context`` and could be extended by the text (word level)."""
        if self.char_level or not context:
            return ""
        return STREAM_PIECE.findall(context)[-1]

    def next_char_distribution(self, context: str) -> NextCharDistribution:
        """P(next character | context) for the character level (every Unicode scalar value)."""
        if not self.char_level:
            raise NotImplementedError("markov is character-level only with level='char'")
        self._require_fit()
        k = self.config.state_size
        history = np.concatenate([np.full(k, self.begin_id), self._ids(list(context[-k:]))])
        probs = self.kn.distribution(history[-k:])  # (V + 1,)
        logprobs = dict(zip(self.vocab, np.log(probs[: len(self.vocab)]).tolist(), strict=True))
        rest = math.log(probs[self.unk_id]) + unseen_char_logprob(len(self.vocab))
        return NextCharDistribution(logprobs, rest, UNICODE_SCALAR_COUNT - len(self.vocab))

    def known_characters(self) -> str | None:
        """The vocabulary (character level); the one-character tokens and the spelling alphabet (word)."""
        self._require_fit()
        if self.char_level:
            return "".join(self.vocab)
        return "".join(sorted(set(self.spelling.alphabet) | {t for t in self.vocab if len(t) == 1}))

    def native_token_count(self, text: str) -> int:
        return len(split_stream(text, self.config.level)[0])

    def oov_rate(self, text: str) -> float | None:
        """Fraction of the stream tokens of ``text`` outside the training vocabulary."""
        self._require_fit()
        tokens, _ = split_stream(text, self.config.level)
        return float(np.mean(self._ids(tokens) == self.unk_id)) if tokens else None

    # ----------------------------------------------------------------- generation

    def _generate(self, prompts: list[str], *, max_chars: int, sampling: Sampling, seed: int) -> list[str]:
        self._require_fit()
        texts = []
        for i, prompt in enumerate(prompts):
            tokens, word_before = self._prompt_tokens(prompt)
            state = self._state_of(tokens)
            rng = np.random.default_rng(seed + i)
            if sampling.uses_history:
                history = TokenHistory([self._history_ids(tokens)], sampling.no_repeat_ngram)
                walked = self.walk.walk_remembering(state, word_before, max_chars, sampling, rng, history)
                texts.append(walked)
            else:
                texts.append(self.walk.walk(state, word_before, max_chars, sampling, rng))
        return texts

    def greedy_cycles(self, prompts: Sequence[str], *, max_chars: int) -> list[tuple[int, int] | None]:
        """The cycle greedy decoding of each prompt falls into, from the walk's own states (a state
        seen twice repeats forever; :meth:`ChainWalk.greedy_cycle`): (onset, period) in characters
        of the continuation, the onset being the first character from which the text repeats every
        period characters; None where no state repeats within ``max_chars`` characters."""
        self._require_fit()
        cycles: list[tuple[int, int] | None] = []
        for prompt in prompts:
            tokens, word_before = self._prompt_tokens(prompt)
            found = self.walk.greedy_cycle(self._state_of(tokens), word_before, max_chars)
            cycles.append(None if found is None else (periodic_from(*found), found[2]))
        return cycles

    def _state_of(self, tokens: list[str]) -> tuple[int, ...]:
        """The chain state after ``tokens``: the ids of their last ``state_size``, padded with NO_TOKEN."""
        k = self.config.state_size
        return tuple([NO_TOKEN] * k + [self.index.get(t, NO_TOKEN) for t in tokens[-k:]])[-k:]

    def _prompt_tokens(self, prompt: str) -> tuple[list[str], bool]:
        """The prompt's stream tokens (the chain state is their last ``state_size``) and whether it ends
        with a word."""
        tokens, _ = split_stream(prompt, self.config.level)
        word_before = bool(prompt) and not prompt[-1].isspace()  # the next word needs a space first
        if not self.char_level and tokens and tokens[-1] == " " and len(tokens) > 1:
            tokens = tokens[:-1]  # a trailing single space is the implicit separator already typed
        return tokens, word_before

    def _history_ids(self, tokens: list[str]) -> list[int]:
        """Token ids for the history rules: a token outside the vocabulary gets an id of its own
        below -2 (the same string the same id), so it is never a follower and never END (-1)."""
        unknown: dict[str, int] = {}
        ids = [self.index.get(t) for t in tokens]
        return [unknown.setdefault(t, -3 - len(unknown)) if i is None else i for t, i in zip(tokens, ids, strict=True)]

    # ----------------------------------------------------------------- persistence

    def save(self, directory: str | Path) -> None:
        self._require_fit()
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "chain.json").write_text(self.chain.to_json(), encoding="utf-8")
        meta = {"format": FORMAT, "config": config_to_dict(self.config), "vocab": self.vocab}
        (folder / "markov.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path, *, device: str = "cpu") -> Self:
        folder = Path(directory)
        meta = json.loads((folder / "markov.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(
                f"{folder} holds markov format {meta.get('format')!r}; this version reads {FORMAT}"
            )
        generator = cls(config_from_dict(MarkovConfig, meta["config"]), device=device)
        generator.vocab = meta["vocab"]
        generator.chain = markovify.Chain.from_json((folder / "chain.json").read_text(encoding="utf-8"))
        generator._prepare()
        return generator

    def describe(self) -> dict[str, Any]:
        fitted = self.chain is not None
        return {
            "name": self.name,
            "parameters": self.kn.ngram_count if fitted else 0,  # stored KN n-grams, all orders
            "spelling_ngrams": self.spelling.ngram_count if self.spelling else 0,  # besides the parameters
            "transitions": sum(len(f) for f, _ in self.chain.model.values()) if fitted else 0,
            "vocabulary": len(self.vocab),
            "tokenizer": (
                "characters"
                if self.char_level
                else "whitespace-separated words; non-single-space whitespace runs are tokens; unknown "
                f"words spelled by a {spelling_name(self.config.spelling_order)}"
            ),
            "config": config_to_dict(self.config),
        }

    def card(self) -> dict[str, Any]:
        c = self.config
        states = len(self.chain.model) if self.chain is not None else 0
        ngrams = self.spelling.ngram_count if self.spelling else 0
        spelling = "" if self.char_level else spelling_note(c.spelling_order, ngrams)
        return {
            **super().card(),
            "architecture": f"{c.level} Markov chain, state size {c.state_size} ({states:,} states)",
            "tokenizer": "characters" if self.char_level else "whitespace-separated words",
            "valid_chars": c.valid_chars or None,
            "notes": spelling,
        }

    def _require_fit(self) -> None:
        if self.chain is None:
            raise RuntimeError("markov: call fit() or load() first")
