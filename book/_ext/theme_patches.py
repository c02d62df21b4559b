"""Patches to the theme's templates and pages, each for a defect upstream.

The pages are sphinx-book-theme 1.3 on pydata-sphinx-theme 0.17 (the newest
that Jupyter Book 1 allows); each patch below says what it fixes and links
the upstream issue where there is one. A template patch whose pattern is no
longer in the theme warns (warnings fail the build): the theme changed, so
check whether the patch is still needed.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pydata_sphinx_theme
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)

THEME_DIR = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"

# Theme templates replaced by an edited copy:
# (file in the theme, name the theme renders it by, pattern, replacement)
TEMPLATE_EDITS = [
    # FontAwesome's 1.5 MB script on every page, to draw a few icons:
    # fontawesome_css.py draws them with CSS instead (pydata-sphinx-theme#2115,
    # #2379; fixed by #2494 in 0.20, which needs Sphinx 8)
    (
        "static/webpack-macros.html",
        "static/webpack-macros.html",
        re.compile(r"[ \t]*<script[^>]*_static/scripts/fontawesome\.js[^>]*></script>\n?"),
        "",
    ),
    # the search button's aria-label "Search" hides its visible text "Search
    # Ctrl+K" from its name (axe: label-content-name-mismatch, serious)
    (
        "components/search-button-field.html",
        "search-button-field.html",
        re.compile(r' aria-label="\{\{ _\(\'Search\'\) \}\}"'),
        "",
    ),
    # Sphinx's search scripts and index (22 kB gzip-compressed) in the head of
    # every page serve only search-as-you-type, which is off; the search page
    # keeps its own
    (
        "layout.html",
        "pydata_sphinx_theme/layout.html",
        re.compile(r"[ \t]*\{% if pagename == 'search' %\}.*?\{% endif %\}\n", re.S),
        "",
    ),
]

# Replacements in every page's body: (what, by what)
BODY_EDITS = [
    # docutils marks bibliography entries role="doc-biblioentry", which
    # DPUB-ARIA 1.1 deprecates for list items (w3c/dpub-aria#22): inside
    # role="list" they leave the list with no items (axe:
    # aria-required-children, critical)
    ('role="doc-biblioentry"', 'role="listitem"'),
    # myst-nb's hidden-cell toggles are <summary aria-label="Toggle hidden
    # content"> around the visible "Show code cell source" (axe:
    # label-content-name-mismatch, serious)
    ('<summary aria-label="Toggle hidden content">', "<summary>"),
]

# sphinx-external-toc's index.html: a bare <meta http-equiv="Refresh">
BARE_REDIRECT = re.compile(r'\s*<meta http-equiv="Refresh" content="0; url=([^"]+)" />\s*')


def override_theme(app: Sphinx, config: Config) -> None:
    """Put edited copies of some theme templates first on the template path."""
    templates = Path(app.doctreedir).parent / ".theme_patches_templates"
    for source, name, pattern, replacement in TEMPLATE_EDITS:
        edited, count = pattern.subn(replacement, (THEME_DIR / source).read_text())
        if count != 1:
            logger.warning(
                "theme_patches: %r not found in the theme's %s; the theme changed, "
                "update book/_ext/theme_patches.py",
                pattern.pattern,
                source,
                type="theme_patches",
            )
            continue
        target = templates / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_text() != edited:
            target.write_text(edited)
    config.templates_path = [str(templates), *config.templates_path]


def fix_page(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """The page-level patches: BODY_EDITS, and no script twice."""
    if "body" in context:
        for old, new in BODY_EDITS:
            context["body"] = context["body"].replace(old, new)
    # sphinx-thebe adds its inline configuration script twice, so the page
    # throws "Identifier 'THEBE_JS_URL' has already been declared"
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", {})
        # an inline script's filename is None or "" depending on who added it
        filename = getattr(script, "filename", script) or ""
        key = (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def write_index_page(app: Sphinx, exception: Exception | None) -> None:
    """Make sphinx-external-toc's bare redirect index.html a small valid page
    (language, title, favicon, a link to follow), so the site root passes the
    same browser checks as every other page."""
    index = Path(app.outdir) / "index.html"
    if exception is not None or app.builder.format != "html" or not index.is_file():
        return
    bare = BARE_REDIRECT.fullmatch(index.read_text())
    if bare is None:
        return
    target = html.escape(bare.group(1))
    title = html.escape(app.config.html_title or app.config.project)
    favicon = app.config.html_favicon
    icon_link = (
        f'<link rel="icon" href="_static/{html.escape(Path(favicon).name)}">' if favicon else ""
    )
    index.write_text(
        f"""<!DOCTYPE html>
<html lang="{app.config.language or "en"}">
<head>
<meta charset="utf-8">
<meta http-equiv="Refresh" content="0; url={target}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="canonical" href="{target}">
{icon_link}
</head>
<body>
<main><p><a href="{target}">{title}</a></p></main>
</body>
</html>
"""
    )


def setup(app: Sphinx) -> dict[str, bool]:
    app.connect("config-inited", override_theme)
    # after the other extensions have added their per-page scripts
    app.connect("html-page-context", fix_page, priority=900)
    # after sphinx-external-toc has written its index.html redirect (priority 500)
    app.connect("build-finished", write_index_page, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
