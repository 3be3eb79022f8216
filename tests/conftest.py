"""Fixtures shared by the whole test suite: one torch thread, a temporary working folder, a private
model cache, a small corpus file, test plugins installed for one test, recorded generate seeds."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from support import plugin_modules, write_corpus, write_plugin


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """Tiny models gain nothing from threads, and a busy machine makes thread hand-offs slow."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def work_in_a_temporary_folder(tmp_path, monkeypatch):
    """A run points ``./reports/latest`` at itself: keep the tests from repointing the user's link."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def model_cache(tmp_path, monkeypatch) -> Path:
    """A model cache of this test's own (TEXTGEN_BENCH_CACHE, inherited by its subprocesses)."""
    monkeypatch.setenv("TEXTGEN_BENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def corpus_file(tmp_path) -> Path:
    """A file corpus of 30,000 characters of seeded pseudo-English (``write_corpus``'s default)."""
    return write_corpus(tmp_path / "corpus.txt")


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch) -> Iterator[Callable[..., Path]]:
    """A function that installs one of tests/plugins/ for this test (``write_plugin``'s arguments):
    on sys.path and PYTHONPATH (for its subprocesses), imported afresh, and forgotten afterwards."""
    modules: list[str] = []

    def install(package: str, entry_points: dict[str, str], **metadata) -> Path:
        folder = f"{metadata.get('dist', package)}-{metadata.get('version', '0.1')}"
        root = write_plugin(tmp_path / "plugins" / folder, package, entry_points, **metadata)
        monkeypatch.syspath_prepend(str(root))
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
        for module in plugin_modules(package):
            sys.modules.pop(module, None)
            modules.append(module)
        return root

    yield install
    for module in modules:
        sys.modules.pop(module, None)


@pytest.fixture
def recorded_seeds(monkeypatch) -> Callable[[type], list[int]]:
    """A function that patches a generator class's ``generate`` to append each call's seed to the
    list it returns (for this test only)."""

    def record(generator_class: type) -> list[int]:
        seeds: list[int] = []
        generate = generator_class.generate

        def recording(self, prompts, *, max_chars, sampling=None, seed=0):
            seeds.append(seed)
            return generate(self, prompts, max_chars=max_chars, sampling=sampling, seed=seed)

        monkeypatch.setattr(generator_class, "generate", recording)
        return seeds

    return record
