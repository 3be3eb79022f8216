"""The model cache: a cached model belongs to the version of the code that trained it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from support import run_config, small_config, write_corpus, write_plugin

from generators import registry


@pytest.fixture
def use_plugin_version(tmp_path, monkeypatch, model_cache):
    """A function that installs version ``v`` of the distribution versioned-plugin (the same code),
    in place of any other version, for this process and its workers."""
    monkeypatch.setattr(registry, "_loaded", dict(registry._loaded))
    monkeypatch.setattr(sys, "path", list(sys.path))
    outer = os.environ.get("PYTHONPATH", "")

    def install(version: str) -> None:
        targets = {"versioned-markov": "markov_variants:VersionedMarkov"}
        root = write_plugin(
            tmp_path / version, "markov-variants", targets, dist="versioned-plugin", version=version
        )
        sys.path[:] = [p for p in sys.path if not p.startswith(str(tmp_path))]
        monkeypatch.syspath_prepend(str(root))
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(root), outer]))
        registry._loaded.pop("versioned-markov", None)

    return install


def cell_of(run_dir: Path) -> dict:
    (cell,) = json.loads((run_dir / "results.json").read_text())["cells"]
    assert cell["status"] == "ok", cell.get("error")
    return cell


def test_a_new_version_of_a_plugin_trains_again_instead_of_reusing_the_old_model(
    tmp_path, use_plugin_version
):
    config = small_config(write_corpus(tmp_path / "corpus.txt"), generators=["versioned-markov"])
    use_plugin_version("1.0")
    first = cell_of(run_config(config, tmp_path / "v1"))
    use_plugin_version("2.0")
    second = cell_of(run_config(config, tmp_path / "v2"))
    again = cell_of(run_config(config, tmp_path / "v2-again"))
    assert (first["cached"], second["cached"], again["cached"]) == (False, False, True)
