"""The corpus registry: names and patterns, "did you mean", the cheap name check, plugins from the
entry-point group textgen_bench.corpora, hidden plugins and ``textgen-bench corpora``."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest
from support import plugin_modules

from benchmarks import corpora
from benchmarks.cli import main
from benchmarks.corpora import registry
from benchmarks.corpora.registry import CorpusEntry
from generators.base import Corpus
from generators.errors import CorpusError

REPO = Path(__file__).resolve().parents[1]
BUILTINS = ["ag_news", "ag_news:PATH", "file:PATH", "shakespeare", "tinyshakespeare"]
SOURCE = "plugin fake-corpora 0.1"

PLUGIN_ENTRY_POINTS = {
    "fake_letters": "load",
    "fake_undocumented": "undocumented",
    "fake_method": "Archive.load",
    "fake_not_corpus": "not_a_corpus",
    "fake_breaks": "breaks_contract",
    "fake_small": "too_small",
    "fake_buggy": "buggy",
    "fake_old": "old_signature",
    "fake_refusing": "refusing",
    "fake_constant": "NOT_CALLABLE",
    "fake_missing": "Missing",
}


def plugin(install, package: str, dist: str, entry_points: dict[str, str]) -> str:
    """Install ``tests/plugins/<package>`` as distribution ``dist`` 0.1 whose corpora are
    ``entry_points`` (name -> attribute of its module), with ``install`` (the installed_plugin
    fixture); its module's name."""
    (module,) = plugin_modules(package)
    targets = {name: f"{module}:{attr}" for name, attr in entry_points.items()}
    install(package, targets, dist=dist, group=registry.ENTRY_POINT_GROUP)
    return module


@pytest.fixture
def fake_plugin(installed_plugin) -> str:
    return plugin(installed_plugin, "fake-corpora", "fake-corpora", PLUGIN_ENTRY_POINTS)


# ---- names, patterns and the cheap check ---------------------------------------------------


def test_data_directory_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TEXTGEN_BENCH_DATA", str(tmp_path / "data"))
    assert corpora.data_directory() == tmp_path / "data"
    monkeypatch.delenv("TEXTGEN_BENCH_DATA")
    assert corpora.data_directory() == Path(platformdirs.user_cache_dir("textgen-bench"))


def test_available_corpora_lists_names_and_patterns_with_one_line_descriptions():
    available = corpora.available_corpora()
    assert list(available) == BUILTINS  # sorted
    assert all(description and "\n" not in description for description in available.values())
    assert available["shakespeare"].endswith("split by whole work (the default)")


@pytest.mark.parametrize("check", [corpora.check_corpus_name, corpora.load_corpus], ids=["check", "load"])
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("shakespear", r"^unknown corpus 'shakespear' \(did you mean 'shakespeare'\?\); choose one of "),
        ("tiny_shakespeare", "did you mean 'tinyshakespeare'"),
        ("fil:notes.txt", r"^unknown corpus 'fil:notes.txt' \(did you mean 'file:PATH'\?\)"),
        ("ag_nws", r"\(did you mean 'ag_news'\?\)"),
        ("nothing-like-it", r"^unknown corpus 'nothing-like-it'; choose one of " + ", ".join(BUILTINS) + "$"),
        ("file:", r"^file: needs a path after the colon \(file:PATH\)$"),
        ("file:  ", "needs a path after the colon"),
        ("ag_news:", r"^ag_news: needs a path after the colon \(ag_news:PATH\)$"),
        ("file", r"^corpus 'file' needs a path after a colon, as in file:PATH$"),
        ("shakespeare:x", r"^corpus 'shakespeare' takes nothing after a colon: use 'shakespeare', not"),
        ("file:no/such/file.txt", r"^no/such/file.txt does not exist \(corpus 'file:no/such/file.txt'\)$"),
        ("ag_news:absent.csv", r"^absent.csv does not exist \(corpus 'ag_news:absent.csv'\)$"),
    ],
)
def test_bad_names_are_one_line_errors(tmp_path, check, name, message):
    with pytest.raises(CorpusError, match=message) as caught:
        check(name) if check is corpora.check_corpus_name else check(name, data_dir=tmp_path / "data")
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "data").exists()


def test_check_corpus_name_reads_no_corpus_and_fetches_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTGEN_BENCH_DATA", str(tmp_path / "data"))
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(b"caf\xe9\n")
    for name in ("shakespeare", "tinyshakespeare", "ag_news", f"file:{latin1}", f"ag_news:{latin1}"):
        corpora.check_corpus_name(name)
    corpora.check_corpus_name(f"file:{tmp_path}")  # a folder is a path too
    assert not (tmp_path / "data").exists()
    with pytest.raises(CorpusError, match="is not valid UTF-8"):  # loading reads it
        corpora.load_corpus(f"file:{latin1}")


def test_importing_the_registry_and_checking_names_imports_neither_torch_nor_a_loader(tmp_path):
    text = tmp_path / "text.txt"
    text.write_text("hello\n")
    code = f"""
import json, sys
import benchmarks.corpora as corpora
for name in ["shakespeare", "tinyshakespeare", "ag_news", "file:{text}", "ag_news:{text}"]:
    corpora.check_corpus_name(name)
loaded = sorted(m for m in sys.modules if m.startswith("benchmarks.corpora."))
print(json.dumps(["torch" in sys.modules, "transformers" in sys.modules, loaded]))
"""
    env = {**os.environ, "TEXTGEN_BENCH_DATA": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    torch, transformers, loaded = json.loads(done.stdout)
    assert (torch, transformers) == (False, False)
    assert loaded == ["benchmarks.corpora.registry", "benchmarks.corpora.split"]  # no source, no fetch
    assert not (tmp_path / "data").exists()


def test_require_context_names_the_short_split():
    corpus = Corpus("c", train="a" * 1000, valid="b" * 100, test="c" * 50, sha256="")
    corpora.require_context(corpus, 99)  # 99 + 1 fits in valid; test is not needed by default
    with pytest.raises(CorpusError, match="valid has 100 characters, needs at least 101"):
        corpora.require_context(corpus, 100)
    with pytest.raises(CorpusError, match="train has 1,000, valid has 100 characters"):
        corpora.require_context(corpus, 1000)
    with pytest.raises(CorpusError, match="test has 50"):
        corpora.require_context(corpus, 60, splits=("test",))


# ---- built-in declarations -----------------------------------------------------------------


def test_each_builtin_entry_names_its_loader_and_its_docstring():
    entries = registry.corpus_entries()
    assert list(entries) == BUILTINS
    available = corpora.available_corpora()
    for pattern, entry in entries.items():
        assert (entry.pattern, entry.source) == (pattern, "built-in")
        module, _, function = entry.target.partition(":")
        loader = getattr(__import__(module, fromlist=[function]), function)
        assert available[pattern] == " ".join(inspect.getdoc(loader).split("\n\n")[0].split())
        assert ("argument" in inspect.signature(loader).parameters) == bool(entry.argument)


# ---- plugins -------------------------------------------------------------------------------


def test_a_plugin_is_listed_checked_and_loaded_through_its_entry_point(fake_plugin, tmp_path, monkeypatch):
    assert registry.corpus_entries()["fake_letters"] == CorpusEntry(
        "fake_letters", "", f"{fake_plugin}:load", SOURCE
    )
    corpora.check_corpus_name("fake_letters")
    assert fake_plugin not in sys.modules  # naming and checking import nothing
    corpus = corpora.load_corpus("fake_letters", data_dir=tmp_path / "data", progress=False)
    assert corpus.name == "fake_letters" and corpus.train.startswith("Dear friend, this is letter 0000")
    monkeypatch.setenv("TEXTGEN_BENCH_DATA", str(tmp_path / "env-data"))
    assert corpora.load_corpus("fake_letters") == corpus
    assert [(tmp_path / "data", False), (tmp_path / "env-data", True)] == sys.modules[fake_plugin].CALLS
    assert corpora.load_corpus("fake_method").name == "fake_method"


def test_a_plugins_description_is_its_loaders_first_paragraph_and_its_source(fake_plugin):
    available = corpora.available_corpora()
    assert available["fake_letters"] == f"Letters of a made-up family archive, cut 80/10/10. ({SOURCE})"
    assert available["fake_method"] == f"A static method is a loader too. ({SOURCE})"
    assert available["fake_undocumented"] == f"no description (its loader has no docstring) ({SOURCE})"
    assert list(available) == sorted(available) and set(BUILTINS) < set(available)


def test_did_you_mean_and_the_colon_rule_know_plugins(fake_plugin):
    with pytest.raises(CorpusError, match=r"^unknown corpus 'fake_leters' \(did you mean 'fake_letters'\?\)"):
        corpora.check_corpus_name("fake_leters")
    with pytest.raises(CorpusError, match="takes nothing after a colon: use 'fake_letters'"):
        corpora.check_corpus_name("fake_letters:2020")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "fake_missing",
            r"cannot be loaded from {module}:Missing: AttributeError: module .* has no attribute 'Missing'$",
        ),
        (
            "fake_constant",
            r": {module}:NOT_CALLABLE is not callable; an entry point must name a loader function$",
        ),
        ("fake_not_corpus", r": {module}:not_a_corpus returned str, not a generators.base.Corpus$"),
        ("fake_buggy", r": its loader {module}:buggy raised KeyError: 'letters'$"),
        (
            "fake_old",
            r": its loader {module}:old_signature raised TypeError: .*unexpected keyword argument 'progress'$",
        ),
        (
            "fake_breaks",
            r": {module}:breaks_contract returned a Corpus that breaks the contract: its name is 'someone_else', "
            r"not 'fake_breaks'; its sha256 is not 64 lowercase hex digits \(the SHA-256 of its text\)$",
        ),
    ],
    ids=["missing", "not-callable", "not-a-corpus", "raises", "old-signature", "breaks-contract"],
)
def test_a_broken_plugin_is_a_one_line_corpus_error_naming_it(fake_plugin, tmp_path, name, message):
    with pytest.raises(CorpusError) as caught:
        corpora.load_corpus(name, data_dir=tmp_path)
    text = str(caught.value)
    assert text.startswith(f"corpus '{name}' ({SOURCE})") and "\n" not in text, text
    assert caught.match(message.format(module=fake_plugin))


def test_a_plugin_corpus_too_small_to_split_is_refused(fake_plugin, tmp_path):
    with pytest.raises(
        CorpusError, match=r"^corpus 'fake_small' is too small to split \(as loaded\): train 10,"
    ):
        corpora.load_corpus("fake_small", data_dir=tmp_path)


def test_a_plugins_own_corpus_error_is_passed_on_as_it_is(fake_plugin, tmp_path):
    with pytest.raises(CorpusError) as caught:
        corpora.load_corpus("fake_refusing", data_dir=tmp_path)
    assert str(caught.value) == f"put letters.csv in {tmp_path}"


def test_a_plugin_failing_while_imported_is_one_line_naming_it(
    installed_plugin, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("FAILING_PLUGIN_MESSAGE", "set PLUGIN_KEY\nfirst")
    module = plugin(installed_plugin, "failing", "failing-corpora", {"fake_failing": "load"})
    expected = (
        f"corpus 'fake_failing' (plugin failing-corpora 0.1) cannot be loaded from {module}:load: "
        "RuntimeError: set PLUGIN_KEY first"
    )
    corpora.check_corpus_name("fake_failing")  # the check imports nothing, so it passes
    with pytest.raises(CorpusError) as caught:
        corpora.load_corpus("fake_failing", data_dir=tmp_path)
    assert str(caught.value) == expected
    assert corpora.available_corpora()["fake_failing"] == expected  # the listing still works
    assert main(["corpora"]) == 0
    assert f"fake_failing        {expected}\n" in capsys.readouterr().out


def test_a_plugin_named_like_a_builtin_is_hidden_and_the_cli_says_so(installed_plugin, capsys):
    names = {"shakespeare": "load", "file": "load", "odd:name": "load"}
    module = plugin(installed_plugin, "fake-corpora", "clash-corpora", names)
    assert list(registry.corpus_entries()) == BUILTINS
    assert [(entry.name, why) for entry, why in corpora.hidden_plugins()] == [
        ("shakespeare", "the name is taken; rename its entry point"),
        ("file", "the name is taken; rename its entry point"),
        ("odd:name", "a corpus name cannot hold ':'; rename its entry point"),
    ]
    with pytest.raises(CorpusError, match="needs a path after a colon"):
        corpora.check_corpus_name("file")  # the plugin cannot take the built-in's name
    assert main(["corpora"]) == 0
    out, err = capsys.readouterr()
    assert err == (
        f"hidden: shakespeare of plugin clash-corpora 0.1 ({module}:load): the name is taken; rename its entry point\n"
        f"hidden: file of plugin clash-corpora 0.1 ({module}:load): the name is taken; rename its entry point\n"
        f"hidden: odd:name of plugin clash-corpora 0.1 ({module}:load): a corpus name cannot hold ':'; "
        "rename its entry point\n"
    )
    assert "shakespeare         42 modern-spelling Gutenberg works" in out and "made-up family" not in out
    assert module not in sys.modules  # a hidden plugin is never imported


def test_of_two_plugins_with_one_name_the_loser_is_hidden(installed_plugin):
    for dist in ("first-corpora", "second-corpora"):
        plugin(installed_plugin, "fake-corpora", dist, {"twin": "load"})
    winner = registry.corpus_entries()["twin"]
    assert [(entry.name, entry.source) for entry, _ in corpora.hidden_plugins()] == [
        ("twin", source)
        for source in ("plugin first-corpora 0.1", "plugin second-corpora 0.1")
        if source != winner.source
    ]


def test_the_corpora_command_lists_builtins_and_plugins(fake_plugin, capsys):
    assert main(["corpora"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert f"fake_letters        Letters of a made-up family archive, cut 80/10/10. ({SOURCE})" in lines
    assert any(line.startswith("file:PATH           a UTF-8 text file") for line in lines)
    assert lines[-1].startswith("data directory: ")
