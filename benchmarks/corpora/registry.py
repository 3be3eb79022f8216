"""The corpus registry: corpus names -> loaders, built in or from plugins, found without imports.

A corpus is a *loader*, a callable that returns a :class:`generators.base.Corpus`. Its name is
plain (``shakespeare``) or a pattern that takes a path after a colon (``file:PATH``): the name
``file:books/`` loads ``books/`` with the loader of ``file:PATH``.

Built-in corpora are listed in :data:`BUILTINS`, pattern -> the ``"module:function"`` of the
loader, whose docstring's first paragraph is the description. Naming or checking a corpus imports
no loader; a loader's module is imported when its corpus is loaded or listed. A built-in loader is
called as ``load(data_dir, progress=...)``, one with a path as ``load(data_dir, progress=...,
argument=...)`` (the text after the colon).

Third-party corpora come from entry points in the group ``textgen_bench.corpora``::

    [project.entry-points."textgen_bench.corpora"]
    my_corpus = "my_package.corpus:load"

The plugin contract:

* **Name.** The entry point's name is the corpus name (``--corpus my_corpus``); a plugin takes no
  argument after a colon. A plugin whose name a built-in takes (``shakespeare``, and also ``file``
  or ``ag_news``), whose name holds ":", or which loses a clash with a plugin found later, is hidden:
  :func:`hidden_plugins` lists it and ``textgen-bench corpora`` says so on stderr.
* **Loader.** The value names the loader, ``"module:function"`` (``"module:Class.method"`` and any
  other callable work too). The module is imported only to load the corpus or to list its
  description; a failed import, a missing attribute or an object that is not callable is a
  one-line :class:`~generators.errors.CorpusError` naming the plugin.
* **Call.** ``load(data_dir, progress=progress)``. ``data_dir`` is a :class:`pathlib.Path`,
  ``$TEXTGEN_BENCH_DATA`` or else the user cache directory, and may not exist yet: keep what the
  loader fetches under it, fetched once (:func:`benchmarks.corpora.fetch.download` writes
  atomically and checks a sha256; :func:`benchmarks.corpora.normalise.read_text` reads a file as
  strict UTF-8 and refuses NUL bytes). ``progress`` is a bool: print download messages, to stderr
  only, when it is true.
* **Result.** A Corpus whose ``name`` is the entry point's name; whose ``train``, ``valid`` and
  ``test`` are strings, train at least 1,000 characters and valid and test at least 100 each
  (:data:`~benchmarks.corpora.split.MIN_TRAIN_CHARS`, ``MIN_HELDOUT_CHARS``); whose ``sha256`` is
  the 64 lowercase hex digits of the SHA-256 of the UTF-8 text the splits were cut from (a run
  resumes only on the same sha256, so other text must give another); and whose ``split_rule``
  says in words how the text was split. The same files must give the same Corpus. A result that
  is not such a Corpus (the type, the name, the splits' type and sizes and the sha256's form are
  checked) is a CorpusError naming the plugin.
* **Errors.** A problem the user can fix (a missing file, a failed download, a wrong checksum) is
  raised as a CorpusError with one line saying what to do; the CLI prints it and exits with
  status 2. Any other exception is raised again as a CorpusError naming the plugin, with the
  original as its cause.
* **Description.** The first paragraph of the loader's docstring, on one line, is what
  :func:`available_corpora` and ``textgen-bench corpora`` show, followed by the plugin's
  distribution and version.
"""

from __future__ import annotations

import difflib
import inspect
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from benchmarks.console import one_line
from benchmarks.corpora.split import SPLITS, check_split_sizes
from generators.base import Corpus
from generators.errors import CorpusError, TextgenBenchError
from generators.plugins import import_target, plugin_entries

ENTRY_POINT_GROUP = "textgen_bench.corpora"
DATA_ENV = "TEXTGEN_BENCH_DATA"  # overrides the data directory


@dataclass(frozen=True)
class CorpusEntry:
    name: str  # before any colon: "shakespeare", "file"
    argument: str  # after the colon of the pattern ("PATH"), "" for a plain name
    target: str  # "module:function" of the loader
    source: str  # "built-in" or "plugin <distribution> <version>"

    @property
    def pattern(self) -> str:
        return f"{self.name}:{self.argument}" if self.argument else self.name


def _builtin(pattern: str, target: str) -> CorpusEntry:
    name, _, argument = pattern.partition(":")
    return CorpusEntry(name, argument, f"benchmarks.corpora.{target}", "built-in")


BUILTINS: dict[str, CorpusEntry] = {
    entry.pattern: entry
    for entry in (
        _builtin("ag_news", "ag_news:load_test_split"),
        _builtin("ag_news:PATH", "ag_news:load_csv"),
        _builtin("file:PATH", "files:load"),
        _builtin("shakespeare", "shakespeare:load"),
        _builtin("tinyshakespeare", "tinyshakespeare:load"),
    )
}


def data_directory() -> Path:
    """``$TEXTGEN_BENCH_DATA`` if set, else the user cache directory of textgen-bench."""
    configured = os.environ.get(DATA_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_cache_dir("textgen-bench"))


def load_corpus(name: str, *, data_dir: Path | None = None, progress: bool = True) -> Corpus:
    """Load a corpus by name, fetching it into the data directory on first use."""
    entry, argument = _resolve(name)
    loader = _import_loader(entry)
    directory = Path(data_dir) if data_dir is not None else data_directory()
    if entry.source != "built-in":
        corpus = _call_plugin(entry, loader, directory, progress)
    elif entry.argument:
        corpus = loader(directory, progress=progress, argument=argument)
    else:
        corpus = loader(directory, progress=progress)
    _check_loaded(entry, name, corpus)
    return corpus


def check_corpus_name(name: str) -> None:
    """Raise CorpusError unless ``name`` is a corpus this registry can load: a known name, and for
    a pattern such as ``file:PATH`` a path that is given and exists.

    Cheap, for checking settings before any heavy work: it imports no loader (nor torch), reads no
    corpus and fetches nothing.
    """
    _resolve(name)


def corpus_entries() -> dict[str, CorpusEntry]:
    """Every usable corpus by name or pattern, sorted: the built-ins and the plugins not hidden."""
    taken = {entry.name for entry in BUILTINS.values()}
    plugins = {e.name: e for e in _plugin_entry_list() if e.name not in taken and ":" not in e.name}
    return dict(sorted({**plugins, **BUILTINS}.items()))


def available_corpora() -> dict[str, str]:
    """Corpus name (or pattern) -> one-line description, plugins included (their modules are
    imported to read their loaders' docstrings)."""
    return {pattern: _describe(entry) for pattern, entry in corpus_entries().items()}


def hidden_plugins() -> list[tuple[CorpusEntry, str]]:
    """(entry, why) for each plugin entry point that its name cannot reach."""
    usable = corpus_entries()
    hidden = []
    for entry in _plugin_entry_list():
        if ":" in entry.name:
            hidden.append((entry, "a corpus name cannot hold ':'; rename its entry point"))
        elif usable.get(entry.name) != entry:
            hidden.append((entry, "the name is taken; rename its entry point"))
    return hidden


# ---- finding entries -----------------------------------------------------------------------


def _plugin_entry_list() -> list[CorpusEntry]:
    """Every entry point of the group, in the order importlib.metadata finds them."""
    return [CorpusEntry(e.name, "", e.target, e.source) for e in plugin_entries(ENTRY_POINT_GROUP)]


def _resolve(name: str) -> tuple[CorpusEntry, str]:
    """The entry that loads ``name`` and the text after its colon, the path checked."""
    kind, colon, argument = name.partition(":")
    entries = corpus_entries()
    by_kind = {(entry.name, bool(entry.argument)): entry for entry in entries.values()}
    entry = by_kind.get((kind, bool(colon)))
    if entry is not None:
        if entry.argument:
            _check_path(entry, name, argument)
        return entry, argument
    other = by_kind.get((kind, not colon))  # the same name, with or without a colon
    if other is not None and colon:
        raise CorpusError(f"corpus {kind!r} takes nothing after a colon: use {kind!r}, not {name!r}")
    if other is not None:
        raise CorpusError(f"corpus {kind!r} needs a path after a colon, as in {other.pattern}")
    raise CorpusError(
        f"unknown corpus {name!r}{_suggestion(kind, bool(colon), entries)}; choose one of {', '.join(entries)}"
    )


def _check_path(entry: CorpusEntry, name: str, argument: str) -> None:
    if not argument.strip():
        raise CorpusError(f"{name} needs a path after the colon ({entry.pattern})")
    path = Path(argument).expanduser()
    try:
        exists = path.exists()
    except (OSError, ValueError) as error:
        raise CorpusError(f"cannot read {path} (corpus {name!r}): {one_line(str(error))}") from None
    if not exists:
        raise CorpusError(f"{path} does not exist (corpus {name!r})")


def _suggestion(kind: str, colon: bool, entries: dict[str, CorpusEntry]) -> str:
    """' (did you mean 'x'?)' naming the corpus whose name is closest to ``kind``, else ''."""
    patterns: dict[str, str] = {}
    for entry in entries.values():  # of "ag_news" and "ag_news:PATH", the one alike in colon
        if entry.name not in patterns or bool(entry.argument) == colon:
            patterns[entry.name] = entry.pattern
    close = difflib.get_close_matches(kind, list(patterns), n=1, cutoff=0.6)
    return f" (did you mean {patterns[close[0]]!r}?)" if close else ""


# ---- loading -------------------------------------------------------------------------------


def _import_loader(entry: CorpusEntry) -> Callable[..., Any]:
    try:
        loader = import_target(entry.target)
    except Exception as error:  # a plugin's module may fail in any way while it is imported
        raise CorpusError(
            f"corpus {entry.pattern!r} ({entry.source}) cannot be loaded from {entry.target}: "
            f"{type(error).__name__}: {one_line(str(error))}"
        ) from error
    if not callable(loader):
        raise CorpusError(
            f"corpus {entry.pattern!r} ({entry.source}): {entry.target} is not callable; "
            "an entry point must name a loader function"
        )
    return loader


def _call_plugin(entry: CorpusEntry, loader: Callable[..., Any], data_dir: Path, progress: bool) -> Any:
    try:
        return loader(data_dir, progress=progress)
    except TextgenBenchError:
        raise
    except Exception as error:  # a plugin's bug, reported as what it is and whose
        raise CorpusError(
            f"corpus {entry.name!r} ({entry.source}): its loader {entry.target} raised "
            f"{type(error).__name__}: {one_line(str(error))}"
        ) from error


def _check_loaded(entry: CorpusEntry, name: str, corpus: Any) -> None:
    """Raise CorpusError unless the loader returned what the contract says."""
    where = f"corpus {name!r} ({entry.source}): {entry.target}"
    if not isinstance(corpus, Corpus):
        raise CorpusError(f"{where} returned {type(corpus).__name__}, not a generators.base.Corpus")
    problems = [f"{split} is not a str" for split in SPLITS if not isinstance(getattr(corpus, split), str)]
    if corpus.name != name:
        problems.append(f"its name is {corpus.name!r}, not {name!r}")
    if not (isinstance(corpus.sha256, str) and re.fullmatch(r"[0-9a-f]{64}", corpus.sha256)):
        problems.append("its sha256 is not 64 lowercase hex digits (the SHA-256 of its text)")
    if problems:
        raise CorpusError(f"{where} returned a Corpus that breaks the contract: {'; '.join(problems)}")
    check_split_sizes(name, corpus.train, corpus.valid, corpus.test, "as loaded")


def _describe(entry: CorpusEntry) -> str:
    try:
        loader = _import_loader(entry)
    except CorpusError as error:
        return str(error)
    summary = _first_paragraph(inspect.getdoc(loader)) or "no description (its loader has no docstring)"
    return summary if entry.source == "built-in" else f"{summary} ({entry.source})"


def _first_paragraph(docstring: str | None) -> str:
    return " ".join((docstring or "").strip().split("\n\n")[0].split())

