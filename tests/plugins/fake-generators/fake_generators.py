"""Complete (if useless) generators for the registry's tests, and a target that is not one."""

from dataclasses import dataclass

from generators import Generator, register_generator


@dataclass
class Config:
    size: int = 1  # how big


class Plain(Generator):  # no decorator: its name comes from the entry point
    config_class = Config
    fit = _score = _generate = save = describe = lambda self, *a, **k: None
    load = classmethod(lambda cls, *a, **k: cls())


@register_generator("fake-decorated")  # a plugin may use the decorator too
class Decorated(Plain):
    pass


class Child(Decorated):  # inherits the name "fake-decorated"; listed as "fake-child"
    pass


def not_a_generator():
    pass
