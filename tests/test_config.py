"""build_config: config dataclasses from plain mappings (TOML tables), with clear errors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

import pytest

from generators.errors import ConfigError
from generators.options import build_config, config_from_dict, config_to_dict


@dataclass
class Optim:
    lr: float = 0.1  # learning rate
    betas: tuple[float, float] = (0.9, 0.99)  # a fixed-length tuple

    def __post_init__(self) -> None:
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")


@dataclass
class Model:
    layers: int = 2  # an int
    dropout: float = 0.0  # a float
    cell: Literal["lstm", "gru"] = "lstm"  # a choice of text
    heads: Literal[1, 2] = 1  # a choice of numbers
    prompt: str | None = None  # optional text
    max_len: int | None = None  # optional int
    sizes: tuple[int, ...] = (1, 2)  # a tuple of any length
    tied: bool = False  # a bool
    optim: Optim = field(default_factory=Optim)  # a nested table

    def __post_init__(self) -> None:
        if self.layers < 1:
            raise ValueError(f"layers must be >= 1, got {self.layers}")


def build(**options):
    return build_config(Model, options, owner="model")


def test_no_options_give_the_defaults():
    assert build() == Model()


def test_values_of_the_right_type_are_kept():
    made = build(
        layers=3, dropout=0.5, cell="gru", heads=2, prompt="Hi", max_len=7, sizes=[4, 5, 6], tied=True
    )
    assert made == Model(3, 0.5, "gru", 2, "Hi", 7, (4, 5, 6), True)
    assert isinstance(made.sizes, tuple)


def test_an_int_is_accepted_for_a_float_and_becomes_one():
    made = build(dropout=1, optim={"betas": [1, 0.5]})
    assert made.dropout == 1.0 and type(made.dropout) is float
    assert made.optim.betas == (1.0, 0.5) and all(type(b) is float for b in made.optim.betas)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"layer": 3}, "unknown option model.layer (did you mean 'layers'?)"),
        ({"colour": 3}, "unknown option model.colour"),
        ({"optim": {"lrr": 0.1}}, "unknown option model.optim.lrr (did you mean 'lr'?)"),
    ],
)
def test_unknown_keys_are_named_with_a_suggestion(options, message):
    with pytest.raises(ConfigError) as raised:
        build(**options)
    assert str(raised.value) == message


def test_no_suggestion_without_a_close_match():
    with pytest.raises(ConfigError) as raised:
        build(colour=3)
    assert "did you mean" not in str(raised.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"layers": "2"}, "model.layers must be an integer, got '2' (str)"),
        ({"layers": True}, "model.layers must be an integer, got True (bool)"),
        ({"layers": 2.0}, "model.layers must be an integer, got 2.0 (float)"),
        ({"dropout": "0.1"}, "model.dropout must be a number, got '0.1' (str)"),
        ({"dropout": False}, "model.dropout must be a number, got False (bool)"),
        ({"tied": 1}, "model.tied must be true or false, got 1 (int)"),
        ({"prompt": 3}, "model.prompt must be text, got 3 (int)"),
        ({"max_len": "5"}, "model.max_len must be an integer, got '5' (str)"),
        ({"max_len": 5.5}, "model.max_len must be an integer, got 5.5 (float)"),
        ({"optim": {"lr": "fast"}}, "model.optim.lr must be a number, got 'fast' (str)"),
    ],
)
def test_wrong_types_are_named(options, message):
    with pytest.raises(ConfigError) as raised:
        build(**options)
    assert str(raised.value) == message


def test_optional_fields_take_none_or_their_type():
    assert build(prompt=None, max_len=None) == Model()
    assert build(max_len=4).max_len == 4


@pytest.mark.parametrize("value", ["transformer", "LSTM", 1])
def test_literal_text_must_be_one_of_the_choices(value):
    with pytest.raises(ConfigError, match=r"model\.cell must be one of \['lstm', 'gru'\], got"):
        build(cell=value)


@pytest.mark.parametrize("value", [True, 1.0, "1", 3])
def test_literal_numbers_must_match_in_type_too(value):
    with pytest.raises(ConfigError, match=r"model\.heads must be one of \[1, 2\]"):
        build(heads=value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sizes": "123"}, "model.sizes must be a list, got '123'"),
        ({"sizes": [1, "x"]}, "model.sizes[1] must be an integer, got 'x' (str)"),
        ({"optim": {"betas": [0.9]}}, "model.optim.betas must have 2 items, got 1: [0.9]"),
        ({"optim": {"betas": [0.9, 0.9, 0.9]}}, "model.optim.betas must have 2 items, got 3"),
        ({"optim": {"betas": [0.9, "x"]}}, "model.optim.betas[1] must be a number, got 'x' (str)"),
    ],
)
def test_tuple_items_and_lengths_are_checked(options, message):
    with pytest.raises(ConfigError) as raised:
        build(**options)
    assert str(raised.value).startswith(message)


def test_nested_dataclass_from_a_table_or_an_instance():
    assert build(optim={"lr": 0.5}).optim == Optim(lr=0.5)
    assert build(optim=Optim(lr=0.25)).optim == Optim(lr=0.25)
    with pytest.raises(ConfigError) as raised:
        build(optim=0.5)
    assert str(raised.value) == "model.optim must be a table of options, got 0.5 (float)"


def _fast_optim() -> Optim:
    return Optim(lr=0.5, betas=(0.8, 0.9))


@dataclass
class Tuned:
    optim: Optim = field(default_factory=_fast_optim)  # defaults that differ from Optim's own
    inner: Model = field(default_factory=lambda: Model(layers=4, optim=Optim(lr=0.3)))  # two levels


@dataclass
class Derived:
    lr: float = 0.1  # learning rate
    steps: int = field(init=False, default=0)  # set by the owner, not an option


@dataclass
class WithDerived:
    optim: Derived = field(default_factory=lambda: Derived(lr=0.2))  # has a non-init field


def test_a_partial_nested_table_ignores_fields_that_are_not_options():
    assert build_config(WithDerived, {"optim": {}}).optim.lr == 0.2


def test_a_partial_nested_table_keeps_the_fields_own_defaults_for_the_other_keys():
    made = build_config(Tuned, {"optim": {"betas": [0.5, 0.6]}, "inner": {"optim": {"betas": [0, 0]}}})
    assert made.optim == Optim(lr=0.5, betas=(0.5, 0.6))  # lr from _fast_optim, not Optim's 0.1
    assert made.inner.layers == 4 and made.inner.optim == Optim(lr=0.3, betas=(0.0, 0.0))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"layers": 0}, "model: layers must be >= 1, got 0"),
        ({"optim": {"lr": -1}}, "model.optim: lr must be > 0, got -1.0"),
    ],
)
def test_range_errors_from_post_init_become_config_errors(options, message):
    with pytest.raises(ConfigError) as raised:
        build(**options)
    assert str(raised.value) == message
    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value.__cause__, ValueError)


def test_without_an_owner_the_class_names_range_errors():
    with pytest.raises(ConfigError, match=r"^unknown option layer "):
        build_config(Model, {"layer": 1})
    with pytest.raises(ConfigError, match=r"^Model: layers must be >= 1"):
        build_config(Model, {"layers": 0})


def test_config_round_trips_through_json():
    made = build(sizes=[3], optim={"betas": [0.5, 0.6]}, prompt="x")
    data = json.loads(json.dumps(config_to_dict(made)))
    assert data["optim"] == {"lr": 0.1, "betas": [0.5, 0.6]}
    assert config_from_dict(Model, data) == made
