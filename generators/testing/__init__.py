"""The conformance kit: one set of checks every generator, built-in or plugin, must pass.

Modelled on scikit-learn's ``parametrize_with_checks``. A generator author writes::

    from generators.testing import parametrize_with_checks

    @parametrize_with_checks({"markov": lambda: MarkovGenerator.from_options({"state_size": 1})})
    def test_markov_conforms(factory, check):
        check(factory)

and gets one test per check that applies to the generator (the character-level checks only for
character-level generators: :func:`checks_for`), with ids like
``markov-check_score_unseen_unicode``; or calls ``check_generator(factory)`` for one
AssertionError listing every failed check. Each check is in :mod:`generators.testing.checks`.

A factory returns a fresh, untrained generator. The kit fits it once per factory per process on
``KIT_CORPUS.for_training()`` (a few KB of text, in `kit.py`, its test split empty: nothing trains
on what it is scored on) within :data:`KIT_BUDGET`, and every check then reads
the same fitted generator: checks only score, generate, save (to a temporary directory) and
describe, so sharing it is safe unless a generator changes itself while generating. A failed fit
is remembered too and fails every check without fitting again. ``clear_fit_cache()`` forgets.

Rules the checks apply (tolerances included):

* scores: a float ``np.ndarray`` of shape ``(len(text),)``, finite, every value <= 1e-9 (the
  harness's allowance for rounding); the same text scores the same twice, also after generating;
* character-level models: the next-character distribution covers every Unicode scalar value once
  and sums to 1 within 1e-6 (compute softmax in float64); it agrees with ``score`` within 1e-4;
  scoring ``a + b`` gives ``score(a)`` then ``score(b, context=a)`` within 1e-4 per character;
* every generator: ``score(a).sum() + score(b, context=a).sum()`` equals ``score(a + b).sum()``
  within 1e-3 nats at word boundaries, whitespace and punctuation, within 20 nats inside a word or
  a whitespace run (a BPE may tokenize them anew once the text goes on); the single characters it knows
  (``known_characters``), plus the rest at the unseen rate, have probabilities summing to at most
  1 + 1e-6 after each of four contexts (:mod:`generators.testing.honesty`);
* ``max_chars``: no continuation is longer; ``max_chars=0`` gives ``""``; and at least half the
  continuations (greedy and T=1, four prompts) are exactly ``max_chars`` long for max_chars in
  (1, 16, 200): a shorter one means the model emitted end-of-text, allowed but not most of the time;
* save/load: the loaded model's scores equal the original's bit for bit, or within the class's
  ``save_load_tolerance`` when it declares one (a cached model must score like a fresh one);
  greedy and seeded T=1 text is identical; no pickle file is written;
* ``generate`` rejects a ``sampling`` that is not a ``Sampling`` (or None) with a TypeError or
  ValueError whose message says "sampling";
* seeding: ``generate(prompts, seed=s)[i] == generate([prompts[i]], seed=s + i)[0]`` (each prompt
  draws from its own stream seeded ``s + i``); the same seed gives the same text, another seed
  other text at T=1; greedy text does not depend on the seed;
* sampling: ``top_k = 1`` and ``top_p = 1e-9`` give the greedy text at temperatures 0.5, 1 and 5;
  on character-level models ``top_k = 2`` lets at most two characters follow any prefix;
* decoding settings (:mod:`generators.testing.strategies`): ``generate`` refuses each setting
  outside the class's ``sampling_settings``, naming it; each declared min-p, typical, repetition
  penalty and n-gram blocking, set strongly, changes the text; on character-level models greedy
  decoding with ``no_repeat_ngram = 4`` writes no 4-gram of characters twice. A check of settings
  applies when the generator declares one of them.
"""
from generators.testing import checks
from generators.testing.checks import CHECKS, checks_for
from generators.testing.kit import KIT_BUDGET, KIT_CORPUS, CheckNotApplicable, Factory, clear_fit_cache
from generators.testing.runner import check_generator, parametrize_with_checks

__all__ = [
    "CHECKS",
    "KIT_BUDGET",
    "KIT_CORPUS",
    "CheckNotApplicable",
    "Factory",
    "check_generator",
    "checks",
    "checks_for",
    "clear_fit_cache",
    "parametrize_with_checks",
]
