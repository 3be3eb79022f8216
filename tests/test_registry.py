"""Finding generators by name: runtime registration, the built-in source scan, entry-point plugins."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks.cli import main
from generators import Generator, available_generators, create_generator, get_generator_class, registry
from generators.errors import ConfigError, UnknownGeneratorError
from generators.registry import GeneratorEntry, generator_distribution, hidden_plugins, register_generator

PLUGIN_DIR = Path(__file__).parent / "plugins" / "textgen-bench-char-ngram"


@dataclass
class SizeConfig:
    size: int = 1  # how big


class Minimal(Generator):
    """Just enough of a generator to be registered and built."""

    config_class = SizeConfig
    fit = _score = _generate = save = describe = lambda self, *a, **k: None
    load = classmethod(lambda cls, *a, **k: cls())


@pytest.fixture(autouse=True)
def isolated_registry(monkeypatch):
    """Registrations and imports made by a test are forgotten after it."""
    monkeypatch.setattr(registry, "_runtime", dict(registry._runtime))
    monkeypatch.setattr(registry, "_loaded", dict(registry._loaded))


@pytest.fixture
def fake_plugin(installed_plugin) -> str:
    """Distribution fake-dist 0.1 on sys.path (a dist-info folder, no pip) with six entry points;
    its module's name."""
    module = "fake_generators"
    targets = {
        "fake-gen": f"{module}:Plain",
        "fake-decorated": f"{module}:Decorated",
        "fake-child": f"{module}:Child",
        "fake-missing": f"{module}:Missing",
        "fake-nomodule": "no_such_module_for_textgen_bench:Thing",
        "fake-function": f"{module}:not_a_generator",
    }
    installed_plugin("fake-generators", targets, dist="fake-dist")
    return module


# ---------------------------------------------------------------- runtime registration


def test_register_generator_names_lists_and_builds_a_class():
    @register_generator("test-minimal")
    class Registered(Minimal):
        pass

    assert Registered.name == "test-minimal"
    entry = available_generators()["test-minimal"]
    assert entry.source == "registered at runtime"
    assert entry.target == f"{__name__}:{Registered.__qualname__}"
    assert get_generator_class("test-minimal") is Registered
    made = create_generator("test-minimal", {"size": 3})
    assert isinstance(made, Registered) and made.config == SizeConfig(size=3)
    with pytest.raises(ConfigError, match=r"unknown option test-minimal\.siz \(did you mean 'size'\?\)"):
        create_generator("test-minimal", {"siz": 3})


def test_available_generators_are_sorted():
    for name in ("test-zz", "test-aa"):
        register_generator(name)(type(name, (Minimal,), {}))
    names = list(available_generators())
    assert names == sorted(names) and {"test-aa", "test-zz"} <= set(names)


# ---------------------------------------------------------------- the built-in table


def test_each_builtin_names_its_class_and_config_class():
    for name, entry in registry.BUILTINS.items():
        assert entry.source == "built-in"
        cls = get_generator_class(name)
        assert f"{cls.__module__}:{cls.__qualname__}" == entry.target
        assert cls.name == name and cls.__dict__["name"] == name  # the decorator says the same
        assert registry.get_config_class(name) is cls.config_class


def test_builtins_win_name_clashes_with_plugins(fake_plugin, monkeypatch):
    clash = GeneratorEntry("fake-gen", "generators.clash:Clash", "built-in")
    monkeypatch.setitem(registry.BUILTINS, "fake-gen", clash)
    assert available_generators()["fake-gen"] == clash
    assert [entry.name for entry in hidden_plugins()] == ["fake-gen"]


def test_builtin_config_classes_load_without_torch():
    code = (
        "import sys; from generators.registry import get_config_class; "
        "names = ['markov', 'char-lstm', 'word-lstm', 'gpt2']; "
        "print([get_config_class(n).__name__ for n in names], 'torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == [
        "['MarkovConfig',",
        "'CharLSTMConfig',",
        "'WordLSTMConfig',",
        "'GPT2GeneratorConfig']",
        "False",
        "False",
    ]
    from generators.recurrent.char_lstm import CharLSTMGenerator

    assert registry.get_config_class("char-lstm") is CharLSTMGenerator.config_class


# ---------------------------------------------------------------- entry-point plugins


def test_plugin_is_listed_with_its_distribution_and_imported_on_demand(fake_plugin):
    entry = available_generators()["fake-gen"]
    assert entry == GeneratorEntry(
        "fake-gen", f"{fake_plugin}:Plain", "plugin fake-dist 0.1", distribution="fake-dist 0.1"
    )
    assert fake_plugin not in sys.modules  # listing imports nothing
    cls = get_generator_class("fake-gen")
    assert cls.__module__ == fake_plugin and cls.__name__ == "Plain"
    assert cls.name == "fake-gen"  # named after its entry point
    assert get_generator_class("fake-gen") is cls
    assert create_generator("fake-gen", {"size": 2}).config.size == 2


def test_a_plugin_using_the_decorator_keeps_its_plugin_source(fake_plugin):
    cls = get_generator_class("fake-decorated")
    assert cls.name == "fake-decorated"
    assert available_generators()["fake-decorated"].source == "plugin fake-dist 0.1"


def test_a_subclass_of_a_named_generator_gets_its_own_entry_point_name(fake_plugin):
    child = get_generator_class("fake-child")
    assert child.name == "fake-child"
    assert get_generator_class("fake-decorated").name == "fake-decorated"


def test_a_generator_names_the_installed_package_whose_code_it_runs(fake_plugin):
    version = importlib.metadata.version("textgen-bench")
    assert generator_distribution("markov") == generator_distribution("gpt2") == f"textgen-bench {version}"
    assert generator_distribution("fake-gen") == generator_distribution("fake-decorated") == "fake-dist 0.1"
    register_generator("test-in-markovify")(type("Borrowed", (Minimal,), {"__module__": "markovify.text"}))
    assert (
        generator_distribution("test-in-markovify") == f"markovify {importlib.metadata.version('markovify')}"
    )
    register_generator("test-of-a-script")(type("Scripted", (Minimal,), {}))  # this test module: no package
    assert generator_distribution("test-of-a-script") == ""


def test_unknown_name_suggests_the_closest(fake_plugin):
    with pytest.raises(UnknownGeneratorError) as raised:
        get_generator_class("fake-gne")
    message = str(raised.value)
    assert message.startswith("unknown generator 'fake-gne' (did you mean 'fake-gen'?); available: ")
    assert "fake-decorated" in message
    assert isinstance(raised.value, ConfigError) and isinstance(raised.value, KeyError)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (
            "fake-missing",
            r"cannot be loaded from fake_generators:Missing: AttributeError: module .* has no attribute 'Missing'",
        ),
        (
            "fake-nomodule",
            r"loaded from no_such_module_for_textgen_bench:Thing: ModuleNotFoundError: No module named",
        ),
        ("fake-function", r"fake_generators:not_a_generator is not a Generator subclass"),
    ],
    ids=["missing-class", "missing-module", "not-a-generator"],
)
def test_a_broken_entry_point_is_a_config_error_naming_it(fake_plugin, name, problem):
    with pytest.raises(ConfigError, match=rf"generator '{name}' \(plugin fake-dist 0.1\)") as raised:
        get_generator_class(name)
    assert raised.match(problem)


def test_a_plugin_failing_while_imported_is_a_config_error_naming_it(installed_plugin):
    installed_plugin("failing", {"fake-failing": "failing_plugin:Thing"}, dist="failing-dist")
    with pytest.raises(ConfigError) as raised:
        get_generator_class("fake-failing")
    assert str(raised.value) == (
        "generator 'fake-failing' (plugin failing-dist 0.1) cannot be loaded from failing_plugin:Thing: "
        "RuntimeError: set PLUGIN_KEY first"
    )


def test_a_plugin_named_like_a_builtin_is_hidden_and_listed_as_such(installed_plugin, capsys):
    module = "fake_generators"
    installed_plugin("fake-generators", {"markov": f"{module}:Plain"}, dist="clash-dist")
    assert available_generators()["markov"].source == "built-in"
    assert [(e.name, e.source) for e in hidden_plugins()] == [("markov", "plugin clash-dist 0.1")]
    assert main(["list"]) == 0
    assert capsys.readouterr().err == (
        f"hidden: markov of plugin clash-dist 0.1 ({module}:Plain): the name is taken; rename its entry point\n"
    )


def test_of_two_plugins_with_one_name_the_loser_is_listed_as_hidden(installed_plugin):
    for dist in ("first-dist", "second-dist"):
        installed_plugin("fake-generators", {"twin": "fake_generators:Plain"}, dist=dist)
    winner = available_generators()["twin"]
    assert [(e.name, e.source) for e in hidden_plugins()] == [
        ("twin", source)
        for source in ("plugin first-dist 0.1", "plugin second-dist 0.1")
        if source != winner.source
    ]


# ---------------------------------------------------------------- the reference plugin package


def test_reference_plugin_declares_its_entry_point():
    project = tomllib.loads((PLUGIN_DIR / "pyproject.toml").read_text())
    assert project["project"]["name"] == "textgen-bench-char-ngram"
    assert project["project"]["dependencies"] == ["numpy>=1.26"]
    entry_points = project["project"]["entry-points"][registry.ENTRY_POINT_GROUP]
    assert entry_points == {"char-ngram": "textgen_bench_char_ngram:CharNGramGenerator"}
    assert 'name: ClassVar[str] = "char-ngram"' in (PLUGIN_DIR / "textgen_bench_char_ngram.py").read_text()


@pytest.mark.integration
def test_reference_plugin_installs_and_is_found(tmp_path):
    """pip-installs the plugin (offline, into a folder) and finds it from a fresh interpreter."""
    if shutil.which("pip", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("pip is not available")
    build = shutil.copytree(PLUGIN_DIR, tmp_path / "src")  # the build must not write into tests/
    target = tmp_path / "site"
    pip = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-index",
        "--no-build-isolation",
    ]
    subprocess.run([*pip, "--target", str(target), str(build)], check=True, timeout=120)
    probe = (
        "from generators import available_generators, get_generator_class\n"
        "entry = available_generators()['char-ngram']\n"
        "print(entry.source, get_generator_class('char-ngram').__name__)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(Path(__file__).parents[1])])}
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.split() == ["plugin", "textgen-bench-char-ngram", "0.1.0", "CharNGramGenerator"]
