"""What the generator and corpus registries share: entry points and ``"module:attr"`` targets.

Built-ins are listed in each registry's own table; third-party packages add theirs through an
entry-point group (``textgen_bench.generators``, ``textgen_bench.corpora``). Either way an entry
names its object as ``"module:attr"`` (``"module:Class.method"`` too), imported only when used.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PluginEntry:
    name: str  # the entry point's name
    target: str  # "module:attr"
    source: str  # "plugin <distribution> <version>"
    distribution: str  # "<distribution> <version>" of the package that declares it ("" if unknown)


def plugin_entries(group: str) -> list[PluginEntry]:
    """Every entry point of ``group``, in the order importlib.metadata finds them."""
    entries = []
    for ep in importlib.metadata.entry_points(group=group):
        distribution = f"{ep.dist.name} {ep.dist.version}" if ep.dist else ""
        entries.append(PluginEntry(ep.name, ep.value, f"plugin {distribution}".rstrip(), distribution))
    return entries


def import_target(target: str) -> Any:
    """The object a ``"module:attr"`` target names; whatever importing it raises is raised."""
    module_name, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj
