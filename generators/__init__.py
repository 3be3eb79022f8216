"""Text generators behind one interface, and what a plugin needs to write one.

The interface (:mod:`generators.base`), the registry that finds generators by name
(:mod:`generators.registry`), the config helpers that turn a TOML table of options into a
generator's config dataclass (:mod:`generators.options`), the one sampling rule
(:mod:`generators.sampling`) and the cost of a character outside a model's alphabet
(:mod:`generators.openvocab.vocabulary`). Importing this package imports neither torch nor any
generator.
"""

from generators.base import (
    SAMPLING_SETTINGS,
    UNICODE_SCALAR_COUNT,
    Budget,
    Corpus,
    FitReport,
    Generator,
    NextCharDistribution,
    Sampling,
)
from generators.openvocab.vocabulary import unseen_char_logprob
from generators.options import build_config, config_from_dict, config_to_dict
from generators.registry import (
    available_generators,
    create_generator,
    get_generator_class,
    register_generator,
)
from generators.sampling import TokenHistory, choose_tokens, next_token_probs, seeded_uniforms

__all__ = [
    "SAMPLING_SETTINGS",
    "UNICODE_SCALAR_COUNT",
    "Budget",
    "Corpus",
    "FitReport",
    "Generator",
    "NextCharDistribution",
    "Sampling",
    "TokenHistory",
    "available_generators",
    "build_config",
    "choose_tokens",
    "config_from_dict",
    "config_to_dict",
    "create_generator",
    "get_generator_class",
    "next_token_probs",
    "register_generator",
    "seeded_uniforms",
    "unseen_char_logprob",
]
