"""The reference plugin, installed by pip into a fresh virtual environment, works end to end."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from support import SMALL_RUN, toml_text

from generators.options import merged
from generators.testing.texts import make_text

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[1]
PLUGIN = ROOT / "tests" / "plugins" / "textgen-bench-char-ngram"

RUN = merged(
    SMALL_RUN,
    {
        "run": {"generators": ["markov", "char-ngram"]},
        "generators": {"char-ngram": {"options": {"order": 3}}},
    },
)


def make_venv(folder: Path) -> Path:
    """A new venv that sees this environment's packages (torch & co.) but installs its own."""
    venv.EnvBuilder(with_pip=False).create(folder)  # pip comes from outside, below
    python = folder / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    outer = [p for p in site.getsitepackages() if Path(p).exists()]
    lines = "".join(f"import site; site.addsitedir({p!r})\n" for p in outer)
    Path(purelib, "outer-environment.pth").write_text(lines, encoding="utf-8")
    return python


def pip_install(python: Path, source: Path) -> None:
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            source,
        ],
        check=True,
        timeout=300,
    )


def test_plugin_installed_by_pip_is_listed_run_and_reported(tmp_path):
    python = make_venv(tmp_path / "venv")
    pip_install(
        python,
        shutil.copytree(
            ROOT,
            tmp_path / "textgen-bench",
            ignore=shutil.ignore_patterns(
                ".venv", ".git", "reports", "*.egg-info", "__pycache__", ".pytest_cache"
            ),
        ),
    )
    pip_install(python, shutil.copytree(PLUGIN, tmp_path / "plugin"))
    command = tmp_path / "venv" / "bin" / "textgen-bench"
    env = {**os.environ, "TEXTGEN_BENCH_CACHE": str(tmp_path / "cache"), "PYTHONPATH": ""}

    listed = subprocess.run([command, "list"], capture_output=True, text=True, check=True, env=env).stdout
    assert "char-ngram" in listed and "plugin textgen-bench-char-ngram 0.1.0" in listed

    corpus = tmp_path / "corpus.txt"
    corpus.write_text(make_text(20_000, seed=4), encoding="utf-8")
    config = tmp_path / "plugin.toml"
    config.write_text(toml_text(RUN), encoding="utf-8")
    run_dir = tmp_path / "run"
    done = subprocess.run(
        [command, "run", "--config", config, "--corpus", f"file:{corpus}", "--out", run_dir],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((run_dir / "results.json").read_text())
    cells = {cell["row"]: cell for cell in results["cells"]}
    assert cells["char-ngram"]["status"] == "ok" and cells["char-ngram"]["likelihood"]["bpc"] > 0
    assert cells["markov"]["status"] == "ok"
    report = (run_dir / "report.md").read_text()
    assert report.count("char-ngram") >= 3  # summary, likelihood and sample tables at least
    assert sys.executable != str(python)
