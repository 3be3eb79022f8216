"""Conformance checks that a generator's numbers are honest: the chain rule, normalisation, sampling.

Every generator, built-in or plugin, must pass them (they are in :data:`generators.testing.CHECKS`):

* chain rule: ``score(a).sum() + score(b, context=a).sum()`` equals ``score(a + b).sum()`` within
  :data:`CHAIN_TOLERANCE` nats for texts cut at a word boundary, after a space, a newline or a blank
  line, before a whitespace run, after punctuation and after an unseen character (``CHAIN_SPLITS``).
  Inside a word and inside a whitespace run (``SUBWORD_SPLITS``) only within
  :data:`SUBWORD_TOLERANCE`: a subword tokenizer may tokenize the end of ``a`` anew once ``b``
  follows (other BPE merges inside the word; GPT-2's pre-tokenizer joins a whole run of newlines),
  and no rule for the context's last token undoes that. On 4,000 characters of the shakespeare test
  split the quick profile's gpt2 (BPE, 2,048 tokens) was off at 33 of 193 splits inside words (by up
  to 17 nats) and at 2 of 142 splits after a newline, both inside runs of newlines (up to 3.7), and
  exact at every split after a space, before a space and after punctuation; character models,
  markov and word-lstm are exact everywhere;
* normalisation: for a few contexts, the probabilities ``exp(score(c, context).sum())`` of the single
  characters c the model knows (``Generator.known_characters``; the characters of the kit's training
  text when it does not say), plus every other Unicode scalar value at the rate of an unseen one,
  sum to at most 1 + 1e-6. A token model's single-character scores are at most its prefix
  probabilities, so every honest model passes; one that adds log 4 to each score does not;
* sampling: ``top_k = 1`` and ``top_p = 1e-9`` give the greedy text at temperatures 0.5, 1 and 5
  whatever the seed; on character-level models, ``top_k = 2`` never lets more than two characters
  follow a prefix (40 continuations at T = 50). The kit sees no other model's tokens, so that last
  rule is checked on characters only.

A run applies the normalisation and sampling rules to every model it fitted before ranking it
(:func:`fitted_model_problem`): a plugin that passes the kit but inflates its scores at run time
fails its row there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from generators.base import UNICODE_SCALAR_COUNT, Sampling
from generators.testing.kit import (
    CHAIN_SPLITS,
    GREEDY,
    KIT_CORPUS,
    PROMPTS,
    SUBWORD_SPLITS,
    Factory,
    fitted,
    generate_checked,
    require_char_level,
)

CHAIN_TOLERANCE = 1e-3  # nats: float32 models differ by ~1e-6 between scoring a + b and its parts
SUBWORD_TOLERANCE = 20.0  # nats: a BPE may tokenize the end of a anew once b follows (see above)
NORMALISATION_CONTEXTS = ("", "The ", "It was a dark", '"Yes," she said.\n')
UNSEEN_PROBES = ("Ж", "\U0001f600", "\u2003")  # a letter, an emoji, a space: the rest at the highest


def check_score_chain_rule_sum(factory: Factory) -> None:
    """score(a) + score(b | a) == score(a + b) at word boundaries, whitespace, punctuation (1e-3 nats)."""
    generator, _ = fitted(factory)
    splits = [(a, b, CHAIN_TOLERANCE) for a, b in CHAIN_SPLITS]
    splits += [(a, b, SUBWORD_TOLERANCE) for a, b in SUBWORD_SPLITS]
    for a, b, tolerance in splits:
        parts = float(generator.score(a).sum() + generator.score(b, context=a).sum())
        whole = float(generator.score(a + b).sum())
        assert abs(parts - whole) <= tolerance, (
            f"{a!r} + {b!r}: score(a) + score(b | a) = {parts:.6f}, score(a + b) = {whole:.6f}"
        )


class Model(Protocol):
    """What the honesty checks call: a fitted Generator, or a run's checked view of one."""

    char_level: bool

    def known_characters(self) -> str | None: ...

    def score(self, text: str, context: str = "") -> np.ndarray: ...

    def generate(
        self, prompts: Sequence[str], *, max_chars: int, sampling: Sampling, seed: int
    ) -> list[str]: ...


def _single_character_total(generator: Model, context: str, trained_on: str) -> float:
    """Σ over known characters of P(c | context), plus every other character at the unseen rate;
    over the characters of ``trained_on`` only when the model does not say which it knows."""
    known = generator.known_characters()
    chars = sorted(set(known if known is not None else trained_on))
    total = math.fsum(math.exp(float(generator.score(c, context=context).sum())) for c in chars)
    if known is None:
        return total
    unseen = [c for c in UNSEEN_PROBES if c not in chars]
    rate = max(math.exp(float(generator.score(c, context=context).sum())) for c in unseen)
    return total + (UNICODE_SCALAR_COUNT - len(chars)) * rate


def normalisation_problem(generator: Model, trained_on: str) -> str | None:
    """Why the single characters' probabilities after some context sum to more than 1 + 1e-6, or None.

    ``trained_on`` is the text the model was fitted on (its characters are summed over when the
    model does not say which it knows).
    """
    for context in NORMALISATION_CONTEXTS:
        total = _single_character_total(generator, context, trained_on)
        if not total <= 1 + 1e-6:
            return f"after {context!r} the single characters' probabilities sum to {total!r}, more than 1"
    return None


def greedy_problem(generator: Model) -> str | None:
    """Why ``top_k = 1`` or ``top_p = 1e-9`` did not give the greedy text at some temperature, or None."""
    if not {"top_k", "top_p"} & generator.sampling_settings:
        return None  # it honours neither: generate refuses them (a check of its own)
    greedy = generate_checked(generator, PROMPTS, 40, GREEDY, 0)
    for temperature, seed in ((0.5, 1), (1.0, 2), (5.0, 3)):
        for sampling in (Sampling(temperature, top_k=1), Sampling(temperature, top_p=1e-9)):
            if not generator.supports(sampling):
                continue
            texts = generate_checked(generator, PROMPTS, 40, sampling, seed)
            if texts != greedy:
                return f"{sampling}, seed {seed}: {texts} is not the greedy {greedy}"
    return None


def top_k_two_problem(generator: Model) -> str | None:
    """Why ``top_k = 2`` let more than two characters follow some prefix (T = 50), or None; None
    for a model that is not character-level (the kit sees no other model's tokens)."""
    if not generator.char_level or "top_k" not in generator.sampling_settings:
        return None
    sampling = Sampling(50.0, top_k=2)
    for prompt in ("The ", ""):
        texts = generate_checked(generator, [prompt] * 40, 8, sampling, 0)  # 40 seeded streams
        following: dict[str, set[str]] = {}
        for text in texts:
            for i in range(len(text)):
                following.setdefault(text[:i], set()).add(text[i])
        wide = {prefix: chars for prefix, chars in following.items() if len(chars) > 2}
        if wide:
            return f"top_k=2 after {prompt!r}: {len(wide)} prefixes have more followers, e.g. {wide}"
        greedy = generate_checked(generator, [prompt], 1, GREEDY, 0)[0]
        if greedy not in following[""]:
            return f"top_k=2 after {prompt!r}: the greedy {greedy!r} is not among {following['']}"
    return None


def fitted_model_problem(generator: Model, trained_on: str) -> tuple[str, str] | None:
    """The cheap honesty checks a run applies to every fitted model before ranking it: the single
    characters' probabilities sum to at most 1, and top-k and top-p are honoured. None when it
    passes; else the method at fault ("score" or "generate") and why."""
    problem = normalisation_problem(generator, trained_on)
    if problem is not None:
        return "score", problem
    problem = greedy_problem(generator) or top_k_two_problem(generator)
    return ("generate", problem) if problem is not None else None


def check_single_characters_sum_to_at_most_one(factory: Factory) -> None:
    """The single characters' probabilities after a context sum to at most 1 + 1e-6 (no inflated scores)."""
    generator, _ = fitted(factory)
    problem = normalisation_problem(generator, KIT_CORPUS.train)
    assert problem is None, problem


def check_top_k_one_and_tiny_top_p_are_greedy(factory: Factory) -> None:
    """top_k = 1 and top_p = 1e-9 give the greedy text at any temperature and seed (top-k, top-p obeyed)."""
    generator, _ = fitted(factory)
    problem = greedy_problem(generator)
    assert problem is None, problem


def check_top_k_two_keeps_two_characters(factory: Factory) -> None:
    """Character-level models: with top_k = 2 at most two characters follow any prefix (T = 50)."""
    generator, _ = fitted(factory)
    require_char_level(generator)
    problem = top_k_two_problem(generator)
    assert problem is None, problem
