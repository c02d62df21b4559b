"""Every page of the built site, in a real browser (Playwright + system Chromium).

For each HTML page of the build, at desktop (1280 px) and phone (390 px)
widths, in light and dark mode:

* no console error, failed request, response with an error status, or request
  to any host other than the local server;
* every formula is typeset (at build time: the page runs no MathJax), with no
  MathJax error; no raw ``$$``, ``\\(`` or ``\\[`` is left;
* every image and SVG has a non-zero size; every FontAwesome icon is drawn;
* no serious or critical axe-core violation;
* a full-page screenshot goes to ``_build/screenshots/``.

Once per page: every internal link and ``#anchor`` resolves to an element that
exists in the target page's DOM. Once for the site: every page is reachable
by following links from the index.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tools import site_visit
from tools.config import REPO_ROOT

PAGES = site_visit.html_pages() or ["index.html"]  # no build: the fixtures say so
VARIANTS = {
    "desktop-light": (1280, "light"),
    "desktop-dark": (1280, "dark"),
    "phone-light": (390, "light"),
    "phone-dark": (390, "dark"),
}
# Pages that no link in the site reaches, each with the reason it is fine.
# They are still visited and checked like every other page.
UNLINKED = {
    "genindex.html": "Sphinx's general index: themes link it only from <head> (rel=index); "
    "the book has no index entries for readers to browse",
    "prf-prf.html": "sphinx-proof's index of every definition and theorem, a Sphinx domain "
    "index that the theme does not link; the chapters and notation page link the boxes themselves",
}
AXE_FAIL_IMPACTS = {"serious", "critical"}

TEXT_WITHOUT_CODE_JS = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('pre, code, kbd, samp, script, style, textarea, mjx-container, '
                        + '.highlight, .cell_input, .cell_output .output.text_plain')
      .forEach((el) => el.remove());
  return body.textContent;
}"""

# The maths is typeset when the book is built (book/_ext/prerender_maths.py
# stops on a TeX error); this checks what reached the page: no MathJax error
# box, no undefined macro shown as red text.
MATH_ERRORS_JS = """() => [
  ...[...document.querySelectorAll('mjx-merror, [data-mml-node="merror"], math merror')]
      .map((el) => 'merror: ' + (el.getAttribute('data-mjx-error') || el.textContent)),
  ...[...document.querySelectorAll('math mtext[mathcolor="red"]')]
      .filter((el) => el.textContent.startsWith('\\\\'))
      .map((el) => 'undefined macro ' + el.textContent),
]"""

TARGET_TOP_JS = """(id) => {
  const el = document.getElementById(id);
  return el ? el.getBoundingClientRect().top : null;
}"""

IMAGES_JS = """async () => {
  const images = [...document.images];
  images.forEach((img) => { img.loading = 'eager'; });
  await Promise.all(images.map((img) => img.decode().catch(() => null)));
  const bad = images
      .filter((img) => !(img.complete && img.naturalWidth > 0 && img.naturalHeight > 0))
      .map((img) => 'img ' + (img.currentSrc || img.src || img.outerHTML.slice(0, 120)));
  for (const svg of document.querySelectorAll('svg, object, embed')) {
    if (svg.parentElement && svg.parentElement.closest('svg')) continue;  // nested
    if (!svg.checkVisibility({visibilityProperty: true})) continue;     // hidden on purpose
    const box = svg.getBoundingClientRect();
    if (!(box.width > 0 && box.height > 0)) {
      bad.push(svg.tagName.toLowerCase() + ' ' + svg.outerHTML.slice(0, 120));
    }
  }
  return bad;
}"""

ICONS_JS = """() => [...document.querySelectorAll('[class*="fa-"]')]
  .filter((el) => /(^|\\s)(fa|fas|far|fab|fa-solid|fa-regular|fa-brands)(\\s|$)/.test(el.className))
  .filter((el) => el.checkVisibility())
  .filter((el) => {
    const before = getComputedStyle(el, '::before');
    const mask = before.maskImage || before.webkitMaskImage;
    return !mask || mask === 'none' || parseFloat(before.width) <= 0;
  })
  .map((el) => el.className)"""

AXE_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(' ') + (n.failureSummary
        ? ' -- ' + n.failureSummary.split('\\n').slice(1).join(' ').trim() : '')),
  }));
}"""

LINKS_JS = """() => [...document.querySelectorAll('a[href], link[href][rel~="prev"], '
                    + 'link[href][rel~="next"], link[href][rel~="index"], '
                    + 'link[href][rel~="search"]')]
  .map((el) => el.href)"""

IDS_JS = """() => [...document.querySelectorAll('[id], a[name]')]
  .map((el) => el.id || el.getAttribute('name'))"""


def page_slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", path.removesuffix(".html")).strip("-")


def axe_report(violations: list[dict]) -> list[str]:
    lines = []
    for violation in violations:
        if violation["impact"] not in AXE_FAIL_IMPACTS:
            continue
        lines.append(f"axe {violation['impact']} {violation['id']}: {violation['help']}")
        lines += [f"    at {node}" for node in violation["nodes"][:10]]
    return lines


def test_redirect_pages_are_valid_pages(html_dir):
    """A redirect (the site root) is a page too: language, title, a link to follow."""
    for path in site_visit.html_pages(html_dir):
        if target := site_visit.redirect_target(html_dir, path):
            soup = BeautifulSoup((html_dir / path).read_text(), "html.parser")
            assert soup.html and soup.html.get("lang"), f"{path}: no <html lang>"
            assert soup.title and soup.title.string.strip(), f"{path}: no <title>"
            assert soup.find("a", href=target), f"{path}: no link to {target} for readers"
            assert soup.find("link", rel="icon"), f"{path}: no favicon link"


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("path", PAGES)
def test_page_in_browser(browser, base_url, html_dir, screenshot_dir, path, variant):
    width, scheme = VARIANTS[variant]
    with site_visit.open_page(
        browser, base_url, path, width=width, color_scheme=scheme, site=html_dir
    ) as (page, visit):
        problems = visit.problems()

        theme = page.evaluate("() => document.documentElement.dataset.theme || null")
        if theme is not None and theme != scheme:
            problems.append(f"page shows the {theme} theme, the reader asked for {scheme}")

        problems += [f"maths error: {e}" for e in page.evaluate(MATH_ERRORS_JS)]
        text = page.evaluate(TEXT_WITHOUT_CODE_JS)
        for raw in ("$$", "\\(", "\\["):
            for match in re.finditer(re.escape(raw), text):
                context = text[max(0, match.start() - 40) : match.end() + 40].replace("\n", " ")
                problems.append(f"raw TeX {raw!r} left in the text: ...{context}...")

        problems += [f"image not shown: {i}" for i in page.evaluate(IMAGES_JS)]
        problems += [f"icon not drawn: {i}" for i in page.evaluate(ICONS_JS)]

        page.add_script_tag(path=str(site_visit.AXE_JS))
        problems += axe_report(page.evaluate(AXE_JS))

        page.screenshot(path=screenshot_dir / f"{page_slug(path)}--{variant}.png", full_page=True)
        # anything that went wrong while the checks ran (late requests, errors)
        problems += [p for p in visit.problems() if p not in problems]

    assert not problems, f"{path} ({variant}):\n" + "\n".join(problems)


class TargetCache:
    """Element ids of each page of the site, read from its DOM in the browser,
    and the HTTP status of other local files; each fetched once per session."""

    def __init__(self, page, base_url: str, html_dir: Path):
        self.page, self.base_url, self.html_dir = page, base_url, html_dir
        self.ids: dict[str, set[str] | None] = {}
        self.status: dict[str, int] = {}

    def page_ids(self, url: str) -> set[str] | None:
        if url not in self.ids:
            relative = url[len(self.base_url) :]
            if not (self.html_dir / urllib.parse.unquote(relative)).is_file():
                self.ids[url] = None
            else:
                self.page.goto(url, wait_until="load")
                self.ids[url] = set(self.page.evaluate(IDS_JS))
        return self.ids[url]

    def http_status(self, url: str) -> int:
        if url not in self.status:
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    self.status[url] = response.status
            except urllib.error.HTTPError as error:
                self.status[url] = error.code
        return self.status[url]


@pytest.fixture(scope="session")
def link_page(browser, base_url):
    """One tab for reading links and ids (the full checks are in test_page_in_browser)."""
    context = browser.new_context(service_workers="block")
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(base_url) else route.abort()
        ),
    )
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def targets(link_page, base_url, html_dir) -> TargetCache:
    return TargetCache(link_page, base_url, html_dir)


@pytest.mark.parametrize("path", PAGES)
def test_internal_links_and_anchors_resolve(link_page, base_url, html_dir, targets, path):
    problems = []
    if target := site_visit.redirect_target(html_dir, path):
        landing = urllib.parse.urljoin(base_url + path, target)
        assert targets.page_ids(landing.split("#")[0]) is not None, (
            f"{path} redirects to {landing}: no such page"
        )
        return
    link_page.goto(base_url + path, wait_until="load")
    here = link_page.url.split("#")[0]
    hrefs = link_page.evaluate(LINKS_JS)
    own_ids = set(link_page.evaluate(IDS_JS))
    for href in sorted(set(hrefs)):
        if not href.startswith(base_url):
            continue  # another site (or mailto:): not followed, never requested
        target, _, fragment = href.partition("#")
        target = target.split("?")[0]
        fragment = urllib.parse.unquote(fragment)
        if target.endswith("/"):
            target += "index.html"
        if target == here:
            if fragment and fragment not in own_ids:
                problems.append(f"#{fragment}: no element with this id on the page")
            continue
        if target.endswith(".html"):
            ids = targets.page_ids(target)
            if ids is None:
                problems.append(f"{href}: page does not exist")
            elif fragment and fragment not in ids:
                problems.append(f"{href}: no element with id {fragment!r} in that page")
        elif (status := targets.http_status(target)) != 200:
            problems.append(f"{href}: HTTP {status}")
    assert not problems, f"{path}: broken internal links\n" + "\n".join(problems)


def links_in(html_dir: Path, path: str) -> set[str]:
    """Site pages that PATH links to: <a href>, <form action>, meta refresh."""
    soup = BeautifulSoup((html_dir / path).read_text(), "html.parser")
    hrefs = [a.get("href") for a in soup.find_all("a")]
    hrefs += [form.get("action") for form in soup.find_all("form")]
    for meta in soup.find_all("meta", attrs={"http-equiv": re.compile("refresh", re.I)}):
        if match := re.search(r"url=(.+)", meta.get("content", ""), re.I):
            hrefs.append(match.group(1).strip("'\" "))
    found = set()
    for href in filter(None, hrefs):
        parts = urllib.parse.urlsplit(urllib.parse.urljoin("http://site.invalid/" + path, href))
        if parts.netloc != "site.invalid":
            continue
        target = urllib.parse.unquote(parts.path).lstrip("/")
        if target == "" or target.endswith("/"):
            target += "index.html"
        if target.endswith(".html") and (html_dir / target).is_file():
            found.add(target)
    return found


def test_every_page_is_reachable_from_the_index(html_dir):
    reached, queue = {"index.html"}, deque(["index.html"])
    while queue:
        for target in links_in(html_dir, queue.popleft()) - reached:
            reached.add(target)
            queue.append(target)
    pages = set(site_visit.html_pages(html_dir))
    unreachable = sorted(pages - reached - set(UNLINKED))
    stale = sorted(p for p in UNLINKED if p not in pages or p in reached)
    assert not unreachable, f"pages that no link reaches from index.html: {unreachable}"
    assert not stale, f"UNLINKED lists pages that are linked now or gone: {stale}"


def cited_anchors() -> list[tuple[str, str]]:
    """(page, anchor) of published labels far down the longest chapters, and near the top."""
    labels = json.loads((REPO_ROOT / "book" / "labels.json").read_text())["labels"].values()
    picked = []
    for page in ("book/probability.html", "book/vjp.html", "book/autograd.html"):
        on_page = [
            label for label in labels if label["page"] == page and label["type"] != "section"
        ]
        picked += [(page, on_page[i]["anchor"]) for i in (0, len(on_page) // 2, -1)]
    return picked


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("path, anchor", cited_anchors())
def test_a_permalink_opens_at_its_target(browser, base_url, html_dir, path, anchor, width):
    """A cited #label opens with the result on screen (at the top, unless the page ends
    first), and stays put when the reader scrolls back and forth."""
    with site_visit.open_page(
        browser, base_url, f"{path}#{anchor}", width=width, site=html_dir
    ) as (page, visit):
        page.wait_for_timeout(300)
        top = page.evaluate(TARGET_TOP_JS, anchor)
        up = page.evaluate(
            "() => { const dy = Math.min(2000, window.scrollY); "
            "window.scrollBy(0, -dy); return dy; }"
        )  # read what comes before...
        page.wait_for_timeout(300)
        page.evaluate("(dy) => window.scrollBy(0, dy)", up)  # ...and come back
        page.wait_for_timeout(300)
        back = page.evaluate(TARGET_TOP_JS, anchor)
        height = page.evaluate("() => window.innerHeight")
        at_end = page.evaluate(
            "() => window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 1"
        )
    assert top is not None, f"{path}: no element #{anchor}"
    assert 0 <= top < (height if at_end else height / 2), (
        f"{path}#{anchor} opens with its target at y={top:.0f} of {height}"
    )
    assert abs(back - top) < 2, f"{path}#{anchor}: the target moved from y={top:.0f} to {back:.0f}"


def test_search_from_a_chapter_finds_the_chapter(browser, base_url, html_dir):
    """A reader on one chapter presses Ctrl+K, searches, and gets a link to the
    chapter that holds the term (Sphinx's search runs on the search page only)."""
    with site_visit.open_page(browser, base_url, "book/vjp.html", site=html_dir) as (page, visit):
        page.keyboard.press("Control+k")
        field = page.locator("#pst-search-dialog input[type=search]")
        field.wait_for(state="visible", timeout=5000)
        field.fill("Bayes theorem")
        field.press("Enter")
        page.wait_for_url("**/search.html?q=*")
        results = page.locator("#search-results ul.search li a")
        results.first.wait_for(timeout=15000)
        hrefs = results.evaluate_all("links => links.map((a) => a.getAttribute('href'))")
        problems = visit.problems()
    assert any(h.split("#")[0] == "book/probability.html" for h in hrefs), (
        f"searching 'Bayes theorem' does not find the probability chapter: {hrefs}"
    )
    assert not problems, "\n".join(problems)
