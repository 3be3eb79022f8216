"""Number and text formatting for the report: one place decides how every kind of value reads.

Every formatter takes a value that may be None (JSON null), NaN or infinite and shows those as
an em dash: the report never prints "nan".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd

DASH = "—"
ERROR_CHARS = 160  # an error message is shown on one line, cut to this length


def finite(value: Any) -> float | None:
    """The value as a float when it is a finite number, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def fixed(value: Any, digits: int) -> str:
    """``digits`` decimals with thousands separators; "-0.000" reads as "0.000"."""
    number = finite(value)
    if number is None:
        return DASH
    text = f"{number:,.{digits}f}"
    return text[1:] if text.startswith("-") and float(text[1:].replace(",", "")) == 0 else text


def bpc(value: Any) -> str:
    return fixed(value, 3)


def signed(value: Any) -> str:
    """A difference to three decimals with its sign ("+0.120", "-0.031"; "0.000" unsigned)."""
    number = finite(value)
    if number is None:
        return DASH
    text = f"{number:+.3f}"
    return text[1:] if float(text) == 0 else text


def rate(value: Any) -> str:
    """A fraction in [0, 1] as 0.xxx."""
    return fixed(value, 3)


def perplexity(value: Any) -> str:
    """One decimal; scientific notation past ten million, where the digits stop meaning much."""
    number = finite(value)
    if number is not None and abs(number) >= 1e7:
        return f"{number:.2e}"
    return fixed(number, 1)


def count(value: Any) -> str:
    """An integer with thousands separators."""
    number = finite(value)
    return DASH if number is None else f"{round(number):,}"


def tally(value: Any) -> str:
    """A count, or a mean of counts: whole numbers as such, others to one decimal ("56", "9.7")."""
    number = finite(value)
    if number is None:
        return DASH
    return f"{round(number):,}" if number == round(number) else f"{number:,.1f}"


def speed(value: Any) -> str:
    """A rate such as characters per second: whole numbers with separators, 3 figures below 100."""
    number = finite(value)
    if number is None:
        return DASH
    return f"{number:,.0f}" if abs(number) >= 100 else f"{number:.3g}"


def seconds(value: Any) -> str:
    return fixed(value, 1)


def significant(value: Any) -> str:
    """Three significant figures (milliseconds per character and the like)."""
    number = finite(value)
    return DASH if number is None else f"{number:.3g}"


def mebibytes(value: Any) -> str:
    number = finite(value)
    return DASH if number is None else fixed(number / 2**20, 0 if number >= 10 * 2**20 else 1)


def with_spread(show: Callable[[Any], str], value: Any, sd: Any) -> str:
    """``show(value)``, and "± show(sd)" when there is a spread over seeds to show (unsigned: a
    signed value's spread reads "-0.874 ± 0.184", not "± +0.184")."""
    shown = show(value)
    if finite(sd) is None or shown == DASH:
        return shown
    return f"{shown} ± {show(sd).lstrip('+')}"


def p_value(value: Any, alpha: float = 0.05) -> str:
    """A p-value to two significant figures, 0.00020 and 0.0012 alike (never "< 0.001", which would
    hide the sign-flip test's floor); one more figure wherever rounding would carry p across alpha."""
    number = finite(value)
    if number is None:
        return DASH
    for figures in range(2, 7):
        text = f"{number:#.{figures}g}"
        if (float(text) < alpha) == (number < alpha):
            break
    return text.rstrip(".")


def chunk_layout(chars: list[Any]) -> str:
    """How a text was cut into chunks, from the chunks' own lengths: "54 chunks (53 of 10,000
    characters, the last of 1,538)", or "3 chunks of 10,000 characters"."""
    lengths = [round(n) for n in chars if finite(n) is not None]
    if not lengths:
        return f"{DASH} chunks"
    noun = "chunk" if len(lengths) == 1 else "chunks"
    if len(set(lengths)) == 1:
        return f"{len(lengths)} {noun} of {lengths[0]:,} characters"
    if len(set(lengths[:-1])) == 1:
        return (
            f"{len(lengths)} chunks ({len(lengths) - 1} of {lengths[0]:,} characters, "
            f"the last of {lengths[-1]:,})"
        )
    return f"{len(lengths)} chunks of {min(lengths):,} to {max(lengths):,} characters"


def interval(low: Any, high: Any, digits: int = 3) -> str:
    if finite(low) is None or finite(high) is None:
        return ""
    return f"[{fixed(low, digits)}, {fixed(high, digits)}]"


def delta(new: Any, old: Any, show) -> tuple[str, str]:
    """(Δ, Δ%) of ``new`` against ``old``, Δ in the metric's own format with a sign."""
    a, b = finite(new), finite(old)
    if a is None or b is None:
        return DASH, DASH
    diff = a - b
    text = show(abs(diff))
    shown_as_zero = not any(char in "123456789" for char in text)
    sign = "±" if shown_as_zero else "+" if diff > 0 else "-"
    percent = DASH if b == 0 else f"{100 * diff / abs(b):+.1f}%"
    return sign + text, percent.replace("+0.0%", "±0.0%").replace("-0.0%", "±0.0%")


def temperature(value: Any) -> str:
    """T=0 (greedy), T=0.5, T=1."""
    number = finite(value)
    if number is None:
        return DASH
    return "T=0 (greedy)" if number == 0 else f"T={number:g}"


def first_line(text: Any, limit: int = ERROR_CHARS) -> str:
    """The first line of a message, cut to ``limit`` characters."""
    lines = [line.strip() for line in str(text or "").strip().splitlines() if line.strip()]
    first = lines[0] if lines else "no error message recorded"
    return first if len(first) <= limit else first[: limit - 1] + "…"


def table_cell(text: Any) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


TEXT_COLUMNS = (
    "corpus",
    "rank",
    "separable",
    "generator",
    "temperature",
    "tokenizer",
    "stopped by",
    "status",
    "metric",
    "model",  # the model cards' words (benchmarks.report.cards)
    "tokens",
    "trained",
    "training ended",
)  # left-aligned


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table of already-formatted strings: words left-aligned, numbers right-aligned.

    Numbers are passed through as written (``disable_numparse``): tabulate would otherwise turn
    "0.100" back into 0.1.
    """
    align = ["left" if column in TEXT_COLUMNS else "right" for column in frame.columns]
    frame = frame.map(table_cell)
    frame.columns = [table_cell(c) for c in frame.columns]
    return frame.to_markdown(index=False, disable_numparse=True, colalign=align)


def code_block(text: str, info: str = "text") -> str:
    """A fenced block showing ``text`` exactly: the fence is longer than any backtick run in it."""
    fence = "`" * max(3, longest_backtick_run(text) + 1)
    body = text if text.endswith("\n") else text + "\n"
    return f"{fence}{info}\n{body}{fence}"


def longest_backtick_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest


def code_span(text: str) -> str:
    """Inline code showing ``text`` on one line (newlines as ⏎), whatever backticks it holds."""
    body = text.replace("\r\n", "⏎").replace("\n", "⏎")
    ticks = "`" * (longest_backtick_run(body) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{ticks}{pad}{body}{pad}{ticks}"
