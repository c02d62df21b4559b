"""Make the Colab notebooks: book/NAME.ipynb from each MyST notebook book/NAME.md.

The site's "launch in Colab" button opens ``book/NAME.ipynb`` on the repository
and branch set in ``_config.yml`` (sphinx-book-theme links the ``.ipynb`` when
one sits beside the ``.md``). These notebooks are generated, never edited: run

    make notebooks            # (re)write every book/NAME.ipynb, after pointing
                              # each chapter's Colab install line at the
                              # repository/branch of _config.yml
    python -m tools.notebooks --check     # exit 1 if one is stale or missing

They hold no outputs, have deterministic cell ids (so regenerating an unchanged
chapter changes no byte) and are excluded from the Sphinx build
(``exclude_patterns`` in ``_config.yml``), which reads the ``.md``. Code cells
are the chapter's, verbatim (jupytext); Markdown cells are turned from MyST into
Markdown that Colab renders (see ``colab_markdown``): the book's TeX macros,
boxed definitions/theorems/proofs/exercises, and cross-references as links to
the results' permalinks on the site.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

from tools import myst
from tools.config import REPO_ROOT, maths_macros, repository, site_url, toc_documents


def is_myst_notebook(md: Path) -> bool:
    """True when the Markdown file has the jupytext/kernelspec front matter."""
    text = md.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return False
    front = yaml.safe_load(text.split("---", 2)[1]) or {}
    return "kernelspec" in front


def chapter_sources() -> list[Path]:
    """The MyST notebooks of the book, in table-of-contents order."""
    sources = []
    for doc in toc_documents():
        md = REPO_ROOT / f"{doc}.md"
        if md.is_file() and is_myst_notebook(md):
            sources.append(md)
    return sources


INSTALL_LINE = re.compile(r'%pip install --quiet "git\+[^"@#]+@[^"#]+#subdirectory=code"')


def install_line() -> str:
    """The Colab install line for the repository and branch of _config.yml."""
    url, branch = repository()
    return f'%pip install --quiet "git+{url}@{branch}#subdirectory=code"'


def sync_install_lines() -> list[Path]:
    """Point every chapter's Colab install line at the repository of _config.yml.

    Only the URL inside that one line changes; run by ``make notebooks`` so a
    fork changes ``repository`` in _config.yml and nothing else by hand.
    """
    changed = []
    for md in chapter_sources():
        text = md.read_text(encoding="utf-8")
        new = INSTALL_LINE.sub(lambda _: install_line(), text)
        if new != text:
            md.write_text(new, encoding="utf-8")
            changed.append(md)
    return changed


def notebook_path(md: Path) -> Path:
    return md.with_suffix(".ipynb")


# --- MyST -> plain notebook Markdown, so that Colab shows readable text ------
#
# Colab renders CommonMark and maths, not MyST: directives would show as code
# blocks, roles as raw text, and the book's TeX macros (\\vx, \\E, ...) as
# errors. The notebooks therefore get: the macros as \\newcommand definitions;
# definitions, theorems, proofs, exercises as quoted paragraphs with a bold
# heading; cross-references as links to the result's permalink on the site;
# literalinclude as a link to the included file; no (label)= target lines.

ADMONITIONS = {
    "note",
    "warning",
    "tip",
    "important",
    "caution",
    "attention",
    "hint",
    "seealso",
    "admonition",
}
# directives whose content stays at the quoting depth of the text around them
LAYOUT = {"tab-set", "tab-item"}
CONVERTED = (
    ADMONITIONS
    | LAYOUT
    | {
        "exercise",
        "solution",
        "solution-start",
        "solution-end",
        "literalinclude",
    }
)

# label -> (page, anchor, link text)
LabelIndex = dict[str, tuple[str, str, str]]


def macro_definitions() -> str:
    """The book's MathJax macros (_config.yml) as \\newcommand definitions."""
    defs = []
    for name, body in maths_macros().items():
        if isinstance(body, list):
            defs.append(f"\\newcommand{{\\{name}}}[{body[1]}]{{{body[0]}}}")
        else:
            defs.append(f"\\newcommand{{\\{name}}}{{{body}}}")
    return "".join(defs)


def _kind(name: str) -> str:
    return name.split(":")[-1].replace("-", " ").capitalize()


def label_index() -> LabelIndex:
    """label -> (page, anchor, link text), read from the chapters' sources."""
    index: LabelIndex = {}
    for md in [*chapter_sources(), REPO_ROOT / "book" / "how-to-cite.md"]:
        if not md.is_file():
            continue
        page = md.relative_to(REPO_ROOT).with_suffix(".html").as_posix()
        text = md.read_text(encoding="utf-8")
        lines = text.splitlines()
        blocks = list(myst.walk(text))
        for block, following in zip(blocks, [*blocks[1:], None], strict=True):
            figure = (block.options.get("mystnb") or {}).get("figure") or {}
            if block.kind == "directive" and "label" in block.options:
                label, arg = block.options["label"], block.argument
                titled = arg and not arg.startswith(("ex-", "exercise"))
                index[label] = (
                    page,
                    label,
                    f"{_kind(block.name)} ({arg})" if titled else _kind(block.name),
                )
            elif block.kind == "directive" and "name" in figure:
                index[figure["name"]] = (page, figure["name"], "this figure")
            elif block.kind == "math" and block.name:
                index[block.name] = (page, f"equation-{block.name}", f"({block.name})")
            elif block.kind == "target":
                title = block.name
                if following is not None and following.kind == "heading":
                    title = lines[following.start - 1].lstrip("#").strip()
                index[block.name] = (page, block.name, title)
    return index


class _Converter:
    """Turns one Markdown cell of a chapter into Markdown that Colab renders."""

    def __init__(self, md: Path, index: LabelIndex, site: str) -> None:
        self.md, self.index, self.site = md, index, site
        self.out: list[str] = []

    def emit(self, text: str) -> None:
        # one blank quoted line is enough
        if not (text in (">", "> >") and self.out and self.out[-1] == text):
            self.out.append(text)

    def text_line(self, line: str, quote: str) -> None:
        if match := myst.EQUATION_LABEL.match(line):
            line = match["indent"] + "$$"
        self.emit((quote + myst.ROLE.sub(self.role, line)).rstrip() if line else quote.rstrip())

    def convert(self, text: str, depth: int) -> None:
        """Write TEXT, quoted DEPTH times (the boxes it sits in)."""
        quote = "> " * depth
        lines = text.splitlines()
        written = 0  # lines of TEXT written so far
        for block in myst.blocks(text):
            for line in lines[written : block.start - 1]:
                self.text_line(line, quote)
            source, written = lines[block.start - 1 : block.end], block.end
            converted = block.name.startswith("prf:") or block.name in CONVERTED
            if block.kind == "target":
                continue
            if block.kind == "directive" and converted:
                self.directive(block, depth)
            elif block.kind in ("directive", "code"):  # shown as it is
                for line in source:
                    self.emit(quote + line)
            else:
                for line in source:
                    self.text_line(line, quote)
        for line in lines[written:]:
            self.text_line(line, quote)

    def directive(self, block: myst.Block, depth: int) -> None:
        quote = "> " * depth
        name, arg = block.name, block.argument
        if name == "literalinclude":
            self.emit(quote + self.literalinclude(arg, block.options))
        elif name == "solution-start":
            self.emit(quote + "**Solution.**")
        elif name in LAYOUT:
            if name == "tab-item":
                self.emit(quote + f"**{arg}**")
            self.convert(block.body, depth)
        elif name != "solution-end":
            if name == "prf:proof":
                heading = "> *Proof.*"
            else:
                title = _kind(name) if name != "admonition" else arg
                if arg and name not in ("admonition", "solution"):
                    title += f" ({arg})"
                heading = f"> **{title}.**"
            self.emit(quote + heading)
            self.emit(quote + ">")
            self.convert(block.body, depth + 1)
            if name == "prf:proof":
                self.emit(quote + "> ∎")

    def role(self, match: re.Match[str]) -> str:
        role = myst.Role(match["name"], match["content"])
        if role.name in ("cite:p", "cite"):
            return "(" + "; ".join(k.strip() for k in role.content.split(",")) + ")"
        if role.name == "cite:t":
            return "; ".join(k.strip() for k in role.content.split(","))
        if role.name == "math":
            return f"${role.content}$"
        if role.name in ("doc", "term"):
            return role.text or role.content
        if role.name not in ("prf:ref", "ref", "eq", "numref"):
            return match.group(0)
        page, anchor, default = self.index.get(role.target, ("", "", role.target))
        text = (role.text or default).replace("%s", "").replace("{number}", "").strip() or default
        return f"[{text}]({self.site}{page}#{anchor})" if page and self.site else text

    def literalinclude(self, arg: str, options: dict[str, str]) -> str:
        url, branch = repository()
        target = (self.md.parent / arg).resolve().relative_to(REPO_ROOT).as_posix()
        what = f"`{options['pyobject']}` in " if "pyobject" in options else ""
        return f"*Code:* {what}[`{target}`]({url}/blob/{branch}/{target})"


def colab_markdown(source: str, md: Path, index: LabelIndex, site: str) -> str:
    """One Markdown cell of a chapter, made readable outside the book's Sphinx."""
    converter = _Converter(md, index, site)
    converter.convert(source, 0)
    return "\n".join(converter.out)


def render(md: Path) -> nbformat.NotebookNode:
    """The Colab notebook of one chapter: its cells, no outputs, stable ids."""
    nb = jupytext.read(md, fmt="md:myst")
    labels, site = label_index(), site_url()
    first_markdown = True
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        cell.source = colab_markdown(cell.source, md, labels, site)
        if first_markdown:
            cell.source = f"${macro_definitions()}$\n" + cell.source
            first_markdown = False
    nb.metadata.pop("jupytext", None)
    nb.metadata["language_info"] = {"name": "python"}
    nb.nbformat, nb.nbformat_minor = 4, 5
    for index, cell in enumerate(nb.cells):
        digest = hashlib.sha1(f"{index}\0{cell.source}".encode()).hexdigest()[:12]
        cell["id"] = f"c{index:03d}-{digest}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def dumps(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb, version=4) + "\n"


def comparable(nb: nbformat.NotebookNode) -> list:
    """What must agree between the committed and the regenerated notebook."""
    cells = [(c.cell_type, c.source, dict(c.metadata), c.get("outputs", [])) for c in nb.cells]
    return [dict(nb.metadata), cells]


def stale_notebooks() -> list[str]:
    """Messages for every chapter whose committed notebook is missing or stale."""
    problems = []
    for md in chapter_sources():
        ipynb = notebook_path(md)
        rel = ipynb.relative_to(REPO_ROOT)
        if not ipynb.is_file():
            problems.append(f"{rel} is missing")
            continue
        committed = nbformat.read(ipynb, as_version=4)
        if comparable(committed) != comparable(render(md)):
            problems.append(f"{rel} is stale (differs from {md.relative_to(REPO_ROOT)})")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    args = parser.parse_args()
    if args.check:
        problems = stale_notebooks()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run `make notebooks` and commit book/*.ipynb", file=sys.stderr)
        return 1 if problems else 0
    for md in sync_install_lines():
        print(f"pointed the Colab install line of {md.relative_to(REPO_ROOT)} at {install_line()}")
    for md in chapter_sources():
        ipynb = notebook_path(md)
        text = dumps(render(md))
        if not ipynb.is_file() or ipynb.read_text(encoding="utf-8") != text:
            ipynb.write_text(text, encoding="utf-8")
            print(f"wrote {ipynb.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
