"""Checks that README.md and docs/ name only flags, config keys, files, code and anchors that exist.

Each check takes a page's text and returns its problems as one line each (empty: none), so the
tests can run it on the real pages and on a deliberately wrong one.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib
import re
import typing
from pathlib import Path

from benchmarks.docs import slug
from benchmarks.run.settings import SECTIONS, GeneratorSection, VariantSection
from generators.registry import BUILTINS

ROOT = Path(__file__).resolve().parents[1]
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))

# Flags of other tools that the pages show with their commands.
FOREIGN_FLAGS = {
    "index-url": "pip",
    "extra-index-url": "pip",
    "upgrade": "pip-compile (make lock LOCK_ARGS=--upgrade)",
    "upgrade-package": "pip-compile",
    "head": "ray start",
    "port": "ray start",
    "generate": "ray get-auth-token",
    "benchmark-enable": "pytest-benchmark",
    "benchmark-json": "pytest-benchmark",
}
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
FLAG = re.compile(r"(?<![\w-])--([a-z][a-z0-9-]*)")
KEY = re.compile(r"(?<![\w./-])(run|likelihood|sweep|throughput|generators|variants)\.([\w.-]*\w)")
FILE_NAME = re.compile(r"\.(json|toml|md|py|png|csv|gz|txt|lock|html)$")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
DOTTED = re.compile(r"(benchmarks|generators)(\.\w+)+")
TOP_LEVEL = {"benchmarks", "generators", "tests", "docs", "reports", ".ci"}
TOP_FILES = {"Makefile", "pyproject.toml", "requirements.lock", "README.md"}
GENERATED = ("reports/runs", "reports/latest")  # written by a run, never committed


def parser_flags(parser: argparse.ArgumentParser) -> set[str]:
    """Every long option of ``parser`` and of its subcommands, without the leading dashes."""
    flags = set()
    for action in parser._actions:
        flags |= {option[2:] for option in action.option_strings if option.startswith("--")}
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                flags |= parser_flags(sub)
    return flags


def without_code(text: str) -> str:
    return INLINE_CODE.sub("", FENCE.sub("", text))


def code_spans(text: str) -> list[str]:
    return INLINE_CODE.findall(FENCE.sub("", text))


def unknown_flags(text: str, known: set[str]) -> list[str]:
    flags = sorted(set(FLAG.findall(text)))
    return [f"--{flag}: no such flag" for flag in flags if flag not in known and flag not in FOREIGN_FLAGS]


def field_types(cls: type) -> dict[str, typing.Any]:
    return typing.get_type_hints(cls) if dataclasses.is_dataclass(cls) else {}


def config_class(generator: str) -> type | None:
    entry = BUILTINS.get(generator)
    if entry is None:
        return None  # a placeholder (NAME) or a variant: its options are the generator's own
    module, name = entry.config_target.split(":")
    return getattr(importlib.import_module(module), name)


def option_problem(generator: str, path: list[str]) -> str | None:
    """Whether a built-in's option path (``optim.lr``) names fields of its config dataclasses."""
    cls = config_class(generator)
    for part in path:
        if cls is None:
            return None
        types = field_types(cls)
        if part not in types:
            return f"{generator} has no option {'.'.join(path)}"
        cls = types[part] if dataclasses.is_dataclass(types[part]) else None
    return None


def key_problem(section: str, parts: list[str]) -> str | None:
    if section in SECTIONS:
        fields = {f.name for f in dataclasses.fields(SECTIONS[section])}
        return None if parts[0] in fields else f"[{section}] has no key {parts[0]}"
    if len(parts) < 2:
        return None  # a table's name: generators.char-lstm
    cls = VariantSection if section == "variants" else GeneratorSection
    if parts[1] not in {f.name for f in dataclasses.fields(cls)}:
        return f"[{section}.NAME] has no key {parts[1]}"
    if parts[1] == "options" and len(parts) > 2:
        return option_problem(parts[0], parts[2:])
    return None


def unknown_keys(text: str) -> list[str]:
    problems = []
    for match in KEY.finditer(text):
        section, rest = match.groups()
        parts = rest.split(".")
        if FILE_NAME.search(match.group(0)) or (not is_config_key(match.group(0)) and section == "generators"):
            continue  # run.json, or a module: generators.sampling
        problem = key_problem(section, parts)
        if problem:
            problems.append(f"{match.group(0)}: {problem}")
    return problems


def is_module(parts: list[str]) -> bool:
    path = ROOT.joinpath(*parts)
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def defined_names(body: list[ast.stmt]) -> dict[str, ast.stmt]:
    """The names a module or class body defines: functions, classes, assignments, imports."""
    names: dict[str, ast.stmt] = {}
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names[node.name] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id: node for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names |= {(a.asname or a.name).split(".")[0]: node for a in node.names}
    return names


def dotted_problem(name: str) -> str | None:
    """Whether ``benchmarks.x.y`` or ``generators.x.Class.attr`` names a module and what it defines."""
    parts = name.split(".")
    size = max((n for n in range(1, len(parts) + 1) if is_module(parts[:n])), default=0)
    if not size:
        return f"{name}: no such module"
    path = ROOT.joinpath(*parts[:size])
    source = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    body = ast.parse(source.read_text(encoding="utf-8")).body
    for part in parts[size:]:
        names = defined_names(body)
        if part not in names:
            return f"{name}: {'.'.join(parts[:size])} defines no {part}"
        body = getattr(names[part], "body", [])
    return None


def unknown_code(text: str) -> list[str]:
    """Repository paths and dotted module names in inline code that do not exist."""
    problems = []
    for span in code_spans(text):
        if DOTTED.fullmatch(span) and not is_config_key(span):
            problem = dotted_problem(span)
            if problem:
                problems.append(problem)
        elif is_repo_path(span) and not (ROOT / span).exists():
            problems.append(f"{span}: no such file")
    return problems


def is_config_key(span: str) -> bool:
    """``generators.NAME.key`` is a setting (checked by :func:`unknown_keys`), not a module path."""
    parts = span.split(".")
    return parts[0] == "generators" and not is_module(parts[:2])


def is_repo_path(span: str) -> bool:
    if span in TOP_FILES:
        return True
    if not re.fullmatch(r"\.?[\w.-]+(/[\w.-]+)*/?", span) or "/" not in span:
        return False
    return span.split("/")[0] in TOP_LEVEL and not span.startswith(GENERATED)


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page: each heading's slug (repeats get -1, -2, …) and explicit ids."""
    text = page.read_text(encoding="utf-8")
    found: set[str] = set(re.findall(r"""(?:id|name)=["']([^"']+)["']""", text))
    seen: dict[str, int] = {}
    for line in FENCE.sub("", text).splitlines():
        if re.match(r"#{1,6} ", line):
            base = slug(line.lstrip("#"))
            found.add(f"{base}-{seen[base]}" if base in seen else base)
            seen[base] = seen.get(base, 0) + 1
    return found


def broken_links(text: str, page: Path) -> list[str]:
    problems = []
    for target in LINK.findall(without_code(text)):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            problems.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            problems.append(f"{target}: {file.name} has no heading #{anchor}")
    return problems


def excerpt_problems(text: str) -> list[str]:
    """Code blocks marked ``<!-- excerpt: PATH -->``: each stretch between ``...`` lines is in PATH, in order."""
    problems = []
    for path, block in re.findall(r"<!-- excerpt: (\S+) -->\s*```\w*\n(.*?)^```", text, re.M | re.S):
        source = (ROOT / path).read_text(encoding="utf-8")
        position = 0
        for stretch in re.split(r"^\s*(?:# )?\.\.\.\n", block, flags=re.M):
            found = source.find(stretch, position)
            if stretch and found < 0:
                problems.append(f"excerpt of {path}: not in the file (in order): {stretch.splitlines()[0]!r}")
            position = max(position, found)
    return problems
