"""Decoding steps of the recurrent generators (generators.recurrent.decoding): the same text as
calling the model's nn.LSTM once per token."""

from __future__ import annotations

import contextlib
import functools

import pytest
import torch
from support import RARE, UNTRAINED_RECURRENT, VERSE

from generators.base import Budget, Corpus, Sampling
from generators.devices import ONE_THREAD_STEP, decoding_threads, training_threads
from generators.recurrent import decoding
from generators.recurrent import generator as recurrent_generator
from generators.recurrent.char_lstm import CharLSTMGenerator
from generators.recurrent.decoding import EagerStep, FusedLSTMStep, decoding_step, feed_prompts
from generators.recurrent.generator import RecurrentGenerator
from generators.recurrent.word_lstm import WordLSTMGenerator

PROMPTS = ["the cat", "", "Zß☃ dog"]
SAMPLINGS = {"greedy": Sampling(0.0), "t1": Sampling(1.0), "mix": Sampling(0.8, top_k=5, top_p=0.9)}
CPU = torch.device("cpu")


def seeded(cls: type[RecurrentGenerator], options: dict, text: str) -> RecurrentGenerator:
    """An untrained model with torch's seed-0 initial weights (no training: the same on every CPU)."""
    generator = cls.from_options(options)
    generator.build_vocabulary(text)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        generator.model = generator.new_model()
    return generator


@functools.cache
def model(name: str) -> RecurrentGenerator:
    if name == "lstm":
        return seeded(CharLSTMGenerator, UNTRAINED_RECURRENT, VERSE)
    if name == "lstm-one-hot":
        return seeded(CharLSTMGenerator, {**UNTRAINED_RECURRENT, "embedding_dim": 0}, VERSE)
    if name == "word-lstm":
        return seeded(WordLSTMGenerator, {**UNTRAINED_RECURRENT, "vocab_size": 12}, VERSE * 3 + RARE)
    optim = {"lr": 2e-2, "warmup_steps": 5, "eval_every": 1000, "eval_chars": 0, "patience": 0}
    generator = CharLSTMGenerator.from_options(
        {**UNTRAINED_RECURRENT, "batch_size": 4, "bptt": 16, "optim": optim}
    )
    generator.fit(Corpus("tiny", VERSE * 30, VERSE * 3, VERSE, "0" * 64), seed=0, budget=Budget(steps=60))
    return generator  # "trained": greedy text is not one repeated character


# Computed with one nn.LSTM call per token (commit 4a48a63): prompts 0 and 2 of PROMPTS, seed 11.
BEFORE_THE_FUSED_STEP = {
    ("lstm", "greedy"): ("h" * 60, "h" * 60),
    ("lstm", "t1"): (
        ".gh .t .tmdgmc.omgohtahgdhaos.gc se.masa adgsnd .tgm  shdd a",
        "ssoc tm stco eoeh.ogcothnt ht.ahnhh nd tmgng.hnnhttsdchm.he ",
    ),
    ("lstm", "mix"): (
        " hh  o  omdhmd mmhoho hhdhdmo hd oh m od  dhomd  ohm  ohdd  ",
        "oomd oh oodm hohh mhdmohmo ho dhmhh md omhmh hmmhoooddhm hh ",
    ),
    ("lstm-one-hot", "t1"): (
        ".gh at .tmegmc.omgohtahgdhcos.gc.seamasa adgsnd atgn  shdd.a",
        "ssoc tm ttco.goeg.ogcothnt ht.chnhh nd tmgng.hnnhttsechmahg ",
    ),
    ("lstm-one-hot", "mix"): (
        " hna ta tnghngatnhthtghhgngtt hg th ngtg gghtng  thna thgg  ",
        "tttg tn ttgt hthh thgnthntantaghnhhangatnhnhannnhtttgghn hha",
    ),
    ("word-lstm", "t1"): (  # the unknown words' spellings since they follow the sampling settings
        # character by character ("quoe34on", "logndog"; the spelling code of 4a48a63 gave "quogaaon", "logodog")
        "thedogmat theand theemat.dogsatonthe!satdog!dogtadogdog.mato",
        "andand!on logmat andquoe34on! cat!catdogthe!dogon!logndog\nma",
    ),
    ("word-lstm", "mix"): (
        " catcat  !  !dog.catdog. dogdogcatdogcat!.catcat.cat.dog! ca",
        "!!dog. !cat !!.dog cat!.cat dogcat.dog!catdog! cat! .catdogc",
    ),
}


@pytest.mark.parametrize(("name", "setting"), list(BEFORE_THE_FUSED_STEP))
def test_text_is_the_one_nn_lstm_gave(name, setting):
    texts = model(name).generate(PROMPTS, max_chars=60, sampling=SAMPLINGS[setting], seed=11)
    assert (texts[0], texts[2]) == BEFORE_THE_FUSED_STEP[name, setting]
    single = model(name).generate(PROMPTS[2:], max_chars=60, sampling=SAMPLINGS[setting], seed=13)
    assert single == [texts[2]]  # one row: decoded on one thread


@contextlib.contextmanager
def the_eager_path(monkeypatch: pytest.MonkeyPatch):
    """Decoding as it was: an nn.LSTM call per token, on the default threads."""
    with monkeypatch.context() as patched:
        patched.setattr(decoding, "decoding_step", lambda m, state, device: EagerStep(m, state, device))
        patched.setattr(
            recurrent_generator, "decoding_threads", lambda batch, device: contextlib.nullcontext()
        )
        yield


@pytest.mark.parametrize("name", ["trained", "lstm", "lstm-one-hot", "word-lstm"])
@pytest.mark.parametrize("setting", list(SAMPLINGS))
def test_fused_path_gives_the_eager_path_text(monkeypatch, name, setting):
    generator, sampling = model(name), SAMPLINGS[setting]
    prompts = [*PROMPTS, "a dog met a cat on the mat and then"]
    new = [generator.generate(prompts, max_chars=150, sampling=sampling, seed=5)]
    new += [
        generator.generate([p], max_chars=150, sampling=sampling, seed=5 + i) for i, p in enumerate(prompts)
    ]
    with the_eager_path(monkeypatch):
        old = [generator.generate(prompts, max_chars=150, sampling=sampling, seed=5)]
        old += [
            generator.generate([p], max_chars=150, sampling=sampling, seed=5 + i)
            for i, p in enumerate(prompts)
        ]
    assert new == old
    if name == "trained" and setting == "greedy":
        assert len(set(new[0][0])) > 1  # a real test of greedy text, not one repeated character


@pytest.mark.parametrize("name", ["trained", "lstm-one-hot"])
@pytest.mark.parametrize("batch", [1, 3])
def test_fused_step_is_nn_lstm_bit_for_bit(name, batch):
    m = model(name).model.eval()
    rows = [[m.bos, *range(1, 2 + i)] for i in range(batch)]
    with torch.no_grad():
        _, state = feed_prompts(m, rows, CPU)
        fused, eager = FusedLSTMStep(m, state), EagerStep(m, state, CPU)
        tokens = torch.arange(batch) + 2  # (B,)
        for _ in range(20):
            expected = eager(tokens)  # (B, V)
            assert torch.equal(fused(tokens), expected)
            assert torch.equal(fused.h, eager.state[0]) and torch.equal(fused.c, eager.state[1])
            tokens = expected.argmax(-1)


@pytest.mark.parametrize("cell", ["gru", "rnn"])
def test_other_cells_step_through_the_model(cell):
    generator = seeded(CharLSTMGenerator, {**UNTRAINED_RECURRENT, "cell": cell}, VERSE)
    _, state = feed_prompts(generator.model, [[generator.model.bos]], CPU)
    assert isinstance(decoding_step(generator.model, state, CPU), EagerStep)
    texts = generator.generate(PROMPTS, max_chars=30, seed=1)
    assert [len(t) for t in texts] == [30] * 3


def test_one_row_decodes_on_one_thread_and_the_count_comes_back():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with decoding_threads(1, CPU):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with decoding_threads(2, CPU):
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_steps_of_little_arithmetic_train_on_one_thread_and_the_count_comes_back():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with training_threads(ONE_THREAD_STEP / 2, CPU):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with training_threads(ONE_THREAD_STEP, CPU), training_threads(1.0, torch.device("cuda")):
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(
    ("cls", "options", "threads"),
    [(CharLSTMGenerator, {}, 1), (WordLSTMGenerator, {"hidden_size": 512}, 2)],
)
def test_a_step_of_little_arithmetic_trains_on_one_thread_a_larger_one_on_all(
    monkeypatch, cls, options, threads
):
    """char-lstm's default step is 0.5 G multiply-adds; a 512-unit word-lstm's is 1.3 G before its
    output layer."""
    seen = []
    real_train = recurrent_generator.train

    def recording_train(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return real_train(*args, **kwargs)

    monkeypatch.setattr(recurrent_generator, "train", recording_train)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        cls.from_options(options).fit(
            Corpus("verse", VERSE * 40, VERSE, "", sha256=""), seed=0, budget=Budget(steps=1)
        )
        after = torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
    assert seen == [threads] and after == 2
