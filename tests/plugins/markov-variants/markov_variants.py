"""Markov generators that misbehave in one way each, for the tests of a run's fault handling.

``SlowSampler`` reads two environment variables: ``SLOW_SAMPLER_SECONDS`` (the sleep per generate
call; 0.5 when unset) and ``SLOW_MARKER`` (when set, the first call of each process appends a line
to that file: the process id, or the Ray node id when ``SLOW_MARK`` is ``node``).
"""

from __future__ import annotations

import os
import time

import numpy as np

from generators.base import Sampling
from generators.errors import TrainingError
from generators.markov.generator import MarkovGenerator


class SlowSampler(MarkovGenerator):
    """Markov, but generation takes long enough to be interrupted or watched."""

    started = False

    def _generate(self, prompts, *, max_chars, sampling, seed):
        if not SlowSampler.started and "SLOW_MARKER" in os.environ:
            SlowSampler.started = True
            with open(os.environ["SLOW_MARKER"], "a") as marker:
                marker.write(f"{process_mark()}\n")
        time.sleep(float(os.environ.get("SLOW_SAMPLER_SECONDS", "0.5")))
        return super()._generate(prompts, max_chars=max_chars, sampling=sampling, seed=seed)


def process_mark() -> str:
    """This process's id, or its Ray node's id when SLOW_MARK is "node"."""
    if os.environ.get("SLOW_MARK") == "node":
        import ray

        return ray.get_runtime_context().get_node_id()
    return str(os.getpid())


class SlowFit(MarkovGenerator):
    """Markov, but training takes a few seconds."""

    def fit(self, corpus, *, seed=0, budget=None):
        time.sleep(3)
        return super().fit(corpus, seed=seed, budget=budget)


class Diverging(MarkovGenerator):
    def fit(self, corpus, *, seed=0, budget=None):
        raise TrainingError("diverging: the loss became nan at step 3; lower optim.lr")


class BrokenScore(MarkovGenerator):
    def _score(self, text, context):
        raise RuntimeError("the scorer fell over")


class NanScore(MarkovGenerator):
    def _score(self, text, context):
        return np.full(len(text), np.nan)


class ShortGenerate(MarkovGenerator):
    def _generate(self, prompts, *, max_chars, sampling, seed):
        return super()._generate(prompts[:-1], max_chars=max_chars, sampling=sampling, seed=seed)


class ClippedCheat(MarkovGenerator):
    """Adds log 4 to every character's score, then caps it at 0: no score is positive."""

    def _score(self, text, context):
        return np.minimum(super()._score(text, context) + np.log(4.0), 0.0)


class IgnoresTopK(MarkovGenerator):
    """Samples from the whole distribution whatever top_k and top_p say."""

    def _generate(self, prompts, *, max_chars, sampling, seed):
        plain = Sampling(sampling.temperature)
        return super()._generate(prompts, max_chars=max_chars, sampling=plain, seed=seed)


class NeuralMarkov(MarkovGenerator):
    """Markov declared neural (a judge candidate), honouring top-k and top-p only."""

    family = "neural"
    sampling_settings = frozenset({"top_k", "top_p"})


class VersionedMarkov(MarkovGenerator):
    """Plain markov, installed under several versions of one distribution."""
