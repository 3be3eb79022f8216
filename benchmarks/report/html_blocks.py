"""Building blocks of ``report.html``: sortable tables from the report's DataFrames, prose from the
Markdown report's lines, inline plots. Every text is HTML-escaped here."""

from __future__ import annotations

import base64
import re
from html import escape
from pathlib import Path

import pandas as pd

from benchmarks.report.formatting import TEXT_COLUMNS
from benchmarks.report.tables import HUMAN_LABEL

STRONG = re.compile(r"\*\*(.+?)\*\*")
CODE = re.compile(r"`([^`]+)`")
EMPHASIS = re.compile(r"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])")


def inline(text: str) -> str:
    """One line of the Markdown report's prose as HTML: escaped; **bold**, *italic* and `code` kept."""
    parts = re.split(r"(`[^`]+`)", str(text))
    out = []
    for part in parts:
        if CODE.fullmatch(part):
            out.append(f"<code>{escape(part[1:-1])}</code>")
        else:
            shown = STRONG.sub(r"<strong>\1</strong>", escape(part, quote=False))
            out.append(EMPHASIS.sub(r"<em>\1</em>", shown))
    return "".join(out)


def prose(lines: list[str]) -> str:
    """Markdown lines as HTML: paragraphs, "- " lists and fenced code; headings are left out (the
    page has its own) and so are HTML details tags."""
    blocks, paragraph, items = [], [], []
    fence: list[str] | None = None

    def flush() -> None:
        if paragraph:
            blocks.append(f"<p>{inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if items:
            blocks.append("<ul>" + "".join(f"<li>{inline(item)}</li>" for item in items) + "</ul>")
            items.clear()

    for line in lines:
        if fence is not None:
            if line.startswith("```") and not line.strip("`"):
                blocks.append(f"<pre class='code'>{escape(chr(10).join(fence))}</pre>")
                fence = None
            else:
                fence.append(line)
        elif line.startswith("```"):
            flush()
            fence = []
        elif not line.strip() or line.startswith("#") or line.startswith("<"):
            flush()
        elif line.startswith("- "):
            if paragraph:
                flush()
            items.append(line[2:])
        else:
            if items:
                flush()
            paragraph.append(line.strip())
    flush()
    return "\n".join(blocks)


def number_cell(value: str) -> str:
    """A number's cell: "2.157", "± 0.009" and "[2.14, 2.21]" never break inside, but the spread
    and the interval may each go to a line of their own, so a wide table narrows to fit the page
    (800 px for the summary; the cell's text is unchanged)."""
    pieces = re.split(r" (?=± |\[)", value)
    return " ".join(f"<span class=nb>{escape(piece)}</span>" for piece in pieces)


def classes(numeric: bool, wide_only: bool) -> str:
    """A cell's class attribute: right-aligned numbers; columns shown on wide screens only."""
    names = [name for name, on in (("num", numeric), ("wide-only", wide_only)) if on]
    return f" class='{' '.join(names)}'" if names else ""


def table(frame: pd.DataFrame, label: str, wide_only: frozenset[str] = frozenset()) -> str:
    """A table whose every column sorts on a click of its header; the human row stays last.

    ``label`` names the table for screen readers (its caption). Text columns are left-aligned,
    numbers right-aligned, as in the Markdown report. The ``wide_only`` columns are left out on
    narrow screens (report.css), so a wide table still reads at 800 px.
    """
    numeric = [column not in TEXT_COLUMNS for column in frame.columns]
    kinds = [classes(num, column in wide_only) for column, num in zip(frame.columns, numeric, strict=True)]
    head = "".join(
        f"<th scope='col' aria-sort='none'{kind}>"
        f"<button type='button' class='sort' title='sort by {escape(str(column))}'>{escape(str(column))}"
        "</button></th>"
        for column, kind in zip(frame.columns, kinds, strict=True)
    )
    body = []
    for order, values in enumerate(frame.itertuples(index=False)):
        reference = " class='reference'" if HUMAN_LABEL in values else ""
        cells = "".join(
            f"<td{kind}>{number_cell(str(value)) if num else escape(str(value))}</td>"
            for value, num, kind in zip(values, numeric, kinds, strict=True)
        )
        body.append(f"<tr data-order='{order}'{reference}>{cells}</tr>")
    return (
        f"<div class='table-wrap'><table class='sortable'><caption class='visually-hidden'>{escape(label)}"
        f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def figure(path: Path, caption: str) -> str:
    """A PNG inline as a base64 data URI, with its caption; a line saying so when it was not drawn."""
    if not path.is_file():
        return f"<p class='note'><em>{escape(caption)}: no data to plot.</em></p>"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f"<figure><img src='data:image/png;base64,{data}' alt='{escape(caption)}'>"
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def section(anchor: str, title: str, body: str, level: int = 2) -> str:
    return (
        f"<section id='{escape(anchor)}' aria-labelledby='{escape(anchor)}-title'>"
        f"<h{level} id='{escape(anchor)}-title'>{escape(title)}</h{level}>\n{body}\n</section>"
    )
