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
Markdown that Colab renders (see ``colab_markdown``): the TeX macros
expanded, boxed definitions/theorems/proofs/exercises, and cross-references as
links to the results' permalinks on the site, numbered as the site numbers
them (book/labels.json).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

from tools import myst, package
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


# the Colab install line in a chapter: either form of install_line()
INSTALL_LINE = re.compile(
    r'%pip install --quiet "(?:git\+[^"]+|vjpgrad==[^"]+)"'
    r'(?: \|\| python -m pip install --quiet "git\+[^"]+")?'
)


def install_line() -> str:
    """The Colab install line: the release from PyPI when code/ is a released
    edition (releases.json), else the repository and branch of _config.yml.

    A fork that changes code/ thus installs its own code; a student of a
    release gets that release, whatever the branch holds today.
    """
    url, branch = repository()
    released = package.released_version()
    if released is None:
        return f'%pip install --quiet "git+{url}@{branch}#subdirectory=code"'
    return pinned_install_line(released, url)


def pinned_install_line(version: str, url: str) -> str:
    """Install VERSION from PyPI, or else from the repository URL at its tag."""
    return (
        f'%pip install --quiet "vjpgrad=={version}" '
        f'|| python -m pip install --quiet "git+{url}@v{version}#subdirectory=code"'
    )


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
# errors. The notebooks therefore get: definitions, theorems, proofs, exercises
# as quoted paragraphs with a bold heading, numbered as on the site;
# cross-references as links to the results' permalinks on the site, with the
# text the site shows ("Definition 2.5", "(2.4)", "Fig. 2.1"); labelled
# equations with their number (\\tag); the macros expanded in every cell (no
# renderer keeps \\newcommand from one cell to the next: GitHub, VS Code and
# KaTeX do not); literalinclude as a link to the included file; no (label)=
# target lines. Numbers and titles come from book/labels.json, which a test
# keeps equal to the built site.

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
LABELS = REPO_ROOT / "book" / "labels.json"
# a code span (for the macros: they are expanded outside code only)
CODE_SPAN = re.compile(r"(`+).+?\1")
CONTROL_WORD = re.compile(r"\\([A-Za-z]+)|\\.")
# commands that take the next token as their argument: \hat\vw must become
# \hat{\mathbf{w}}, as ^ and _ need x^{\mathbf{x}}
ONE_ARGUMENT = re.compile(
    r"(?:[\^_]|\\(?:hat|bar|tilde|vec|dot|ddot|check|breve|acute|grave|widehat|widetilde"
    r"|overline|underline|mathbf|boldsymbol|mathrm|mathit|mathsf|mathcal|mathbb|sqrt))\s*$"
)


def published_labels() -> dict[str, dict[str, str]]:
    """book/labels.json: label -> page, anchor, type, number, title as on the site."""
    labels: dict[str, dict[str, str]] = json.loads(LABELS.read_text(encoding="utf-8"))["labels"]
    return labels


def _kind(name: str) -> str:
    return name.split(":")[-1].replace("-", " ").capitalize()


def _tex_title(title: str) -> str:
    r"""A title of labels.json, its maths as $x$ rather than \(x\)."""
    return re.sub(r"\\\((.*?)\\\)", r"$\1$", title)


def reference_text(role: myst.Role, label: dict[str, str]) -> str:
    """What the site shows for ROLE, which points at LABEL (an entry of labels.json)."""
    number, kind = label["number"], label["type"].capitalize()
    if role.text:
        return role.text.replace("%s", number).replace("{number}", number)
    if role.name == "eq":
        return f"({number})"
    if role.name == "numref":
        return f"Fig. {number}" if label["type"] == "figure" else f"{kind} {number}"
    if role.name == "ref" and label["type"] != "section":
        title = _tex_title(label["title"])
        return f"{kind} {number} ({title})" if title else f"{kind} {number}"
    if role.name == "ref":
        return _tex_title(label["title"])
    return f"{kind} {number}"  # prf:ref


def _argument(tex: str, start: int) -> tuple[str, int]:
    """The TeX argument at START (a {group} or one token) and where it ends."""
    while start < len(tex) and tex[start] == " ":
        start += 1
    if start < len(tex) and tex[start] == "{":
        depth, index = 0, start
        while index < len(tex):
            if tex[index] == "\\":  # an escaped character, \{ or \}, is no brace
                index += 2
                continue
            depth += {"{": 1, "}": -1}.get(tex[index], 0)
            if depth == 0:
                return tex[start + 1 : index], index + 1
            index += 1
        raise ValueError(f"unbalanced braces in {tex!r}")
    token = CONTROL_WORD.match(tex, start)
    end = token.end() if token else start + 1
    return tex[start:end], end


def expand_macros(tex: str, macros: dict[str, str | list[str | int]]) -> str:
    """TEX with the book's macros replaced by their definitions, as MathJax would."""
    out, position = [], 0
    for word in CONTROL_WORD.finditer(tex):
        if word.start() < position or word.group(1) not in macros:
            continue
        definition = macros[word.group(1)]
        body, count = (definition, 0) if isinstance(definition, str) else definition
        end = word.end()
        for n in range(1, int(count) + 1):
            argument, end = _argument(tex, end)
            body = str(body).replace(f"#{n}", argument)
        body = expand_macros(str(body), macros)
        if ONE_ARGUMENT.search(tex[: word.start()]) and not _one_group(body):
            body = "{" + body + "}"
        out += [tex[position : word.start()], body]
        position = end
    return "".join(out) + tex[position:]


def _one_group(tex: str) -> bool:
    return tex.startswith("{") and _argument(tex, 0)[1] == len(tex)


class _Converter:
    """Turns one Markdown cell of a chapter into Markdown that Colab renders."""

    def __init__(self, md: Path, labels: dict[str, dict[str, str]], site: str) -> None:
        self.md, self.labels, self.site = md, labels, site
        self.macros = maths_macros()
        self.out: list[str] = []

    def emit(self, text: str, code: bool = False) -> None:
        """Write lines; outside code, with the macros expanded (over all the
        lines at once: a macro's argument may continue on the next line)."""
        if not code:
            spans = [(m.start(), m.end()) for m in CODE_SPAN.finditer(text)]
            pieces, position = [], 0
            for start, end in spans:
                pieces += [expand_macros(text[position:start], self.macros), text[start:end]]
                position = end
            text = "".join(pieces) + expand_macros(text[position:], self.macros)
        for line in text.split("\n"):
            # one blank quoted line is enough
            if not (line in (">", "> >") and self.out and self.out[-1] == line):
                self.out.append(line)

    def text_lines(self, lines: list[str], quote: str) -> None:
        """Write lines of text, quoted, with roles and equation labels converted."""
        converted = []
        for line in lines:
            if match := myst.EQUATION_LABEL.match(line):
                label = self.labels.get(match["label"])
                if label is not None:
                    converted.append(f"{quote}{match['indent']}\\tag{{{label['number']}}}")
                line = match["indent"] + "$$"
            converted.append(
                (quote + myst.ROLE.sub(self.role, line)).rstrip() if line else quote.rstrip()
            )
        if converted:
            self.emit("\n".join(converted))

    def convert(self, text: str, depth: int) -> None:
        """Write TEXT, quoted DEPTH times (the boxes it sits in)."""
        quote = "> " * depth
        lines = text.splitlines()
        written = 0  # lines of TEXT written so far
        for block in myst.blocks(text):
            self.text_lines(lines[written : block.start - 1], quote)
            source, written = lines[block.start - 1 : block.end], block.end
            converted = block.name.startswith("prf:") or block.name in CONVERTED
            if block.kind == "target":
                continue
            if block.kind == "directive" and converted:
                self.directive(block, depth)
            elif block.kind in ("directive", "code"):  # shown as it is
                for line in source:
                    self.emit(quote + line, code=True)
            else:
                self.text_lines(source, quote)
        self.text_lines(lines[written:], quote)

    def heading(self, name: str, arg: str, label: str) -> str:
        """A box's heading as the site shows it: "Definition 2.5 (Title)"."""
        number = self.labels.get(label, {}).get("number", "")
        if name == "solution":  # its argument is the exercise's label
            exercise = self.labels.get(arg)
            if exercise is None:
                return "Solution"
            title = _tex_title(exercise["title"])
            return f"Solution to Exercise {exercise['number']}" + (f" ({title})" if title else "")
        heading = arg if name == "admonition" else _kind(name)
        if number:
            heading += f" {number}"
        if arg and name != "admonition":
            heading += f" ({arg})"
        return heading

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
                label = str(block.options.get("label", ""))
                heading = f"> **{self.heading(name, arg, label)}.**"
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
        label = self.labels.get(role.target)
        if label is None:  # not published: the text alone
            return role.text or role.target
        text = reference_text(role, label)
        return f"[{text}]({self.site}{label['page']}#{label['anchor']})" if self.site else text

    def literalinclude(self, arg: str, options: dict[str, str]) -> str:
        url, branch = repository()
        target = (self.md.parent / arg).resolve().relative_to(REPO_ROOT).as_posix()
        what = f"`{options['pyobject']}` in " if "pyobject" in options else ""
        return f"*Code:* {what}[`{target}`]({url}/blob/{branch}/{target})"


def colab_markdown(source: str, md: Path, labels: dict[str, dict[str, str]], site: str) -> str:
    """One Markdown cell of a chapter, made readable outside the book's Sphinx."""
    converter = _Converter(md, labels, site)
    converter.convert(source, 0)
    return "\n".join(converter.out)


def render(md: Path) -> nbformat.NotebookNode:
    """The Colab notebook of one chapter: its cells, no outputs, stable ids."""
    nb = jupytext.read(md, fmt="md:myst")
    labels, site = published_labels(), site_url()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = colab_markdown(cell.source, md, labels, site)
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
    write_notebooks()
    return 0


def write_notebooks() -> None:
    """Point the chapters' install lines at install_line(), write every notebook."""
    for md in sync_install_lines():
        print(f"pointed the Colab install line of {md.relative_to(REPO_ROOT)} at {install_line()}")
    for md in chapter_sources():
        ipynb = notebook_path(md)
        text = dumps(render(md))
        if not ipynb.is_file() or ipynb.read_text(encoding="utf-8") != text:
            ipynb.write_text(text, encoding="utf-8")
            print(f"wrote {ipynb.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
