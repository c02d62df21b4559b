"""Print the whole book to one PDF with headless Chromium; no TeX needed.

Usage: python -m tools.build_pdf [--force] [HTML_DIR]   (default: _build/html)

The PDF is rewritten only when a page it prints (or this script) is newer
than it, so a rebuild that changed nothing costs nothing; --force always prints.

The PDF is printed from the site that ``jupyter-book build`` just made, so its
definitions, theorems, equations and figures carry exactly the site's numbers:

1. serve HTML_DIR on a local port (and MathJax's CHTML web fonts from
   node_modules);
2. open the root page in Chromium (Playwright driving $CHROMIUM or the
   system's chromium / google-chrome, tools/chromium.py; no browser download),
   fetch every page of ``_toc.yml`` in order and put their articles one after
   the other into that page; links between pages become links inside the
   PDF, other links point at the published site (the GitHub Pages address of ``repository`` in
   _config.yml); images and fonts stay local;
3. typeset the maths again, from the TeX the site keeps with each formula,
   with MathJax's CHTML output (book/_ext/prerender_maths.cjs): the site
   draws its formulas as SVG, which would print as shapes, while CHTML's
   web-font glyphs stay text in the PDF (searchable, copyable); wait for the
   images and fonts;
4. print with the site's print stylesheet (``book/_static/reader.css`` hides
   the navigation and buttons), page numbers in the footer, an outline
   (bookmarks) from the headings, into HTML_DIR/book.pdf.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from book._ext import prerender_maths  # the build's MathJax renderer
from tools import chromium
from tools.config import REPO_ROOT, book_config, maths_macros, site_url, toc_documents

# MathJax's CHTML fonts, served to the printing page under FONTS_PATH
MATHJAX_FONTS = REPO_ROOT / "node_modules/mathjax-full/es5/output/chtml/fonts/woff-v2"
FONTS_PATH = "/_mathjax-fonts/"
PDF_NAME = "book.pdf"
MARGIN_MM = 16
COLUMN_PX = round((210 - 2 * MARGIN_MM) / 25.4 * 96)

# Fetch every page (all at once), put their articles one after the other into
# a detached element (laid out once, when it goes into the page), and return
# the TeX of its formulas, read from the MathML annotation the build writes.
ASSEMBLE_JS = """
async ({docs, siteUrl, title}) => {
  const origin = location.origin + '/';
  const pageUrl = doc => new URL(doc + '.html', origin);
  const chapterOf = new Map(docs.map(doc =>
    [pageUrl(doc).pathname, 'pdf-' + doc.replace(/\\//g, '-')]));
  const texts = await Promise.all(docs.map(async doc => {
    const response = await fetch(pageUrl(doc));
    if (!response.ok) throw new Error(`cannot fetch ${pageUrl(doc)}: ${response.status}`);
    return response.text();
  }));
  const book = document.createElement('div');
  docs.forEach((doc, index) => {
    const url = pageUrl(doc);
    const page = new DOMParser().parseFromString(texts[index], 'text/html');
    const content = page.querySelector('article.bd-article');
    if (!content) throw new Error(`no article in ${url}`);
    content.querySelectorAll('[src]').forEach(el =>
      el.setAttribute('src', new URL(el.getAttribute('src'), url).href));
    content.querySelectorAll('a[href]').forEach(a => {
      const target = new URL(a.getAttribute('href'), url);
      if (target.origin + '/' !== origin) return;           // external: keep
      if (chapterOf.has(target.pathname)) {                  // inside the book
        a.setAttribute('href', target.hash || '#' + chapterOf.get(target.pathname));
      } else {                                               // other site files
        a.setAttribute('href', siteUrl + target.pathname.slice(1) + target.hash);
      }
    });
    const chapter = document.createElement('div');
    chapter.className = 'pdf-chapter';
    chapter.id = chapterOf.get(url.pathname);
    chapter.append(...Array.from(content.childNodes).map(n => document.adoptNode(n)));
    book.append(chapter);
  });
  document.title = title;
  window.__pdfBook = book;
  return Array.from(book.querySelectorAll('.math'), math => {
    const source = math.querySelector('annotation[encoding="application/x-tex"]');
    return {tex: source ? source.textContent : null, display: math.tagName === 'DIV'};
  });
}
"""

# Put the CHTML formulas in place of the site's SVG ones (in the same order),
# the book into the page, and wait for its images and fonts.
TYPESET_JS = """
async ({maths, css}) => {
  const book = window.__pdfBook;
  const formulas = book.querySelectorAll('.math');
  if (formulas.length !== maths.length) throw new Error('formulas changed while typesetting');
  const template = document.createElement('template');
  formulas.forEach((math, index) => {
    template.innerHTML = maths[index];
    math.querySelector(':scope > mjx-container').replaceWith(template.content);
  });
  const style = document.createElement('style');
  style.textContent = css;
  document.head.append(style);
  document.querySelector('article.bd-article').replaceChildren(...book.childNodes);
  await Promise.all(Array.from(document.images).map(img => img.complete ? null :
    new Promise(resolve => { img.onload = img.onerror = resolve; })));
  await document.fonts.ready;
}
"""

# Display equations wider than the printed column are scaled down to fit it
# (on screen they scroll instead; a PDF cannot scroll).
FIT_MATH_JS = """
() => {
  // measure everything first, then resize: one layout, not one per equation
  const wide = [];
  for (const math of document.querySelectorAll('mjx-container[display="true"]')) {
    const box = math.closest('div.math') || math.parentElement;
    const available = box.clientWidth - 8;
    const needed = math.scrollWidth;
    if (available > 0 && needed > available) wide.push([math, available / needed]);
  }
  for (const [math, ratio] of wide) math.style.fontSize = `${Math.floor(100 * ratio)}%`;
  const scaled = wide.length;
  // the hidden MathML copies serve screen readers on the site; a PDF does not
  // need them, and they double the work of laying out every formula
  document.querySelectorAll('mjx-assistive-mml').forEach(node => node.remove());
  const raw = document.querySelectorAll('.math:not(:has(mjx-container))').length;
  return {scaled: scaled, untypeset: raw};
}
"""

PRINT_CSS = """
.pdf-chapter + .pdf-chapter { break-before: page; }
.bd-header-article, .prev-next-area, .bd-footer-article, .bd-sidebar-secondary,
.bd-sidebar-primary, .bd-header, .bd-footer, #pst-back-to-top { display: none !important; }
.bd-main .bd-content .bd-article-container { max-width: 100% !important; padding: 0 !important; }
a.headerlink { display: none !important; }
/* long code lines wrap instead of being cut at the margin */
div.highlight pre, div.cell_output pre {
  white-space: pre-wrap !important; overflow-wrap: anywhere;
}
div.cell_input, div.cell_output, figure { break-inside: avoid; }
/* Skia rasterises shadows into images: slow and heavy for hundreds of boxes */
* { box-shadow: none !important; text-shadow: none !important; }
#jb-print-docs-body { display: none !important; }
.bd-main .bd-content .bd-article .pdf-chapter h1 { display: block !important; }
div.math, mjx-container[display="true"] { overflow: visible !important; }
body { font-size: 11pt; }
"""

FOOTER = (
    '<div style="font-size:8px; width:100%; text-align:center; color:#666;">'
    '<span class="title"></span> &middot; <span class="pageNumber"></span> / '
    '<span class="totalPages"></span></div>'
)


def typeset_chtml(formulas: list[dict[str, Any]]) -> dict[str, Any]:
    """The book's formulas typeset as CHTML: {"maths": [HTML, ...], "css": CSS}."""
    if not MATHJAX_FONTS.is_dir():
        raise SystemExit(
            f"build_pdf: no MathJax fonts at {MATHJAX_FONTS}: run `npm ci` (the Makefile does)"
        )
    if any(formula["tex"] is None for formula in formulas):
        raise SystemExit(
            "build_pdf: a formula of the site has no TeX source (not typeset by the build?)"
        )
    result = prerender_maths.typeset(
        {
            "output": "chtml",
            "fontURL": FONTS_PATH.rstrip("/"),
            "macros": maths_macros(),
            "pages": [formulas],
        }
    )
    page: dict[str, Any] = result["pages"][0]
    return page


def up_to_date(html_dir: Path, output: Path, docs: list[str]) -> bool:
    """True when the PDF is newer than every page it prints and than this script."""
    if not output.is_file():
        return False
    inputs = [html_dir / f"{doc}.html" for doc in docs] + [Path(__file__), prerender_maths.RENDERER]
    inputs += list((html_dir / "_images").glob("*"))
    return output.stat().st_mtime > max(path.stat().st_mtime for path in inputs)


def build_pdf(html_dir: Path, output: Path | None = None, force: bool = False) -> Path:
    from playwright.sync_api import sync_playwright

    output = output or html_dir / PDF_NAME
    config = book_config()
    docs = [doc for doc in toc_documents() if (html_dir / f"{doc}.html").is_file()]
    missing = set(toc_documents()) - set(docs)
    if missing:
        raise SystemExit(f"build_pdf: pages missing from {html_dir}: {sorted(missing)}")
    if not force and up_to_date(html_dir, output, docs):
        print(f"{output} is up to date")
        return output
    tmp = output.with_suffix(".pdf.tmp")
    with (
        chromium.serve(html_dir, {FONTS_PATH: MATHJAX_FONTS}) as base,
        sync_playwright() as playwright,
    ):
        browser = chromium.launch(playwright)
        # the printed column: A4 (210 mm) less the margins, at 96 px per inch
        page = browser.new_page(viewport={"width": COLUMN_PX, "height": 1200})
        page.emulate_media(media="print")
        # the articles go into the first page
        page.goto(base + docs[0] + ".html", wait_until="load")
        formulas = page.evaluate(
            ASSEMBLE_JS,
            {"docs": docs, "siteUrl": site_url(), "title": config.get("title", "")},
        )
        page.evaluate(TYPESET_JS, typeset_chtml(formulas))
        page.add_style_tag(content=PRINT_CSS)
        result = page.evaluate(FIT_MATH_JS)
        if result["untypeset"]:
            raise SystemExit(f"build_pdf: {result['untypeset']} formulas were not typeset")
        page.pdf(
            path=str(tmp),
            format="A4",
            print_background=True,
            margin={
                "top": "18mm",
                "bottom": "18mm",
                "left": f"{MARGIN_MM}mm",
                "right": f"{MARGIN_MM}mm",
            },
            display_header_footer=True,
            header_template="<span></span>",
            footer_template=FOOTER,
            # a tagged PDF: structure for screen readers, and Chromium builds the
            # outline (bookmarks: chapters, sections) from that structure
            outline=True,
            tagged=True,
        )
        browser.close()
    tmp.replace(output)
    return output


def main() -> None:
    args = [arg for arg in sys.argv[1:] if arg != "--force"]
    html_dir = Path(args[0]) if args else REPO_ROOT / "_build" / "html"
    start = time.perf_counter()
    output = build_pdf(html_dir.resolve(), force="--force" in sys.argv)
    size = output.stat().st_size / 1e6
    print(f"wrote {output} ({size:.1f} MB) in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
