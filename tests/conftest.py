"""Settings shared by the whole test suite."""

from __future__ import annotations

import pytest
import torch


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
