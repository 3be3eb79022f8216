"""The settings of the built-in generators, importable without torch or transformers.

Each built-in generator's config dataclass lives here, one module per generator, so a run checks
every option of every generator (unknown keys, types, ranges) in a fraction of a second, before
the libraries that train the models are imported. The generator modules use these classes as
their ``config_class``.
"""
