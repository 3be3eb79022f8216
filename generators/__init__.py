"""Text generators behind one interface, and the registry that finds them by name."""

from generators.base import (
    UNICODE_SCALAR_COUNT,
    Budget,
    Corpus,
    FitReport,
    Generator,
    NextCharDistribution,
    Sampling,
)
from generators.registry import (
    available_generators,
    create_generator,
    get_generator_class,
    register_generator,
)

__all__ = [
    "UNICODE_SCALAR_COUNT",
    "Budget",
    "Corpus",
    "FitReport",
    "Generator",
    "NextCharDistribution",
    "Sampling",
    "available_generators",
    "create_generator",
    "get_generator_class",
    "register_generator",
]
