"""Small Markdown writers: tables, code spans, links between pages, docstring prose."""

from __future__ import annotations

import inspect
import posixpath
import re
from collections.abc import Iterable, Sequence

_ROLE_REFERENCE = re.compile(r":(?:func|class|mod|data|meth|attr|obj|exc):`~?([^`]+)`")
_LITERAL = re.compile(r"``(.+?)``")


def code(text: object) -> str:
    """``text`` as an inline code span (backticks inside are handled)."""
    value = str(text)
    fence = "``" if "`" in value else "`"
    padding = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{padding}{value}{padding}{fence}"


_CODE_SPAN = re.compile(r"(`+).+?\1")


def cell(text: object) -> str:
    """Make ``text`` safe inside a Markdown table cell: one line, and every pipe outside
    code spans escaped (the tables extension leaves pipes inside code spans alone)."""
    flat = " ".join(str(text).split())
    pieces = []
    position = 0
    for match in _CODE_SPAN.finditer(flat):
        pieces.append(flat[position:match.start()].replace("|", "\\|"))
        pieces.append(match.group(0))
        position = match.end()
    pieces.append(flat[position:].replace("|", "\\|"))
    return "".join(pieces)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table; every cell is flattened to one line."""
    lines = ["| " + " | ".join(cell(header) for header in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(cell(value) for value in row) + " |")
    return "\n".join(lines)


def prose(docstring: str | None) -> str:
    """A docstring written in the spec's reStructuredText habits, as Markdown.

    ````x```` becomes a code span; ``:func:`~a.b.c``` and friends become a code span of the
    name as written (the last dotted part when prefixed with ``~``).
    """
    if not docstring:
        return ""
    text = simple_rst_table(inspect.cleandoc(docstring))

    def reference(match: re.Match[str]) -> str:
        target = match.group(1)
        shown = target.rsplit(".", 1)[-1] if match.group(0).split("`")[1].startswith("~") else target
        return code(shown)

    text = _ROLE_REFERENCE.sub(reference, text)
    text = _LITERAL.sub(lambda match: code(match.group(1)), text)
    return definition_lists(text)


_LIST_ITEM = re.compile(r"^(\*|-|\d+\.)\s")


def definition_lists(text: str) -> str:
    """reST definition lists (a term line, then its definition indented by four spaces)
    as Markdown definition lists (``term`` / ``:   definition``)."""
    lines = text.split("\n")
    output: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        is_term = (line.strip() and not line.startswith(" ") and not _LIST_ITEM.match(line)
                   and index + 1 < len(lines) and lines[index + 1].startswith("    ")
                   and lines[index + 1].strip()
                   and (index == 0 or not lines[index - 1].strip()
                        or lines[index - 1].startswith("    ")))
        if not is_term:
            output.append(line)
            index += 1
            continue
        output.append(line)
        index += 1
        first = True
        while index < len(lines) and lines[index].startswith("    "):
            content = lines[index][4:]
            output.append((":   " if first else "    ") + content)
            first = False
            index += 1
        output.append("")
    return "\n".join(output)


def relative_url(from_page: str, to_page: str, anchor: str = "", html_link: bool = False) -> str:
    """A link from one page of the site to another (paths relative to the docs root).

    Markdown links name the ``.md`` source (MkDocs checks and rewrites them); links inside
    raw HTML, such as the diagrams, must name the built ``.html`` page.
    """
    target = to_page
    if html_link:
        target = target.removesuffix(".md") + ".html"
        if posixpath.basename(to_page) == "README.md":
            target = posixpath.join(posixpath.dirname(to_page), "index.html")
    if to_page == from_page:
        link = ""
    else:
        link = posixpath.relpath(target, posixpath.dirname(from_page) or ".")
    return link + (f"#{anchor}" if anchor else "")


def link(label: str, from_page: str, to_page: str, anchor: str = "") -> str:
    return f"[{label}]({relative_url(from_page, to_page, anchor) or '#'})"


def admonition(kind: str, title: str, body: str) -> str:
    """A Material admonition block (``kind``: note, warning, info, ...)."""
    indented = "\n".join(("    " + line) if line else "" for line in body.splitlines())
    return f'!!! {kind} "{title}"\n\n{indented}\n'


def simple_rst_table(text: str) -> str:
    """Convert the reStructuredText *simple tables* in ``text`` to Markdown tables.

    A simple table is framed by rule lines of ``=`` separated by spaces; the first rule's
    runs of ``=`` give the column boundaries, the first row is the header.
    """
    lines = text.splitlines()
    output: list[str] = []
    index = 0
    rule = re.compile(r"^=+( +=+)+\s*$")
    while index < len(lines):
        if not rule.match(lines[index]):
            output.append(lines[index])
            index += 1
            continue
        spans = [match.span() for match in re.finditer(r"=+", lines[index])]
        rows: list[list[str]] = []
        index += 1
        rules_seen = 1
        while index < len(lines) and rules_seen < 3:
            line = lines[index]
            index += 1
            if rule.match(line):
                rules_seen += 1
                continue
            if not line.strip():
                continue
            cells = []
            for position, (start, end) in enumerate(spans):
                stop = spans[position + 1][0] if position + 1 < len(spans) else len(line)
                cells.append(line[start:stop].strip())
            if rows and len(rows) > 1 and not cells[0]:  # a continuation line of a body row
                rows[-1] = [" ".join(filter(None, pair)) for pair in zip(rows[-1], cells)]
            else:
                rows.append(cells)
        if rows:
            output.append(table(rows[0], rows[1:]))
    return "\n".join(output)
