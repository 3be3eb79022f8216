"""Building config dataclasses from plain mappings, with clear errors."""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal

from generators.errors import ConfigError


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    """' (did you mean 'x'?)' when a close match exists, else ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def coerce(value: Any, annotation: Any, where: str) -> Any:
    """Check ``value`` against a type annotation; ints are accepted where floats are expected."""
    origin = typing.get_origin(annotation)
    if origin is Literal:  # 1 == True == 1.0, so the type must match too
        if not any(value == a and type(value) is type(a) for a in typing.get_args(annotation)):
            raise ConfigError(f"{where} must be one of {list(typing.get_args(annotation))}, got {value!r}")
        return value
    if origin in (types.UnionType, typing.Union):
        return coerce_union(value, typing.get_args(annotation), where)
    if origin in (tuple, list):
        return coerce_sequence(value, origin, typing.get_args(annotation), where)
    if dataclasses.is_dataclass(annotation):
        if isinstance(value, annotation):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where} must be a table of options, got {value!r} ({type(value).__name__})")
        return build_config(annotation, value, owner=where)
    return coerce_scalar(value, annotation, where)


def coerce_union(value: Any, options: tuple, where: str) -> Any:
    not_none = [option for option in options if option is not type(None)]
    if value is not None and len(not_none) == 1:  # X | None: X's own, precise error
        return coerce(value, not_none[0], where)
    for option in options:
        try:
            return coerce(value, option, where)
        except ConfigError:
            continue
    raise ConfigError(f"{where} has the wrong type: {value!r} ({type(value).__name__})")


def coerce_sequence(value: Any, origin: type, item_types: tuple, where: str) -> Any:
    if not isinstance(value, list | tuple):
        raise ConfigError(f"{where} must be a list, got {value!r}")
    if origin is tuple and item_types and item_types[-1] is not Ellipsis:  # tuple[float, float]
        if len(value) != len(item_types):
            raise ConfigError(f"{where} must have {len(item_types)} items, got {len(value)}: {value!r}")
        return tuple(
            coerce(v, t, f"{where}[{i}]") for i, (v, t) in enumerate(zip(value, item_types, strict=True))
        )
    item = item_types[0] if item_types else Any
    return origin(coerce(v, item, f"{where}[{i}]") for i, v in enumerate(value))


def coerce_scalar(value: Any, annotation: Any, where: str) -> Any:
    if annotation is Any:
        return value
    if annotation is type(None):
        if value is not None:
            raise ConfigError(f"{where} must be empty, got {value!r}")
        return None
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number, got {value!r} ({type(value).__name__})")
        return float(value)
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer, got {value!r} ({type(value).__name__})")
        return value
    if annotation in (str, bool):
        if not isinstance(value, annotation):
            expected = "text" if annotation is str else "true or false"
            raise ConfigError(f"{where} must be {expected}, got {value!r} ({type(value).__name__})")
        return value
    return value


def build_config(config_class: type, options: Mapping[str, Any], owner: str = "") -> Any:
    """Instantiate ``config_class`` from ``options``; unknown keys and wrong types raise ConfigError.

    Range checks belong in the dataclass's ``__post_init__`` (raise ValueError there): they are
    turned into ConfigError here.
    """
    prefix = f"{owner}." if owner else ""
    hints = typing.get_type_hints(config_class)
    fields = {f.name: f for f in dataclasses.fields(config_class) if f.init}
    values = {}
    for key, value in options.items():
        if key not in fields:
            raise ConfigError(f"unknown option {prefix}{key}{did_you_mean(key, fields)}")
        values[key] = coerce(over_default(fields[key], value), hints[key], f"{prefix}{key}")
    try:
        return config_class(**values)
    except ConfigError:
        raise
    except (TypeError, ValueError) as error:
        message, where = str(error), owner or config_class.__name__
        raise ConfigError(message if message.startswith(where) else f"{where}: {message}") from error


def over_default(field: dataclasses.Field, value: Any) -> Any:
    """A partial table for a nested config, laid over that field's own default.

    ``{"optim": {"grad_clip": 0}}`` changes one setting of char-lstm's optimiser and keeps the
    rest of char-lstm's defaults (its learning rate, warm-up, ...), not the base class's.
    """
    if not isinstance(value, Mapping) or field.default_factory is dataclasses.MISSING:
        return value
    default = field.default_factory()
    return merged(init_options(default), value) if dataclasses.is_dataclass(default) else value


def init_options(config: Any) -> Any:
    """A config dataclass as the nested table of its ``__init__`` fields (what build_config accepts)."""
    if not dataclasses.is_dataclass(config):
        return config
    return {f.name: init_options(getattr(config, f.name)) for f in dataclasses.fields(config) if f.init}


def merged(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``update`` laid over it, nested tables merged key by key."""
    out = dict(base)
    for key, value in update.items():
        both_tables = isinstance(value, Mapping) and isinstance(out.get(key), Mapping)
        out[key] = merged(out[key], value) if both_tables else value
    return out


def config_to_dict(config: Any) -> dict[str, Any]:
    """A JSON-ready dict of a config dataclass (tuples become lists)."""
    return dataclasses.asdict(config)


def config_from_dict(config_class: type, data: Mapping[str, Any]) -> Any:
    """Rebuild a config saved by ``config_to_dict``."""
    return build_config(config_class, data)
