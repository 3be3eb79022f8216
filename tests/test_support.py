"""The test helpers' own rules: the small run's TOML text is the small run."""

from __future__ import annotations

import tomllib

import pytest
from support import SMALL_RUN, toml_text

from benchmarks.run.settings import parse_config
from generators.options import merged


def test_the_small_runs_toml_text_reads_back_as_the_small_run():
    assert tomllib.loads(toml_text(SMALL_RUN)) == SMALL_RUN
    with_plugin = merged(SMALL_RUN, {"generators": {"slow-sampler": {"options": {"state_size": 1}}}})
    assert tomllib.loads(toml_text(with_plugin)) == with_plugin
    run = {**SMALL_RUN["run"], "corpora": ["file:x.txt"]}
    assert parse_config(tomllib.loads(toml_text({**SMALL_RUN, "run": run}))) == parse_config(
        {**SMALL_RUN, "run": run}
    )


def test_toml_text_quotes_what_is_not_a_bare_key_and_escapes_strings():
    data = {"a": {"odd:key": 'say "hi"\n', "flag": True, "n": [1, 2.5, "é"]}, "empty": {}}
    assert toml_text(data) == (
        '[a]\n"odd:key" = "say \\"hi\\"\\n"\nflag = true\nn = [1, 2.5, "\\u00e9"]\n[empty]\n'
    )
    assert tomllib.loads(toml_text(data)) == data
    with pytest.raises(TypeError, match="no TOML form for None"):
        toml_text({"a": None})
