"""Make the Colab notebooks: book/NAME.ipynb from each MyST notebook book/NAME.md.

The site's "launch in Colab" button opens ``book/NAME.ipynb`` on the repository
and branch set in ``_config.yml`` (sphinx-book-theme links the ``.ipynb`` when
one sits beside the ``.md``). These notebooks are generated, never edited: run

    make notebooks            # (re)write every book/NAME.ipynb, after pointing
                              # each chapter's Colab install line at the
                              # repository/branch of _config.yml
    python scripts/notebooks.py --check   # exit 1 if one is stale or missing

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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book_config import REPO_ROOT, book_config, maths_macros, site_url, toc_documents  # noqa: E402


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
    config = book_config()
    url = config["repository"]["url"].rstrip("/")
    branch = config["repository"].get("branch") or "main"
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

FENCE_OPEN = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*?)\s*$")
PLAIN_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})[^`]*$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
TARGET = re.compile(r"^\((?P<label>[\w.:-]+)\)=\s*$")
MATH_LABEL = re.compile(r"^(?P<indent>\s*)\$\$\s*\((?P<label>[\w.:-]+)\)\s*$")
ROLE = re.compile(r"\{(?P<role>prf:ref|ref|eq|numref|cite:p|cite:t|cite|doc|math|term)\}`(?P<body>[^`]+)`")
ADMONITIONS = {"note", "warning", "tip", "important", "caution", "attention", "hint", "seealso", "admonition"}


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


def label_index() -> dict[str, tuple[str, str, str]]:
    """label -> (page, anchor, link text), read from the chapters' sources."""
    index: dict[str, tuple[str, str, str]] = {}
    for md in chapter_sources() + [REPO_ROOT / "book" / "how-to-cite.md"]:
        if not md.is_file():
            continue
        page = md.relative_to(REPO_ROOT).with_suffix(".html").as_posix()
        lines = md.read_text(encoding="utf-8").splitlines()
        directive = None
        for i, line in enumerate(lines):
            if (m := FENCE_OPEN.match(line)):
                directive = (m["name"], m["arg"])
            elif (m := OPTION.match(line)) and m["key"] == "label" and directive:
                name, arg = directive
                text = f"{_kind(name)} ({arg})" if arg and not arg.startswith(("ex-", "exercise")) else _kind(name)
                index[m["value"]] = (page, m["value"], text)
            elif (m := MATH_LABEL.match(line)):
                index[m["label"]] = (page, f"equation-{m['label']}", f"({m['label']})")
            elif (m := re.match(r"^\s+name:\s*(fig-[\w-]+)\s*$", line)):
                index[m.group(1)] = (page, m.group(1), "this figure")
            elif (m := TARGET.match(line)):
                following = next((l for l in lines[i + 1:] if l.strip()), "")
                title = following.lstrip("#").strip() if following.startswith("#") else m["label"]
                index[m["label"]] = (page, m["label"], title)
    return index


def _role(match: re.Match, index: dict, site: str) -> str:
    role, body = match["role"], match["body"]
    explicit = re.fullmatch(r"(?P<text>.*?)\s*<(?P<label>[^<>]+)>", body, flags=re.S)
    text, label = (explicit["text"], explicit["label"]) if explicit else (None, body.strip())
    if role in ("cite:p", "cite"):
        return "(" + "; ".join(k.strip() for k in body.split(",")) + ")"
    if role == "cite:t":
        return "; ".join(k.strip() for k in body.split(","))
    if role == "math":
        return f"${body}$"
    if role in ("doc", "term"):
        return text or body
    page, anchor, default = index.get(label, (None, None, label))
    text = (text or default).replace("%s", "").replace("{number}", "").strip() or default
    return f"[{text}]({site}{page}#{anchor})" if page and site else text


def _literalinclude(arg: str, options: dict, md: Path) -> str:
    config = book_config()["repository"]
    target = (md.parent / arg).resolve().relative_to(REPO_ROOT).as_posix()
    url = f"{config['url'].rstrip('/')}/blob/{config.get('branch') or 'main'}/{target}"
    what = f"`{options['pyobject']}` in " if "pyobject" in options else ""
    return f"*Code:* {what}[`{target}`]({url})"


def colab_markdown(source: str, md: Path, index: dict, site: str) -> str:
    """One Markdown cell of a chapter, made readable outside the book's Sphinx."""
    out: list[str] = []
    stack: list[tuple[str, str | None]] = []  # (fence, directive name or None for code)
    lines = source.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        depth = sum(1 for _, name in stack if name and name not in ("tab-set", "tab-item"))
        quote = "> " * depth
        in_code = bool(stack) and stack[-1][1] is None
        if stack and line.strip() == stack[-1][0]:  # a closing fence
            _, name = stack.pop()
            if name is None:
                out.append(quote + line)
            elif name == "prf:proof":
                out.append(quote + "∎")
            i += 1
            continue
        if in_code:
            out.append(quote + line)
            i += 1
            continue
        if (m := FENCE_OPEN.match(line)):
            name, arg = m["name"], m["arg"]
            options = {}
            j = i + 1
            while j < len(lines) and (o := OPTION.match(lines[j])):
                options[o["key"]] = o["value"]
                j += 1
            handled = name.startswith("prf:") or name in ADMONITIONS | {
                "exercise", "solution", "solution-start", "solution-end", "tab-set", "tab-item",
                "literalinclude"}
            if not handled:
                stack.append((m["fence"], None))
                out.append(quote + line)
                i += 1
                continue
            if name == "literalinclude":
                out.append(quote + _literalinclude(arg, options, md))
                # skip to the closing fence
                while j < len(lines) and lines[j].strip() != m["fence"]:
                    j += 1
                i = j + 1
                continue
            if name in ("solution-start", "solution-end"):
                if name == "solution-start":
                    out.append(quote + "**Solution.**")
                while j < len(lines) and lines[j].strip() != m["fence"]:
                    j += 1
                i = j + 1
                continue
            stack.append((m["fence"], name))
            if name == "tab-item":
                out.append(quote + f"**{arg}**")
            elif name == "prf:proof":
                out.append(quote + "> *Proof.*")
            elif name != "tab-set":
                heading = _kind(name) if name != "admonition" else arg
                if arg and name not in ("admonition", "solution"):
                    heading += f" ({arg})"
                out.append(quote + f"> **{heading}.**")
            if name not in ("tab-set", "tab-item"):
                out.append(quote + ">")
            i = j
            continue
        if PLAIN_FENCE.match(line):
            stack.append((PLAIN_FENCE.match(line)["fence"], None))
            out.append(quote + line)
            i += 1
            continue
        if TARGET.match(line):
            i += 1
            continue
        if (m := MATH_LABEL.match(line)):
            line = m["indent"] + "$$"
        text = (quote + ROLE.sub(lambda r: _role(r, index, site), line)).rstrip() if line else quote.rstrip()
        if not (text in (">", "> >") and out and out[-1] == text):  # one blank quoted line is enough
            out.append(text)
        i += 1
    return "\n".join(out)


def render(md: Path) -> nbformat.NotebookNode:
    """The Colab notebook of one chapter: its cells, no outputs, stable ids."""
    nb = jupytext.read(md, fmt="md:myst")
    index, site = label_index(), site_url()
    first_markdown = True
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        cell.source = colab_markdown(cell.source, md, index, site)
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
    cells = [
        (c.cell_type, c.source, dict(c.metadata), c.get("outputs", []))
        for c in nb.cells
    ]
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
