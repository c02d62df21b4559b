"""Read MyST Markdown as the book's build reads it.

The parser is myst-parser's own markdown-it setup with the extensions that
``_config.yml`` enables, so fences, colon fences, targets and maths are found
by the rules Sphinx applies. A directive's content is MyST again (a proof in
a solution, a code block in a tab): ``walk`` parses it too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

from tools.config import book_config

# directives whose content is code or data, not MyST
LITERAL_DIRECTIVES = frozenset(
    {"code-cell", "code-block", "code", "sourcecode", "literalinclude", "math", "raw"}
)
FENCE_TYPES = ("fence", "colon_fence")
# for rewriting a line in place (the parser gives no columns): a role such as
# {prf:ref}`text <label>`, and the closing line of a labelled equation, $$ (label)
ROLE = re.compile(r"\{(?P<name>[\w:-]+)\}`(?P<content>[^`]+)`")
EQUATION_LABEL = re.compile(r"^(?P<indent>\s*)\$\$\s*\((?P<label>[\w.:-]+)\)\s*$")


@dataclass(frozen=True)
class Block:
    """One top-level block of a MyST document; lines count from 1.

    ``kind`` is "directive" (a fence such as ```` ```{prf:proof} ````),
    "code" (a fence with a language or none), "target" (``(label)=``),
    "math" (``$$ ... $$``, with ``name`` its label if any) or the
    markdown-it token type of anything else ("paragraph", "heading", ...).
    """

    kind: str
    start: int  # first line
    end: int  # last line
    name: str = ""  # directive name, fence language, target or equation label
    argument: str = ""  # the rest of a directive's first line
    options: dict[str, Any] = field(default_factory=dict)
    body: str = ""  # a fence's content, a directive's without its options
    body_line: int = 0  # line of the body's first line
    fence: str = ""  # the opening fence, e.g. "```" or "::::"


@functools.cache
def parser() -> MarkdownIt:
    """myst-parser's markdown-it parser, with the book's MyST extensions."""
    extensions = (book_config().get("parse") or {}).get("myst_enable_extensions") or []
    return create_md_parser(MdParserConfig(enable_extensions=set(extensions)), RendererHTML)


def split_options(content: str) -> tuple[dict[str, Any], str, int]:
    """A directive's content as (options, body, lines the options take).

    Options are ``:key: value`` lines (values are strings) or a
    ``---``-delimited YAML block at the top, as myst-parser reads them; the
    body keeps everything after them.
    """
    lines = content.splitlines()
    options: dict[str, Any] = {}
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is not None:
            options = yaml.safe_load("\n".join(lines[1:end])) or {}
            return options, "\n".join(lines[end + 1 :]), end + 1
    count = 0
    for line in lines:
        key, colon, value = line.lstrip()[1:].partition(":")
        if not (line.lstrip().startswith(":") and colon and key and " " not in key):
            break
        options[key] = value.strip()
        count += 1
    return options, "\n".join(lines[count:]), count


def _fence_block(token: Token, first_line: int) -> Block:
    start = first_line + token.map[0] if token.map else first_line
    end = first_line + token.map[1] - 1 if token.map else first_line
    info = token.info.strip()
    fence = token.markup
    if info.startswith("{") and "}" in info:
        name, argument = info[1:].split("}", 1)
        options, body, skipped = split_options(token.content)
        return Block(
            "directive",
            start,
            end,
            name,
            argument.strip(),
            options,
            body,
            start + 1 + skipped,
            fence,
        )
    language = info.split()[0] if info else ""
    return Block(
        "code",
        start,
        end,
        language,
        body=token.content.rstrip("\n"),
        body_line=start + 1,
        fence=fence,
    )


def _block(token: Token, first_line: int) -> Block:
    if token.type in FENCE_TYPES:
        return _fence_block(token, first_line)
    assert token.map is not None
    start, end = first_line + token.map[0], first_line + token.map[1] - 1
    if token.type == "myst_target":
        return Block("target", start, end, token.content)
    if token.type in ("math_block", "math_block_label", "amsmath"):
        label = token.info if token.type == "math_block_label" else ""
        return Block("math", start, end, label, body=token.content)
    return Block(token.type.removesuffix("_open"), start, end)


def blocks(text: str, first_line: int = 1) -> list[Block]:
    """The top-level blocks of TEXT, in order (blank lines are in none)."""
    return [
        _block(token, first_line)
        for token in parser().parse(text)
        if token.level == 0 and token.map is not None and not token.type.endswith("_close")
    ]


def walk(text: str, first_line: int = 1) -> Iterator[Block]:
    """Every block of TEXT at any depth (in lists, in directives), in order.

    A directive's body is parsed again unless it is code (``LITERAL_DIRECTIVES``).
    """
    for token in parser().parse(text):
        if token.map is None or token.type == "inline" or token.type.endswith("_close"):
            continue
        block = _block(token, first_line)
        yield block
        if block.kind == "directive" and block.name not in LITERAL_DIRECTIVES:
            yield from walk(block.body, block.body_line)


@dataclass(frozen=True)
class Role:
    """A role such as {prf:ref}`text <label>`: its name, text and target."""

    name: str
    content: str

    @property
    def target(self) -> str:
        """The label of {ref}`text <label>`, or the whole content of {ref}`label`."""
        text, bracket, rest = self.content.rpartition("<")
        return rest[:-1].strip() if bracket and rest.endswith(">") else self.content.strip()

    @property
    def text(self) -> str:
        """The explicit text of {ref}`text <label>`, else ""."""
        text, bracket, rest = self.content.rpartition("<")
        return text.strip() if bracket and rest.endswith(">") else ""


def roles(text: str) -> list[Role]:
    """Every role in TEXT, also inside directives, in order."""
    found = []
    for token in parser().parse(text):
        for child in token.children or []:
            if child.type == "myst_role":
                found.append(Role(child.meta["name"], child.content))
        if token.type in FENCE_TYPES and token.map is not None:
            block = _fence_block(token, 1)
            if block.kind == "directive" and block.name not in LITERAL_DIRECTIVES:
                found += roles(block.body)
    return found


def links(text: str) -> list[tuple[str, str]]:
    """(URL, text) of every Markdown link in TEXT."""
    found = []
    for token in parser().parse(text):
        children = token.children or []
        for index, child in enumerate(children):
            if child.type == "link_open":
                words = []
                for inner in children[index + 1 :]:
                    if inner.type == "link_close":
                        break
                    words.append(inner.content)
                found.append((str(child.attrs["href"]), "".join(words)))
    return found


MATH_TYPES = {"math_inline": False, "math_block": True, "math_block_label": True, "amsmath": True}


def maths(text: str) -> list[tuple[str, bool]]:
    """(TeX, display?) of every formula in TEXT, in $...$, $$...$$ or an environment."""
    found = []
    for token in parser().parse(text):
        for item in [token, *(token.children or [])]:
            if item.type in MATH_TYPES:
                found.append((item.content, MATH_TYPES[item.type]))
    return found
