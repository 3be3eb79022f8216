"""README.md and docs/: up to date, and naming only flags, keys, files, code and anchors that exist."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from benchmarks import docs
from benchmarks.cli import build_parser
from generators.testing import check_generator
from tests.docs_support import (
    PAGES,
    ROOT,
    broken_links,
    excerpt_problems,
    parser_flags,
    unknown_code,
    unknown_flags,
    unknown_keys,
)

KNOWN_FLAGS = parser_flags(build_parser()) | parser_flags(docs.build_parser())
PAGE_IDS = [page.relative_to(ROOT).as_posix() for page in PAGES]


def text(page):
    return page.read_text(encoding="utf-8")


def test_metrics_page_is_up_to_date():
    assert docs.render_metrics() == text(docs.METRICS_PAGE), "docs/metrics.md is out of date: run make docs"


def test_every_metric_module_has_a_section():
    placed = {module for _, modules in docs.SECTIONS for module in modules}
    modules = {f"benchmarks.metrics.{p.stem}" for p in (ROOT / "benchmarks/metrics").glob("*.py")}
    assert modules - {"benchmarks.metrics.__init__"} <= placed


def test_readme_stays_a_map():
    assert len(text(ROOT / "README.md").splitlines()) <= 200


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_pages_name_only_what_exists(page):
    content = text(page)
    problems = [
        *unknown_flags(content, KNOWN_FLAGS),
        *unknown_keys(content),
        *unknown_code(content),
        *broken_links(content, page),
        *excerpt_problems(content),
    ]
    assert not problems, "\n".join(problems)


def test_the_checks_find_what_does_not_exist():
    """Each check flags a wrong name (so the test above can fail), and passes the right one."""
    assert unknown_flags("textgen-bench run --fresh --retrain", KNOWN_FLAGS) == []
    assert unknown_flags("textgen-bench run --fresh-start", KNOWN_FLAGS) == ["--fresh-start: no such flag"]
    assert unknown_keys("`--set sweep.max_chars=200` and `run.json`") == []
    assert unknown_keys("`--set sweep.max_char=200`") == ["sweep.max_char: [sweep] has no key max_char"]
    assert unknown_keys("generators.NAME.budget_steps, generators.gpt2.options.optim.lr") == []
    assert unknown_keys("generators.NAME.budget_step") != []
    assert unknown_keys("generators.char-lstm.options.hidden_sizes=256") != []
    assert unknown_code("`generators/base.py`, `generators.sampling.seeded_uniforms`") == []
    assert unknown_code("`generators/bass.py`") == ["generators/bass.py: no such file"]
    assert unknown_code("`generators.sampling.seeded_uniform`") != []
    assert unknown_code("`generators.base.Generator.char_levels`") != []
    readme = ROOT / "README.md"
    assert broken_links("[plugins](docs/plugins.md#the-start-of-text)", readme) == []
    assert broken_links("[plugins](docs/plugin.md)", readme) == ["docs/plugin.md: no such file"]
    assert broken_links("[plugins](docs/plugins.md#no-such-heading)", readme) != []
    assert excerpt_problems("<!-- excerpt: docs/examples/bigram.py -->\n```python\nclass Nope:\n```\n") != []


def load_example(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def test_worked_plugin_passes_the_kit():
    bigram = load_example("docs_example_bigram", "docs/examples/bigram.py")
    check_generator(lambda: bigram.BigramGenerator())
    check_generator(lambda: bigram.BigramGenerator.from_options({"k": 0.01}))
