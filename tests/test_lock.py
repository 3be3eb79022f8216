"""requirements.lock: it covers every dependency, and the project's own .venv holds what it pins."""

from __future__ import annotations

import importlib.metadata
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).parents[1]
LOCK = ROOT / "requirements.lock"
VENV = ROOT / ".venv"


def locked_versions(text: str) -> dict[str, str]:
    """Package name (canonical) -> version, from the ``name==version`` lines of a pip-compile lock."""
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def public(version: str) -> str:
    """The version without its local label: a torch build (+cpu, +cu126) is the same release."""
    return Version(version).public


def test_locked_versions_reads_pins_and_skips_comments_and_options():
    text = "# header\n--extra-index-url x\nTyping_Extensions==4.16.0\n    # via torch\ntorch==2.13.0\n"
    assert locked_versions(text) == {"typing-extensions": "4.16.0", "torch": "2.13.0"}
    assert public("2.13.0+cpu") == public("2.13.0+cu126") == "2.13.0"


def test_the_lock_pins_every_dependency_and_extra_without_a_build_label():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    wanted = [*project["dependencies"], *extras["test"], *extras["ray"]]
    pins = locked_versions(LOCK.read_text(encoding="utf-8"))
    for spec in map(Requirement, wanted):
        name = canonicalize_name(spec.name)
        assert name in pins, f"{spec.name} is not in requirements.lock: run make lock"
        assert spec.specifier.contains(pins[name]), f"the lock's {name}=={pins[name]} is outside {spec}"
    assert all(public(v) == v for v in pins.values()), "a local label in the lock would refuse other builds"


def test_the_installed_versions_equal_the_lock():
    if Path(sys.prefix).resolve() != VENV.resolve():
        pytest.skip(
            f"not running from the project's own .venv ({VENV}) but from {sys.prefix}: make installs the lock there only"
        )
    wrong = []
    for name, version in locked_versions(LOCK.read_text(encoding="utf-8")).items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = "not installed"
        if installed == "not installed" or public(installed) != public(version):
            wrong.append(f"{name} {installed} (locked {version})")
    assert not wrong, f"the .venv differs from requirements.lock: {', '.join(wrong)}; run make setup"
