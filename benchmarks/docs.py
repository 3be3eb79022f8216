"""docs/metrics.md, written from the docstrings of the modules that define what a run measures.

The definitions live once, in the docstrings beside the code that computes them; this page collects
them in reading order, so it is never a second copy edited by hand. ``python -m benchmarks.docs``
(``make docs``) writes it; ``--check`` only says whether the committed page is up to date (exit
status 1 when not), as ``tests/test_docs.py`` does. Docstrings are read with :mod:`ast`, so nothing
is imported (no torch). Every module of ``benchmarks/metrics/`` must be placed in :data:`SECTIONS`.

The docstrings' reStructuredText roles become Markdown: ````code```` becomes `` `code` ``, a
``:mod:`` reference to a module on the page becomes a link to its section, and any other role its
name in code (``:func:`~a.b.c``` gives `` `c` ``).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
METRICS_PAGE = ROOT / "docs" / "metrics.md"

# (section heading, modules in reading order); a module whose file does not exist is left out
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Likelihood", ("benchmarks.metrics.likelihood",)),
    ("Reference rows", ("benchmarks.metrics.compressors", "benchmarks.run.references")),
    ("Uncertainty and comparisons", ("benchmarks.metrics.significance", "benchmarks.metrics.ranking")),
    ("Word tokens", ("benchmarks.metrics.tokens",)),
    (
        "Repetition, loops and cycling",
        ("benchmarks.metrics.repetition", "benchmarks.metrics.loops", "benchmarks.metrics.cycles"),
    ),
    ("Diversity", ("benchmarks.metrics.diversity", "benchmarks.metrics.self_bleu")),
    ("Copying and spelling", ("benchmarks.metrics.overlap",)),
    ("Sample quality", ("benchmarks.run.judge",)),
    ("Operating points and strategy verdicts", ("benchmarks.metrics.operating",)),
    ("Training compute", ("generators.flops",)),
    ("Throughput", ("benchmarks.run.throughput",)),
    ("What the sample browser marks", ("benchmarks.metrics.spans",)),
)

INTRO = """\
# Metrics

<!-- Written by `make docs` (python -m benchmarks.docs) from the docstrings of the modules named
below: edit those, then run it again. tests/test_docs.py fails while this page is out of date. -->

What a run measures, in the words of the code that measures it: each section below is the
docstring of the module that computes it. The rules that make the rows comparable:

- **Per character.** Every generator returns the log-likelihood of every character of the test
  split, whatever its own tokens are, and every model is open-vocabulary, so nothing scores −∞ or
  is skipped; totals are summed over the whole split (corpus-weighted). Native token perplexity
  is shown for reference only: it is not comparable across tokenizers.
- **The same texts.** Every row is scored on the same test split and continues the same prompts
  (the same for every training seed, so seeds are paired); every table has a **human** row, the
  same metrics on the true continuations of those prompts.
- **Pooled metrics pool alike.** distinct-n, Self-BLEU-4 and the Zipf coefficient pool the first
  sample of each prompt only, so every cell and the human row pool the same number of texts (their
  values change with it) and no prompt's samples are each other's references; the
  per-continuation metrics (seq-rep, loops, copy and valid-word rates, judged quality) use every
  sample. Each cell records both counts (`samples`, `pooled_samples`).
- **Seeds and text both vary.** Tables show the mean ± sd over training seeds; intervals and
  paired tests cover both the seeds and the test text.

How a run chooses its prompts, temperatures and strategies is in [running.md](running.md#what-a-run-samples).
"""

ROLE = re.compile(r":(?:mod|func|class|meth|data|attr|obj):`(~?)([\w.]+)`")
LITERAL = re.compile(r"``(.+?)``")


def module_file(module: str) -> Path:
    """The source file of a dotted module name under the repository root."""
    path = ROOT.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def docstring(module: str) -> str:
    text = ast.get_docstring(ast.parse(module_file(module).read_text(encoding="utf-8")))
    if not text:
        raise ValueError(f"{module} has no docstring: its section of docs/metrics.md would be empty")
    return text


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def title(module: str) -> str:
    """A module's heading: the first line of its docstring, without the final full stop."""
    return docstring(module).splitlines()[0].rstrip(".")


def markdown(text: str, anchors: dict[str, str]) -> str:
    """reStructuredText roles and literals of a docstring as Markdown (see the module docstring)."""

    def role(match: re.Match[str]) -> str:
        tilde, target = match.groups()
        name = target.rsplit(".", 1)[-1] if tilde else target
        return f"[`{name}`](#{anchors[target]})" if target in anchors else f"`{name}`"

    text = LITERAL.sub(lambda m: f"`{m.group(1)}`", ROLE.sub(role, text))
    return re.sub(r"::$", ":", text, flags=re.MULTILINE)


def present_sections() -> list[tuple[str, list[str]]]:
    """SECTIONS with only the modules whose files exist (and no section left empty)."""
    sections = [(heading, [m for m in modules if module_file(m).exists()]) for heading, modules in SECTIONS]
    return [(heading, modules) for heading, modules in sections if modules]


def render_metrics() -> str:
    """The whole of docs/metrics.md."""
    sections = present_sections()
    anchors = {module: slug(title(module)) for _, modules in sections for module in modules}
    parts = [INTRO]
    for heading, modules in sections:
        parts.append(f"## {heading}\n")
        for module in modules:
            path = module_file(module).relative_to(ROOT).as_posix()
            body = docstring(module).split("\n", 1)[1].strip() if "\n" in docstring(module) else ""
            parts.append(f"### {title(module)}\n\n`{path}`\n")
            if body:
                parts.append(markdown(body, anchors) + "\n")
    return "\n".join(parts)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.docs", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/metrics.md is out of date")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    page = render_metrics()
    current = METRICS_PAGE.read_text(encoding="utf-8") if METRICS_PAGE.exists() else ""
    if args.check:
        if page != current:
            print(f"{METRICS_PAGE.relative_to(ROOT)} is out of date: run make docs", file=sys.stderr)
            return 1
        return 0
    METRICS_PAGE.write_text(page, encoding="utf-8")
    print(f"wrote {METRICS_PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
