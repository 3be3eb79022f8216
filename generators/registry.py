"""Finding generators by name: built-ins, runtime registrations and entry-point plugins.

Built-ins are listed in :data:`BUILTINS`, name -> the ``"module:Class"`` of the generator and of
its config dataclass: the generator is imported only when it is used, and its config class
(importable without torch) checks a run's options before any model library is imported.
Third-party packages declare an entry point in the group ``textgen_bench.generators``::

    [project.entry-points."textgen_bench.generators"]
    char-ngram = "my_package.ngram:CharNGramGenerator"
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from generators.base import Generator
from generators.errors import ConfigError, UnknownGeneratorError
from generators.options import did_you_mean
from generators.plugins import import_target, plugin_entries

ENTRY_POINT_GROUP = "textgen_bench.generators"
DISTRIBUTION = "textgen-bench"  # the package that ships the built-ins

T = TypeVar("T", bound=type)


@dataclass(frozen=True)
class GeneratorEntry:
    name: str
    target: str  # "module:Class"
    source: str  # "built-in", "plugin <distribution> <version>" or "registered at runtime"
    config_target: str = ""  # "module:Class" of its config_class when known without importing target
    distribution: str = ""  # a plugin's "<distribution> <version>", as its entry point names it


def _builtin(name: str, target: str, config_target: str) -> GeneratorEntry:
    return GeneratorEntry(name, f"generators.{target}", "built-in", f"generators.{config_target}")


BUILTINS: dict[str, GeneratorEntry] = {
    entry.name: entry
    for entry in (
        _builtin("markov", "markov.generator:MarkovGenerator", "markov.config:MarkovConfig"),
        _builtin("char-lstm", "recurrent.char_lstm:CharLSTMGenerator", "recurrent.config:CharLSTMConfig"),
        _builtin("word-lstm", "recurrent.word_lstm:WordLSTMGenerator", "recurrent.config:WordLSTMConfig"),
        _builtin("gpt2", "gpt2.generator:GPT2Generator", "gpt2.config:GPT2GeneratorConfig"),
    )
}


_runtime: dict[str, GeneratorEntry] = {}
_loaded: dict[str, type] = {}


def register_generator(name: str) -> Callable[[T], T]:
    """Class decorator: give a generator its registry name."""

    def decorate(cls: T) -> T:
        cls.name = name
        target = f"{cls.__module__}:{cls.__qualname__}"
        if not _declared_at(name, target):
            _runtime[name] = GeneratorEntry(name, target, "registered at runtime")
        _loaded[name] = cls
        return cls

    return decorate


def _declared_at(name: str, target: str) -> bool:
    """Whether a built-in scan or a plugin's entry point already names ``target`` as ``name``."""
    for entries in (lambda: BUILTINS, _plugin_entries):  # plugins are read only when needed
        known = entries().get(name)
        if known is not None and known.target == target:
            return True
    return False


def _plugin_entry_list() -> list[GeneratorEntry]:
    """Every entry point of the group, in the order importlib.metadata finds them."""
    return [
        GeneratorEntry(e.name, e.target, e.source, distribution=e.distribution)
        for e in plugin_entries(ENTRY_POINT_GROUP)
    ]


def _plugin_entries() -> dict[str, GeneratorEntry]:
    """By name; of two plugins with one name, the one found last wins."""
    return {entry.name: entry for entry in _plugin_entry_list()}


def available_generators() -> dict[str, GeneratorEntry]:
    """Every generator name, sorted, with where it comes from. Built-ins win name clashes."""
    entries = {**_plugin_entries(), **_runtime, **BUILTINS}
    return dict(sorted(entries.items()))


def hidden_plugins() -> list[GeneratorEntry]:
    """Plugin entry points that lose a name clash (with a built-in, a runtime registration or
    another plugin)."""
    available = available_generators()
    return [entry for entry in _plugin_entry_list() if available[entry.name] != entry]


def get_generator_class(name: str) -> type:
    """Import and return the generator class registered as ``name``."""
    if name in _loaded:
        return _loaded[name]
    entries = available_generators()
    if name not in entries:
        known = ", ".join(entries) or "none"
        raise UnknownGeneratorError(
            f"unknown generator {name!r}{did_you_mean(name, entries)}; available: {known}"
        )
    cls = _import_target(entries[name])
    if not cls.__dict__.get("name"):  # a subclass must not report its parent's name
        cls.name = name
    _loaded[name] = cls
    return cls


def generator_distribution(name: str) -> str:
    """The installed package whose code generator ``name`` runs, as "<distribution> <version>": a
    plugin's own package, textgen-bench for the built-ins, and for a class registered at runtime the
    package that provides its module ("" when none does, as for a class of a script). A model
    cache key holds it, so a new version of a plugin trains its models again."""
    entry = available_generators().get(name)
    if entry is not None and entry.source == "built-in":
        return f"{DISTRIBUTION} {importlib.metadata.version(DISTRIBUTION)}"
    if entry is not None and entry.distribution:
        return entry.distribution
    package = get_generator_class(name).__module__.partition(".")[0]
    names = _module_distributions().get(package, [])
    return ", ".join(f"{dist} {importlib.metadata.version(dist)}" for dist in names)


@cache
def _module_distributions() -> dict[str, list[str]]:
    """Top-level module name -> the installed distributions that provide it (read once: 0.3-0.5 s,
    so only for classes registered at runtime)."""
    found = importlib.metadata.packages_distributions()
    return {module: sorted(set(names)) for module, names in found.items()}


def get_config_class(name: str) -> type:
    """The config dataclass of generator ``name``: for the built-ins without importing the generator
    (and so torch), for the others from the generator class."""
    if name in _loaded:
        return _loaded[name].config_class
    entry = available_generators().get(name)
    if entry is not None and entry.config_target:
        config_class = _import_object(entry, entry.config_target)
        if dataclasses.is_dataclass(config_class):
            return config_class
    return get_generator_class(name).config_class


def _import_target(entry: GeneratorEntry) -> Any:
    obj = _import_object(entry, entry.target)
    if not (isinstance(obj, type) and issubclass(obj, Generator)):
        raise ConfigError(
            f"generator {entry.name!r} ({entry.source}): {entry.target} is not a Generator subclass"
        )
    return obj


def _import_object(entry: GeneratorEntry, target: str) -> Any:
    try:
        obj = import_target(target)
    except Exception as error:  # a plugin's module may fail in any way while it is imported
        raise ConfigError(
            f"generator {entry.name!r} ({entry.source}) cannot be loaded from {target}: "
            f"{type(error).__name__}: {error}"
        ) from error
    return obj


def create_generator(name: str, options: dict[str, Any] | None = None, *, device: str = "cpu"):
    """A new, untrained generator from its registry name and its config options."""
    return get_generator_class(name).from_options(options or {}, device=device)
