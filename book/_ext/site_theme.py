"""Keep the theme light and the site whole.

pydata-sphinx-theme loads FontAwesome's script (about 1.5 MB, 0.54 MB
gzip-compressed) on every page only to turn a handful of ``<i class="fa-...">``
icons into SVG. This extension drops that script from the page template and
instead writes ``_static/site-theme.css``: one CSS mask per icon that the
built pages actually use, with the SVG path taken from the theme's own copy of
FontAwesome (same glyphs, a few kilobytes). An icon class that FontAwesome
does not know fails the build, so no icon silently disappears.

It also leaves out Sphinx's search scripts and index (22 kB gzip-compressed,
run before the page can show) that the theme puts in the head of every page
for its search-as-you-type, which is off; the search page keeps them.

Fixes to the stock theme that the browser checks (tests/browser) found:

* the search button's ``aria-label="Search"`` hides its visible text
  ("Search Ctrl+K") from its accessible name (axe: label-content-name-mismatch,
  serious); the label is dropped so the name is the visible text;
* an empty ``default_mode`` makes the theme's script log "Got invalid theme
  mode" as a console error; it is set to ``auto`` (follow the reader's system);
* sphinx-thebe adds its inline configuration script twice, so the page throws
  "Identifier 'THEBE_JS_URL' has already been declared"; duplicate scripts are
  dropped from each page;
* links (#176de8 light, #528fe4 dark) fall below 4.5:1 contrast on the
  tinted backgrounds of admonitions, proof and exercise boxes (axe:
  color-contrast, serious); site-theme.css darkens them a little in light mode
  (#0d5bc4, >= 5.5:1 on those tints) and lightens them in dark mode (#7eaef2,
  >= 5.7:1 on the box background #29313d);
* myst-nb's hidden-cell toggles are ``<summary aria-label="Toggle hidden
  content">`` around the visible text "Show code cell source" (axe:
  label-content-name-mismatch, serious); the label is dropped so the visible
  text names the control;
* Sphinx's basic.css gives the letter rows of a domain index (sphinx-proof's
  ``prf-prf.html``) a light grey background, also in dark mode where the text
  is light (contrast 1.3:1); they take the theme's surface colour there;
* docutils marks each bibliography entry ``role="doc-biblioentry"`` inside a
  ``role="list"``; DPUB-ARIA 1.1 deprecates that role, so a list of them has no
  list items (axe: aria-required-children, critical); they become
  ``role="listitem"``, which is what the deprecation says to use.

The theme's CSS also draws admonition, proof and exercise icons with
FontAwesome's web font (``fa-solid-900.woff2``, 156 kB on every page with such
a box). The extension subsets the theme's own TrueType fonts to the glyphs that
the site's CSS uses (a few kilobytes, WOFF) and declares them after the theme,
so the browser fetches the subset instead.

It also turns the bare ``<meta http-equiv="Refresh">`` that sphinx-external-toc
writes as ``index.html`` into a small valid page (language, title, favicon, a
link to follow), so the site root passes the same browser checks as every
other page.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from pathlib import Path

import pydata_sphinx_theme
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)

THEME_DIR = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
FONTAWESOME_JS = THEME_DIR / "static" / "scripts" / "fontawesome.js"
FONTAWESOME_TAG = re.compile(r"[ \t]*<script[^>]*_static/scripts/fontawesome\.js[^>]*></script>\n?")
ICON_CSS = "site-theme.css"

# FontAwesome's style classes -> the pack that draws them
STYLE_CLASSES = {
    "fa-solid": "fas", "fas": "fas", "fa": "fas",
    "fa-regular": "far", "far": "far",
    "fa-brands": "fab", "fab": "fab",
}
# FontAwesome utility classes (sizes, spacing, animation) that name no icon
UTILITY = re.compile(
    r"fa-(\d*x|2?xs|sm|lg|2?xl|fw|ul|li|border|pull-(left|right)|spin(-pulse|-reverse)?|pulse"
    r"|beat(-fade)?|fade|bounce|flip(-(horizontal|vertical|both))?|shake|rotate-\w+|inverse"
    r"|stack(-[12]x)?|classic|sharp|solid|regular|brands)"
)
# one icon entry of a pack: name:[width,height,[aliases],"unicode","path" or [paths]]
ICON_ENTRY = re.compile(
    r'(?:"([^"]+)"|([A-Za-z_$][\w$]*)|(\d+)):\[(\d+),(\d+),\[([^\]]*)\],"[0-9a-f]*",'
    r'("(?:[^"\\]|\\.)*"|\[(?:"(?:[^"\\]|\\.)*",?)*\])\]'
)
PACK_END = re.compile(r'd\("(fa[bsr])",p\)')
CLASS_ATTR = re.compile(r'<(?:i|span)\b[^>]*\bclass="([^"]*\bfa-[^"]*)"')
BARE_REDIRECT = re.compile(r'\s*<meta http-equiv="Refresh" content="0; url=([^"]+)" />\s*')


# theme templates overridden by an edited copy:
# (file in the theme, name the theme renders it by, pattern, replacement)
TEMPLATE_EDITS = [
    ("static/webpack-macros.html", "static/webpack-macros.html", FONTAWESOME_TAG, ""),
    ("components/search-button-field.html", "search-button-field.html",
     re.compile(r' aria-label="\{\{ _\(\'Search\'\) \}\}"'), ""),
    # Sphinx's search scripts and index in the head of every page, loaded before
    # the page can show, serve only the theme's search-as-you-type, which is off
    # (search_as_you_type = False); the search page loads its own.
    ("layout.html", "pydata_sphinx_theme/layout.html",
     re.compile(r"[ \t]*\{% if pagename == 'search' %\}.*?\{% endif %\}\n", re.S), ""),
]


def override_theme(app: Sphinx, config: Config) -> None:
    """Put edited copies of some theme templates first on the template path."""
    templates = Path(app.doctreedir).parent / ".site_theme_templates"
    for source, name, pattern, replacement in TEMPLATE_EDITS:
        edited, count = pattern.subn(replacement, (THEME_DIR / source).read_text())
        if count != 1:
            logger.warning(
                "site_theme: %r not found in the theme's %s; the theme changed, "
                "update book/_ext/site_theme.py", pattern.pattern, source, type="site_theme",
            )
            continue
        target = templates / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_text() != edited:
            target.write_text(edited)
    config.templates_path = [str(templates), *config.templates_path]
    # pydata-sphinx-theme reads its default colour mode from html_context
    if not config.html_context.get("default_mode"):
        config.html_context = {**config.html_context, "default_mode": "auto"}


def fix_page(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Page-level fixes: bibliography entries as list items; no duplicate scripts."""
    if "body" in context:
        context["body"] = (
            context["body"]
            .replace('role="doc-biblioentry"', 'role="listitem"')
            .replace('<summary aria-label="Toggle hidden content">', "<summary>")
        )
    # keep the first of identical <script> entries (sphinx-thebe adds its twice)
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


def fontawesome_packs() -> dict[str, dict[str, tuple[int, int, list[str]]]]:
    """Parse the theme's fontawesome.js into {pack: {name: (width, height, paths)}}."""
    source = FONTAWESOME_JS.read_text()
    packs: dict[str, dict[str, tuple[int, int, list[str]]]] = {}
    start = 0
    for end in PACK_END.finditer(source):
        block_start = source.rfind("var p={", start, end.start())
        icons: dict[str, tuple[int, int, list[str]]] = {}
        for entry in ICON_ENTRY.finditer(source, block_start, end.start()):
            name = entry.group(1) or entry.group(2) or entry.group(3)
            raw = entry.group(7)
            paths = re.findall(r'"((?:[^"\\]|\\.)*)"', raw) if raw.startswith("[") else [raw[1:-1]]
            icon = (int(entry.group(4)), int(entry.group(5)), paths)
            icons[name] = icon
            for alias in re.findall(r'"([^"]+)"', entry.group(6)):
                icons.setdefault(alias, icon)
        packs[end.group(1)] = icons
        start = end.end()
    return packs


def icons_used(outdir: Path) -> set[tuple[str, str]]:
    """(pack, icon name) for every FontAwesome icon element in the built pages."""
    used = set()
    for page in outdir.rglob("*.html"):
        for classes in CLASS_ATTR.findall(page.read_text(errors="replace")):
            names = classes.split()
            pack = next((STYLE_CLASSES[n] for n in names if n in STYLE_CLASSES), "fas")
            for name in names:
                if name.startswith("fa-") and name not in STYLE_CLASSES and not UTILITY.fullmatch(name):
                    used.add((pack, name[3:]))
    return used


def icon_css(used: set[tuple[str, str]], packs) -> tuple[str, list[str]]:
    """CSS that draws each used icon as a mask filled with the text colour."""
    rules = [
        "/* FontAwesome icons used by this site, drawn with CSS masks "
        "(generated by book/_ext/site_theme.py; FontAwesome Free, CC BY 4.0 / SIL OFL 1.1) */",
        ".fa::before,.fas::before,.far::before,.fab::before,.fa-solid::before,"
        ".fa-regular::before,.fa-brands::before{content:\"\";display:inline-block;"
        "height:1em;width:var(--site-icon-width,1em);vertical-align:-.125em;"
        "background-color:currentColor;-webkit-mask:var(--site-icon) center/contain no-repeat;"
        "mask:var(--site-icon) center/contain no-repeat}",
        # FontAwesome's script replaced <i class="fa-solid ..."> by an <svg> without the
        # style class, so this theme rule (written for the web-font icons) never applied
        # to the stock site; with the <i> kept it would lay the icon over the input text
        ".bd-search .fa-solid.fa-magnifying-glass{position:static}",
        # the theme's CSS gives icon elements FontAwesome's web fonts (0.27 MB more
        # downloaded as soon as an icon is laid out); the masks need no font
        ".fa,.fas,.far,.fab,.fa-solid,.fa-regular,.fa-brands,.fa-classic{font-family:inherit}",
        # link colours with >= 4.5:1 contrast on the tinted boxes too (see the docstring)
        'html[data-theme="light"]{--pst-color-link:#0d5bc4}',
        'html[data-theme="dark"]{--pst-color-link:#7eaef2}',
        # Sphinx's basic.css paints the letter rows of domain indices (sphinx-proof's
        # prf-prf.html) light grey, under the dark theme's light text (contrast 1.3:1)
        'html[data-theme="dark"] table.indextable tr.cap{background-color:var(--pst-color-surface)}',
    ]
    missing = []
    selectors_for_pack = {
        "fas": (".fa", ".fas", ".fa-solid"),
        "far": (".far", ".fa-regular"),
        "fab": (".fab", ".fa-brands"),
    }
    for pack, name in sorted(used):
        icon = packs.get(pack, {}).get(name)
        if icon is None:
            missing.append(f"{pack} fa-{name}")
            continue
        width, height, paths = icon
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}">'
            + "".join(f'<path d="{path}"/>' for path in paths)
            + "</svg>"
        )
        url = "data:image/svg+xml," + urllib.parse.quote(svg, safe=" /:=\"<>,.-")
        url = url.replace('"', "'")
        selectors = ",".join(f"{style}.fa-{name}" for style in selectors_for_pack[pack])
        rules.append(
            f'{selectors}{{--site-icon:url("{url}");--site-icon-width:{width / height:.4g}em}}'
        )
    return "\n".join(rules) + "\n", missing


WEBFONTS = THEME_DIR / "static" / "vendor" / "fontawesome" / "webfonts"
# (theme's TrueType font, CSS family, weight) -> subset written as _static/site-NAME.woff
FONT_FACES = [
    ("fa-solid-900.ttf", "Font Awesome 6 Free", 900),
    ("fa-regular-400.ttf", "Font Awesome 6 Free", 400),
    ("fa-brands-400.ttf", "Font Awesome 6 Brands", 400),
]
PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]|\\(f[0-9a-fA-F]{3}|e[0-9a-fA-F]{3})(?![0-9a-fA-F])")


CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
FA_ICON_SELECTOR = re.compile(r"\s*\.fa-[\w-]+(::?(before|after))?\s*")


def glyphs_in_css(static: Path) -> set[int]:
    """FontAwesome code points (Unicode private use area) that the site's CSS
    draws, leaving out FontAwesome's own .fa-NAME class list (drawn by masks)."""
    found = set()
    for css in static.rglob("*.css"):
        if "mathjax" in css.parts:
            continue
        for rule in CSS_RULE.finditer(css.read_text(errors="replace")):
            if all(FA_ICON_SELECTOR.fullmatch(sel) for sel in rule.group(1).split(",")):
                continue
            for match in PRIVATE_USE.finditer(rule.group(2)):
                found.add(ord(match.group(0)) if match.group(1) is None else int(match.group(1), 16))
    return found


def subset_fonts(static: Path) -> str:
    """Write the FontAwesome font subsets; return their @font-face rules."""
    import logging

    from fontTools import subset

    logging.getLogger("fontTools").setLevel(logging.WARNING)
    codepoints = glyphs_in_css(static)
    stamp = static / "site-fonts.codepoints"
    recorded = ",".join(f"{c:x}" for c in sorted(codepoints))
    fresh = stamp.is_file() and stamp.read_text() == recorded
    rules = []
    for source, family, weight in FONT_FACES:
        if not codepoints or not (WEBFONTS / source).is_file():
            continue
        target = static / f"site-{Path(source).stem}.woff"
        if not (fresh and target.is_file()):  # a rebuild with the same glyphs keeps them
            options = subset.Options()
            options.flavor = "woff"
            options.layout_features = ["*"]
            font = subset.load_font(str(WEBFONTS / source), options)
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=codepoints)
            subsetter.subset(font)
            subset.save_font(font, str(target), options)
        rules.append(
            f'@font-face{{font-display:block;font-family:"{family}";font-style:normal;'
            f'font-weight:{weight};src:url({target.name}) format("woff")}}'
        )
    stamp.write_text(recorded)
    return "\n".join(rules) + "\n"


def write_site_files(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    css, missing = icon_css(icons_used(outdir), fontawesome_packs())
    for icon in missing:
        logger.warning("site_theme: no FontAwesome icon %s in the theme", icon, type="site_theme")
    target = outdir / "_static" / ICON_CSS
    target.write_text("")  # its own (empty) old copy must not count as the theme's CSS
    target.write_text(css + subset_fonts(outdir / "_static"))

    index = outdir / "index.html"
    if index.is_file() and (bare := BARE_REDIRECT.fullmatch(index.read_text())):
        target = html.escape(bare.group(1))
        title = html.escape(app.config.html_title or app.config.project)
        favicon = app.config.html_favicon
        icon_link = (
            f'<link rel="icon" href="_static/{html.escape(Path(favicon).name)}">' if favicon else ""
        )
        index.write_text(
            f"""<!DOCTYPE html>
<html lang="{app.config.language or 'en'}">
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


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", override_theme)
    # after the other extensions have added their per-page scripts
    app.connect("html-page-context", fix_page, priority=900)
    app.add_css_file(ICON_CSS)
    # after sphinx-external-toc has written its index.html redirect (priority 500)
    app.connect("build-finished", write_site_files, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
