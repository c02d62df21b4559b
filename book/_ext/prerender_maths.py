"""Typeset the maths at build time: the pages carry finished maths, no MathJax.

Sphinx writes each formula as TeX (``<span class="math ...">\\(x^2\\)</span>``,
``<div class="math ...">\\[ ... \\]</div>``) for MathJax to typeset in the
reader's browser. Once the HTML build has finished, this extension sends the
TeX of every page that still has any to MathJax 3 in Node
(``prerender_maths.cjs``, npm's ``mathjax-full``) and writes the result into
the page, in place of the TeX:

* SVG output (glyphs drawn from one hidden ``<svg>`` of glyph definitions per
  page: no web fonts, nothing to wait for), sized in ``ex`` of the text around
  it, in ``currentColor`` (dark mode);
* MathJax's assistive MathML beside each formula for screen readers, with the
  TeX source as a MathML annotation (the labels manifest and the PDF read it);
* ``_static/mathjax-svg.css``, MathJax's stylesheet for that output, linked
  from every page.

The macros are ``mathjax3_config.tex.macros`` of ``_config.yml``. A TeX error
fails the build. Equation numbers, permalinks and ``{eq}`` links are Sphinx's
HTML around the formulas and stay as they are. The MathJax scripts that
``sphinx.ext.mathjax`` adds to every page are dropped. On a rebuild only the
pages Sphinx rewrote are typeset again.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

RENDERER = Path(__file__).with_name("prerender_maths.cjs")
STYLESHEET = "mathjax-svg.css"
# Sphinx's (and myst's amsmath) HTML for a formula: the element, its content
MATH_ELEMENT = re.compile(
    r'(<(span|div) class="math notranslate nohighlight[^"]*"[^>]*>)(.*?)(</\2>)', re.S
)
INLINE = re.compile(r"\\\((.*)\\\)", re.S)
# a display formula: the equation number (if any), then \[TeX\] or a bare environment
DISPLAY = re.compile(
    r"(\s*(?:<span class=\"eqno\">.*?</span>)?)(?:\\\[(.*)\\\]|(\\begin\{.*\}))(\s*)", re.S
)
BODY_TAG = re.compile(r"<body[^>]*>")
# The hidden MathML copy of each formula serves screen readers only; the
# browser need not lay it out while it is off screen (it stays in the
# accessibility tree: content-visibility "auto", unlike "hidden", keeps it).
EXTRA_CSS = """
/* added by book/_ext/prerender_maths.py */
mjx-assistive-mml { content-visibility: auto; contain-intrinsic-size: 1px 1px; }
"""


# a formula on a page: (its element's match, its TeX, display?)
Formula = tuple[re.Match[str], str, bool]


def formulas(page: str) -> list[Formula]:
    """(element match, TeX, display?) for each formula still in TeX on PAGE."""
    found = []
    for element in MATH_ELEMENT.finditer(page):
        content = element.group(3)
        if "<mjx-container" in content:
            continue
        if element.group(2) == "span":
            match = INLINE.fullmatch(content)
            tex, display = (match.group(1) if match else None), False
        else:
            match = DISPLAY.fullmatch(content)
            tex, display = (match.group(2) or match.group(3) if match else None), True
        if tex is None:
            raise ExtensionError(f"prerender_maths: unexpected maths markup: {content[:200]!r}")
        found.append((element, html.unescape(tex), display))
    return found


def typeset(request: dict) -> dict:
    """Run the Node renderer on REQUEST (see prerender_maths.cjs)."""
    try:
        result = subprocess.run(
            ["node", str(RENDERER)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
    except OSError as error:
        raise ExtensionError(f"prerender_maths: cannot run node: {error}") from error
    if result.returncode != 0:
        raise ExtensionError(
            f"prerender_maths: MathJax failed ({result.stderr.strip() or result.returncode}); "
            "is `npm ci` done (the Makefile does it)?"
        )
    return json.loads(result.stdout)


def rendered_page(page: str, found: list[Formula], rendered: dict[str, Any]) -> str:
    """PAGE with each formula of FOUND replaced by its typeset HTML."""
    pieces, position = [], 0
    for (element, _tex, display), maths in zip(found, rendered["maths"], strict=True):
        content = element.group(3)
        if display:  # keep the equation number and its permalink
            parts = DISPLAY.fullmatch(content)
            assert parts is not None  # formulas() matched it
            content = parts.group(1) + maths + parts.group(4)
        else:
            content = maths
        pieces += [page[position : element.start(3)], content]
        position = element.end(3)
    pieces.append(page[position:])
    page = "".join(pieces)
    return BODY_TAG.sub(lambda body: body.group(0) + rendered["glyphs"], page, count=1)


def prerender(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    stylesheet = outdir / "_static" / STYLESHEET
    todo = []
    for path in sorted(outdir.rglob("*.html")):
        page = path.read_text(encoding="utf-8")
        if found := formulas(page):
            todo.append((path, page, found))
    if not todo and stylesheet.is_file():
        return
    macros = (app.config.mathjax3_config or {}).get("tex", {}).get("macros", {})
    result = typeset(
        {
            "output": "svg",
            "macros": macros,
            "pages": [
                [{"tex": tex, "display": display} for _, tex, display in found]
                for _, _, found in todo
            ],
        }
    )
    for (path, page, found), rendered in zip(todo, result["pages"], strict=True):
        path.write_text(rendered_page(page, found, rendered), encoding="utf-8")
    stylesheet.write_text(result["stylesheet"] + EXTRA_CSS, encoding="utf-8")
    count = sum(len(found) for _, _, found in todo)
    logger.info("prerender_maths: typeset %d formulas on %d pages", count, len(todo))


def drop_mathjax_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Remove the MathJax configuration and script that sphinx.ext.mathjax adds."""
    scripts = context.get("script_files")
    if not scripts:
        return
    mathjax_files = {app.config.mathjax_path, f"_static/{app.config.mathjax_path}"}

    def is_mathjax(script: Any) -> bool:
        filename = getattr(script, "filename", script) or ""
        body = str(getattr(script, "attributes", {}).get("body", ""))
        return str(filename) in mathjax_files or body.startswith("window.MathJax")

    context["script_files"] = [script for script in scripts if not is_mathjax(script)]


def setup(app: Sphinx) -> dict:
    app.add_css_file(STYLESHEET)
    # after sphinx.ext.mathjax has added its scripts (priority 500)
    app.connect("html-page-context", drop_mathjax_scripts, priority=800)
    app.connect("build-finished", prerender)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
