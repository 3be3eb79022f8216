"""Finding generators by name: built-ins, runtime registrations and entry-point plugins.

Built-ins are found lazily: the modules of this package are read (not imported) for
``@register_generator("name")`` decorations, giving ``"module:Class"`` targets that are imported
only when that generator is used. Third-party packages declare an entry point in the group
``textgen_bench.generators``::

    [project.entry-points."textgen_bench.generators"]
    char-ngram = "my_package.ngram:CharNGramGenerator"
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import importlib.metadata
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from generators.base import Generator
from generators.config import did_you_mean
from generators.errors import ConfigError, UnknownGeneratorError

ENTRY_POINT_GROUP = "textgen_bench.generators"
DISTRIBUTION = "textgen-bench"  # the package that ships the built-ins
_PACKAGE_DIR = Path(__file__).parent

T = TypeVar("T", bound=type)


@dataclass(frozen=True)
class GeneratorEntry:
    name: str
    target: str  # "module:Class"
    source: str  # "built-in", "plugin <distribution> <version>" or "registered at runtime"
    config_target: str = ""  # "module:Class" of its config_class when known without importing target
    distribution: str = ""  # a plugin's "<distribution> <version>", as its entry point names it


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
    for entries in (_builtin_entries, _plugin_entries):  # plugins are read only when needed
        known = entries().get(name)
        if known is not None and known.target == target:
            return True
    return False


def _decorated_names(tree: ast.Module) -> list[tuple[str, str, str]]:
    """(registry name, class name, config target or "") of each ``@register_generator`` class."""
    imported = {  # names the module imports from elsewhere: where a config class can be found
        alias.asname or alias.name: f"{node.module}:{alias.name}"
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    found = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for deco in node.decorator_list:
            if (
                isinstance(deco, ast.Call)
                and getattr(deco.func, "id", getattr(deco.func, "attr", None)) == "register_generator"
                and deco.args
                and isinstance(deco.args[0], ast.Constant)
            ):
                found.append((deco.args[0].value, node.name, imported.get(_config_name(node), "")))
    return found


def _config_name(node: ast.ClassDef) -> str:
    """The name assigned to ``config_class`` in a class body, or ""."""
    for statement in node.body:
        targets = statement.targets if isinstance(statement, ast.Assign) else []
        if any(getattr(t, "id", None) == "config_class" for t in targets):
            return getattr(statement.value, "id", "")
    return ""


@cache
def _builtin_entries() -> dict[str, GeneratorEntry]:
    entries = {}
    for module in pkgutil.iter_modules([str(_PACKAGE_DIR)]):
        path = _PACKAGE_DIR / f"{module.name}.py"
        if module.ispkg or not path.exists():
            continue
        source = path.read_text(encoding="utf-8")
        if "register_generator(" not in source:
            continue
        for name, class_name, config_target in _decorated_names(ast.parse(source)):
            target = f"{__package__}.{module.name}:{class_name}"
            entries[name] = GeneratorEntry(name, target, "built-in", config_target)
    return entries


def _plugin_entry_list() -> list[GeneratorEntry]:
    """Every entry point of the group, in the order importlib.metadata finds them."""
    entries = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        distribution = f"{ep.dist.name} {ep.dist.version}" if ep.dist else ""
        origin = f"plugin {distribution}".rstrip()
        entries.append(GeneratorEntry(ep.name, ep.value, origin, distribution=distribution))
    return entries


def _plugin_entries() -> dict[str, GeneratorEntry]:
    """By name; of two plugins with one name, the one found last wins."""
    return {entry.name: entry for entry in _plugin_entry_list()}


def available_generators() -> dict[str, GeneratorEntry]:
    """Every generator name, sorted, with where it comes from. Built-ins win name clashes."""
    entries = {**_plugin_entries(), **_runtime, **_builtin_entries()}
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
    module_name, _, attr = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except Exception as error:  # a plugin's module may fail in any way while it is imported
        raise ConfigError(
            f"generator {entry.name!r} ({entry.source}) cannot be loaded from {target}: "
            f"{type(error).__name__}: {error}"
        ) from error
    return obj


def create_generator(name: str, options: dict[str, Any] | None = None, *, device: str = "cpu"):
    """A new, untrained generator from its registry name and its config options."""
    return get_generator_class(name).from_options(options or {}, device=device)
