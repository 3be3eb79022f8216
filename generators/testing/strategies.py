"""Conformance checks of the decoding settings a generator says it honours (``sampling_settings``).

The kit sees text, not a plugin's tokens, so it checks what text can show:

* refusal: ``supports`` agrees with ``sampling_settings``, and ``generate`` refuses every setting
  outside them with :class:`~generators.errors.UnsupportedSampling` naming it, so a cell is never
  sampled with something other than what it says;
* effect: every declared setting beyond top-k and top-p (which
  :func:`~generators.testing.honesty.check_top_k_one_and_tiny_top_p_are_greedy` checks), set
  strongly, changes the text of at least one kit prompt: ``min_p = 1`` and ``typical_p = 1e-6`` at
  T = 1 against T = 1 with the same seed, ``repetition_penalty = 50`` and ``no_repeat_ngram = 2``
  against greedy decoding. A generator that ignored the setting would give exactly the text it is
  compared with;
* characters (character-level generators, whose tokens are the text's characters): greedy
  decoding with ``no_repeat_ngram = 4`` never writes a character 4-gram that occurred earlier in
  the prompt or the continuation (the kit's prompts and 80 characters leave every step a
  character that completes no earlier 4-gram).
"""

from __future__ import annotations

from generators.base import SAMPLING_SETTINGS, Sampling
from generators.errors import UnsupportedSampling
from generators.testing.kit import (
    GREEDY,
    PROMPTS,
    RANDOM,
    CheckNotApplicable,
    Factory,
    fitted,
    generate_checked,
)

STRONG = {  # each setting at a strength no honest generator's text can ignore
    "min_p": (RANDOM, Sampling(1.0, min_p=1.0)),
    "typical_p": (RANDOM, Sampling(1.0, typical_p=1e-6)),
    "repetition_penalty": (GREEDY, Sampling(0.0, repetition_penalty=50.0)),
    "no_repeat_ngram": (GREEDY, Sampling(0.0, no_repeat_ngram=2)),
}
ONE_ON = {  # one Sampling per setting, with just that setting on
    "top_k": Sampling(top_k=5),
    "top_p": Sampling(top_p=0.9),
    **{name: strong for name, (_, strong) in STRONG.items()},
}
EFFECT_CHARS = 120  # long enough that greedy text repeats a token of any tokenizer


def check_unsupported_sampling_is_refused(factory: Factory) -> None:
    """supports() follows sampling_settings; generate refuses each setting outside them, naming it."""
    generator, _ = fitted(factory)
    declared = type(generator).sampling_settings
    unknown = set(declared) - SAMPLING_SETTINGS
    assert not unknown, f"sampling_settings names no Sampling setting: {sorted(unknown)}"
    for name, sampling in ONE_ON.items():
        assert generator.supports(sampling) == (name in declared), f"supports({sampling}) != {name in declared}"
        if name in declared:
            continue
        try:
            generator.generate(["The "], max_chars=5, sampling=sampling, seed=0)
        except UnsupportedSampling as error:
            assert name in str(error), f"{sampling}: the refusal does not name {name}: {error}"
        else:
            raise AssertionError(f"generate accepted {sampling}, which sampling_settings leaves out")


def check_declared_settings_change_the_text(factory: Factory) -> None:
    """Each declared min_p, typical_p, repetition_penalty, no_repeat_ngram, set strongly, changes the text."""
    generator, _ = fitted(factory)
    declared = [name for name in STRONG if name in type(generator).sampling_settings]
    if not declared:
        raise CheckNotApplicable(f"{type(generator).__name__} declares none of {', '.join(STRONG)}")
    for name in declared:
        baseline, strong = STRONG[name]
        plain = generate_checked(generator, PROMPTS, EFFECT_CHARS, baseline, 7)
        changed = generate_checked(generator, PROMPTS, EFFECT_CHARS, strong, 7)
        assert changed != plain, f"{strong} gave the texts of {baseline} (seed 7): is {name} ignored?"


def check_no_repeat_ngram_on_characters(factory: Factory) -> None:
    """Character-level models: greedy with no_repeat_ngram = 4 writes no character 4-gram seen before."""
    generator, _ = fitted(factory)
    if not generator.char_level:
        raise CheckNotApplicable(f"{type(generator).__name__} is not character-level (char_level is False)")
    if "no_repeat_ngram" not in type(generator).sampling_settings:
        raise CheckNotApplicable(f"{type(generator).__name__} does not declare no_repeat_ngram")
    n = 4
    texts = generate_checked(generator, PROMPTS, 80, Sampling(0.0, no_repeat_ngram=n), 0)
    for prompt, text in zip(PROMPTS, texts, strict=True):
        whole = prompt + text
        for end in range(max(len(prompt), n - 1), len(whole)):
            gram = whole[end - n + 1 : end + 1]
            earlier = whole[:end]
            assert gram not in earlier, f"after {prompt!r}: {gram!r} at {end} repeats an earlier one in {whole!r}"


STRATEGY_CHECKS = (
    check_unsupported_sampling_is_refused,
    check_declared_settings_change_the_text,
    check_no_repeat_ngram_on_characters,
)
