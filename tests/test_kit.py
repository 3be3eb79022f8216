"""The conformance kit: the reference plugin passes it, and deliberately broken generators fail it."""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from generators import Sampling, TokenHistory, choose_tokens
from generators.testing import check_generator, parametrize_with_checks
from generators.testing import checks as kit

PLUGIN_DIR = Path(__file__).parent / "plugins" / "textgen-bench-char-ngram"


def _import_plugin():
    """The plugin module, imported from its file (as installing it would make it importable)."""
    name = "textgen_bench_char_ngram"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, PLUGIN_DIR / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses and typing look the module up by name
        spec.loader.exec_module(module)
    return sys.modules[name]


plugin = _import_plugin()
CharNGram = plugin.CharNGramGenerator


def char_ngram() -> CharNGram:
    return CharNGram.from_options({"order": 3, "k": 0.5})


# ---------------------------------------------------------------- the plugin passes


@parametrize_with_checks({"char-ngram": char_ngram})
def test_char_ngram_conforms(factory, check):
    check(factory)


def test_check_generator_passes_the_plugin():
    check_generator(char_ngram)


# ---------------------------------------------------------------- broken generators fail


class InfiniteForUnseen(CharNGram):
    def score(self, text, context=""):
        out = super().score(text, context)
        out[[c not in self.index for c in text]] = -np.inf  # a closed vocabulary
        return out


class DropsFirstScore(CharNGram):
    def score(self, text, context=""):
        return super().score(text, context)[1:]


class ScoresEmptyAsOne(CharNGram):
    def score(self, text, context=""):  # like charging end-of-text to the empty string
        return super().score(text, context) if text else np.array([-1.0])


class NanPastItsWindow(CharNGram):
    def score(self, text, context=""):  # like a fixed position table that long texts overrun
        out = super().score(text, context)
        out[1024:] = np.nan
        return out


class IgnoresContext(CharNGram):
    def score(self, text, context=""):
        return super().score(text)


class DropsLastContextChar(CharNGram):
    def score(self, text, context=""):  # off by one: the context loses its last character
        return super().score(text, context[:-1])


class ShiftedScores(CharNGram):
    def score(self, text, context=""):  # off by one: position i holds character i + 1's score
        return np.roll(super().score(text, context), -1)


class NoisyScores(CharNGram):
    calls = 0

    def score(self, text, context=""):  # like dropout left on: every call differs
        NoisyScores.calls += 1
        return super().score(text, context) - 1e-3 * NoisyScores.calls


class ForgetsUnseenMass(CharNGram):
    def next_char_distribution(self, context):
        dist = super().next_char_distribution(context)
        return dataclasses.replace(dist, rest_logprob=self.unseen_share)  # 1/#unseen, not bucket/#unseen


class ReturnsTuple(CharNGram):
    def generate(self, prompts, **kwargs):
        return tuple(super().generate(prompts, **kwargs))


class GreedyUsesSeed(CharNGram):
    def generate(self, prompts, *, max_chars, sampling=None, seed=0):
        sampling = Sampling(1.0) if sampling is not None and sampling.greedy else sampling
        return super().generate(prompts, max_chars=max_chars, sampling=sampling, seed=seed)


class IgnoresSeed(CharNGram):
    def generate(self, prompts, *, max_chars, sampling=None, seed=0):
        return super().generate(prompts, max_chars=max_chars, sampling=sampling, seed=0)


class IgnoresMaxChars(CharNGram):
    def generate(self, prompts, *, max_chars, sampling=None, seed=0):
        return super().generate(prompts, max_chars=max_chars + 3, sampling=sampling, seed=seed)


class StopsHalfway(CharNGram):
    def generate(self, prompts, *, max_chars, sampling=None, seed=0):
        texts = super().generate(prompts, max_chars=max_chars, sampling=sampling, seed=seed)
        return [t[: len(t) // 2] for t in texts]


class SharesOneStream(CharNGram):
    def _generate(self, prompts, *, max_chars, sampling, seed):
        # every prompt draws from the stream seeded ``seed``: a batch differs from one call per prompt
        return [
            CharNGram._generate(self, [p], max_chars=max_chars, sampling=sampling, seed=seed)[0]
            for p in prompts
        ]


class LoadForgetsSmoothing(CharNGram):
    @classmethod
    def load(cls, directory, *, device="cpu"):
        loaded = super().load(directory, device=device)
        loaded.config = plugin.CharNGramConfig(order=loaded.config.order)  # k back to its default
        loaded._rows = {}
        return loaded


class LoadsAnUlpAway(CharNGram):
    """A loaded model that scores a few ulps away from the saved one (as unaligned weights may)."""

    @classmethod
    def load(cls, directory, *, device="cpu"):
        loaded = super().load(directory, device=device)
        score = loaded._score
        loaded._score = lambda text, context: np.nextafter(score(text, context), 0.0)
        return loaded


class DeclaresItsFloatError(LoadsAnUlpAway):
    save_load_tolerance = 1e-9


class SavesAPickle(CharNGram):
    def save(self, directory):
        super().save(directory)
        (Path(directory) / "extra.bin").write_bytes(b"\x80\x04K\x01.")  # the bytes of pickle.dumps(1)


class AcceptsDictSampling(CharNGram):
    def generate(self, prompts, *, max_chars, sampling=None, seed=0):
        sampling = Sampling(**sampling) if isinstance(sampling, dict) else sampling
        if isinstance(sampling, float):
            sampling = Sampling(sampling)
        return super().generate(prompts, max_chars=max_chars, sampling=sampling, seed=seed)


class NumpyParameterCount(CharNGram):
    def describe(self):
        return {**super().describe(), "parameters": np.int64(5)}


class CardWithoutArchitecture(CharNGram):
    def card(self):
        return {key: value for key, value in super().card().items() if key != "architecture"}


class AddsLogFour(CharNGram):
    char_level = False  # the character-level checks skip it, as they skipped the plugin that "won" a run

    def score(self, text, context=""):  # four times every probability, kept <= 0
        return np.minimum(super().score(text, context) + math.log(4), 0.0)


class ChargesContextTwice(CharNGram):
    char_level = False

    def score(self, text, context=""):  # the context's last character charged again, as markov did
        out = super().score(text, context)
        if context and len(out):
            out[0] += super().score(context[-1], context[:-1])[0]
        return out


class IgnoresTopKAndTopP(CharNGram):
    def generate(self, prompts, *, max_chars, sampling=None, seed=0):
        if isinstance(sampling, Sampling):
            sampling = Sampling(sampling.temperature)
        return super().generate(prompts, max_chars=max_chars, sampling=sampling, seed=seed)


class KeepsThreeForTopTwo(CharNGram):
    def generate(self, prompts, *, max_chars, sampling=None, seed=0):
        if isinstance(sampling, Sampling) and sampling.top_k == 2:
            sampling = dataclasses.replace(sampling, top_k=3)
        return super().generate(prompts, max_chars=max_chars, sampling=sampling, seed=seed)


class SamplesWithoutWhatItCannotDo(CharNGram):
    sampling_settings = frozenset({"top_k", "top_p"})

    def generate(self, prompts, *, max_chars, sampling=None, seed=0):  # silently drops the rest
        if isinstance(sampling, Sampling):
            sampling = Sampling(sampling.temperature, top_k=sampling.top_k, top_p=sampling.top_p)
        return super().generate(prompts, max_chars=max_chars, sampling=sampling, seed=seed)


class IgnoresRepetitionPenalty(CharNGram):
    def generate(self, prompts, *, max_chars, sampling=None, seed=0):
        if isinstance(sampling, Sampling):
            sampling = dataclasses.replace(sampling, repetition_penalty=1.0)
        return super().generate(prompts, max_chars=max_chars, sampling=sampling, seed=seed)


class BlocksOnlyItsOwnNgrams(CharNGram):
    """n-gram blocking over the generated characters only, the prompt's forgotten."""

    def generate(self, prompts, *, max_chars, sampling=None, seed=0):
        if not (isinstance(sampling, Sampling) and sampling.no_repeat_ngram):
            return super().generate(prompts, max_chars=max_chars, sampling=sampling, seed=seed)
        n, texts = sampling.no_repeat_ngram, []
        for prompt in prompts:
            text = ""
            while len(text) < max_chars:  # one character at a time, the history being the text alone
                history = TokenHistory([[self.index[c] for c in text]], n)
                logprobs = self._logprobs(self._history(prompt + text))[None, :-1]
                picked = choose_tokens(logprobs, sampling, np.zeros(1), history)
                text += self.vocab[int(picked[0])]
            texts.append(text)
        return texts


class ReturnsNoReport(CharNGram):
    def fit(self, corpus, *, seed=0, budget=None):
        return super().fit(corpus, seed=seed, budget=budget).to_dict()


BROKEN = [
    (InfiniteForUnseen, "check_score_unseen_unicode"),
    (DropsFirstScore, "check_score_ascii"),
    (ScoresEmptyAsOne, "check_score_empty"),
    (NanPastItsWindow, "check_score_long_text"),
    (IgnoresContext, "check_score_with_context"),
    (DropsLastContextChar, "check_next_char_distribution_matches_score"),
    (NoisyScores, "check_score_repeatable"),
    (ForgetsUnseenMass, "check_next_char_distribution_sums_to_one"),
    (ShiftedScores, "check_score_chain_rule"),
    (ChargesContextTwice, "check_score_chain_rule_sum"),
    (AddsLogFour, "check_single_characters_sum_to_at_most_one"),
    (IgnoresTopKAndTopP, "check_top_k_one_and_tiny_top_p_are_greedy"),
    (KeepsThreeForTopTwo, "check_top_k_two_keeps_two_characters"),
    (ReturnsTuple, "check_generate_output"),
    (GreedyUsesSeed, "check_greedy_deterministic"),
    (IgnoresSeed, "check_seed_reproducible"),
    (IgnoresMaxChars, "check_max_chars"),
    (StopsHalfway, "check_max_chars_reached"),
    (SharesOneStream, "check_batch_equals_single"),
    (LoadForgetsSmoothing, "check_save_load"),
    (SavesAPickle, "check_save_load"),
    (LoadsAnUlpAway, "check_save_load"),
    (AcceptsDictSampling, "check_invalid_sampling"),
    (NumpyParameterCount, "check_describe"),
    (CardWithoutArchitecture, "check_card"),
    (ReturnsNoReport, "check_fit_report"),
    (SamplesWithoutWhatItCannotDo, "check_unsupported_sampling_is_refused"),
    (IgnoresRepetitionPenalty, "check_declared_settings_change_the_text"),
    (BlocksOnlyItsOwnNgrams, "check_no_repeat_ngram_on_characters"),
]


def factory_of(cls):
    return lambda: cls.from_options({"order": 3, "k": 0.5})


@pytest.mark.parametrize(("cls", "check_name"), BROKEN, ids=[f"{c.__name__}-{n}" for c, n in BROKEN])
def test_broken_generator_fails_its_check(cls, check_name):
    check = getattr(kit, check_name)
    with pytest.raises(AssertionError):
        check(factory_of(cls))


def test_a_declared_save_load_tolerance_admits_float_error():
    kit.check_save_load(factory_of(DeclaresItsFloatError))


def test_fit_is_handed_no_test_text():
    """Nothing trains on what it is scored on: a generator looking for test text in fit finds none."""
    seen = []

    class LooksForTestText(CharNGram):
        def fit(self, corpus, *, seed=0, budget=None):
            seen.append(corpus.test)
            return super().fit(corpus, seed=seed, budget=budget)

    assert kit.KIT_CORPUS.test  # the kit's corpus has a test split
    kit.check_fit_report(factory_of(LooksForTestText))
    assert seen == [""]


def test_every_check_has_a_broken_generator_and_a_docstring():
    assert set(kit.CHECK_NAMES) == {name for _, name in BROKEN}
    assert all(check.__doc__ and check.__doc__.strip() for check in kit.CHECKS)
