"""Serve MathJax 3 from the built site itself instead of a CDN.

After the HTML build finishes, copy the parts of npm's ``mathjax@3`` package
that the pages load (the ``tex-chtml`` component, the lazily loaded TeX
extensions and the CHTML web fonts) into ``_static/mathjax``. The pages point
there through ``mathjax_path`` in ``_config.yml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

REPO_ROOT = Path(__file__).resolve().parents[2]
MATHJAX_ES5 = REPO_ROOT / "node_modules" / "mathjax" / "es5"
# what tex-chtml.js needs at run time, relative to es5/
MATHJAX_PARTS = ("tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2")


def copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    """Copy MathJax into the HTML output once the build has succeeded."""
    if exception is not None or app.builder.format != "html":
        return
    if not (MATHJAX_ES5 / "tex-chtml.js").is_file():
        raise ExtensionError(
            f"MathJax not found at {MATHJAX_ES5}: run `npm ci` in {REPO_ROOT} "
            "(the Makefile does this) so the site can serve MathJax itself."
        )
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        source = MATHJAX_ES5 / part
        destination = target / part
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination, dirs_exist_ok=True)
        else:
            shutil.copy2(source, destination)


def setup(app: Sphinx) -> dict:
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
