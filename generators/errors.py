"""Errors a user can cause and fix. The CLI prints them on one line and exits with status 2."""


class TextgenBenchError(Exception):
    """Base class of every user-facing error."""


class ConfigError(TextgenBenchError, ValueError):
    """An unknown key, a wrong type or an out-of-range value in a configuration."""


class SamplingError(ConfigError):
    """An invalid sampling parameter (temperature, top_k, top_p, …)."""


class UnsupportedSampling(SamplingError):
    """A sampling setting the generator does not honour (its ``sampling_settings``)."""


class UnknownGeneratorError(ConfigError, KeyError):
    """A generator name that is neither built in nor installed as a plugin."""

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return str(self.args[0]) if self.args else ""


class CorpusError(TextgenBenchError):
    """A corpus that is missing, empty, not UTF-8, too small, or fails its checksum."""


class TrainingError(TextgenBenchError):
    """Training diverged (NaN or infinite loss) or ran out of device memory."""
