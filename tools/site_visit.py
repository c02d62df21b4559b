"""Load one page of the built site in Chromium and record what happened.

``open_page`` opens a page in a fresh browser context (nothing cached) and
notes console errors, failed requests, error statuses, requests to other
hosts, every resource with the bytes a reader downloads for it (gzip as
GitHub Pages sends text) and the time until all its maths is rendered.
The browser checks (tests/browser) and the site figures
(tools/site_figures.py) both use it.
"""

from __future__ import annotations

import contextlib
import gzip
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Request, Response, Route
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tools.config import REPO_ROOT, html_dir

AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"


def html_pages(site: Path | None = None) -> list[str]:
    """Every HTML page of the build, as paths relative to the site root."""
    site = site or html_dir()
    return sorted(
        path.relative_to(site).as_posix()
        for path in site.rglob("*.html")
        if not path.relative_to(site).parts[0].startswith(("_static", "_sources", "_images"))
    )


# content types that GitHub Pages sends gzip-compressed; the others (images,
# woff2 fonts) are compressed already and go as they are
COMPRESSED_TYPES = (
    "text/",
    "application/javascript",
    "application/json",
    "image/svg+xml",
    "application/xml",
    "application/x-javascript",
)


def transfer_size(body: bytes, content_type: str) -> int:
    """Bytes a reader downloads for BODY: gzip level 6 for text types, else as is."""
    if content_type.split(";")[0].strip().lower().startswith(COMPRESSED_TYPES):
        return len(gzip.compress(body, compresslevel=6, mtime=0))
    return len(body)


# Runs in every page before its own scripts. The maths is typeset when the book
# is built (book/_ext/prerender_maths.py), so "all maths rendered" is: the page
# has been parsed (DOMContentLoaded: every formula is in the DOM), laid out
# (forced here, so the layout of the formulas counts) and the fonts it uses
# have loaded. Noted in ms since navigation started, with the number of
# formulas (elements of class "math") and of those still without typeset
# output or with raw TeX in their text.
MATHS_TIMER_JS = """document.addEventListener('DOMContentLoaded', async () => {
  document.body.getBoundingClientRect();
  await document.fonts.ready;
  const maths = [...document.querySelectorAll('.math')];
  const unrendered = maths.filter((el) => !el.querySelector(':scope > mjx-container')
      || /\\\\[(\\[]/.test([...el.childNodes].filter((n) => n.nodeType === 3)
                                       .map((n) => n.textContent).join('')));
  window.__maths = {done: performance.now(), count: maths.length,
                    unrendered: unrendered.map((el) => el.textContent.slice(0, 80))};
});"""

MATHS_WAIT_JS = """async () => {
  const deadline = performance.now() + 20000;
  while (window.__maths === undefined && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return window.__maths ?? null;
}"""


@dataclass
class Visit:
    """What happened while one page loaded."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    error_responses: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    # (url, content type, bytes as sent by a gzip-ing host)
    resources: list[tuple[str, str, int]] = field(default_factory=list)
    maths_count: int = 0
    # ms from navigation until all maths rendered (MATHS_TIMER_JS); None: never
    maths_done_ms: float | None = None
    unrendered_maths: list[str] = field(default_factory=list)

    @property
    def transfer_bytes(self) -> int:
        return sum(size for _, _, size in self.resources)

    def problems(self) -> list[str]:
        found = [f"console error: {m}" for m in self.console_errors]
        found += [f"failed request: {m}" for m in self.failed_requests]
        found += [f"error response: {m}" for m in self.error_responses]
        found += [f"request to another host: {m}" for m in self.foreign_requests]
        if self.maths_done_ms is None:
            found.append("the page never finished loading (no DOMContentLoaded and fonts)")
        found += [f"formula not typeset: {text!r}" for text in self.unrendered_maths]
        return found


def local_file(site: Path, base_url: str, url: str) -> Path | None:
    """The file under SITE that the local server sends for URL."""
    if not url.startswith(base_url):
        return None
    relative = urllib.parse.unquote(urllib.parse.urlsplit(url).path)[1:]
    path = site / relative
    if path.is_dir():
        path = path / "index.html"
    return path if path.is_file() else None


META_REFRESH = re.compile(
    r"""<meta\s+http-equiv=["']?refresh["']?\s+content=["']\s*\d+\s*;\s*url=([^"']+)["']""", re.I
)


def redirect_target(site: Path, path: str) -> str | None:
    """Where PATH sends the reader with <meta http-equiv="Refresh">, if it does."""
    file = site / path
    match = META_REFRESH.search(file.read_text(errors="replace")) if file.is_file() else None
    return match.group(1).strip() if match else None


@contextlib.contextmanager
def open_page(
    browser: Browser,
    base_url: str,
    path: str,
    *,
    site: Path,
    width: int = 1280,
    height: int = 900,
    color_scheme: Any = "light",
) -> Iterator[tuple[Page, Visit]]:
    """Open PATH of SITE (served at BASE_URL) in a fresh context (no cache, no
    cookies) and wait until it has loaded, its maths is rendered and the
    network is idle. Yield (page, Visit)."""
    context = browser.new_context(
        viewport={"width": width, "height": height},
        color_scheme=color_scheme,
        device_scale_factor=1,
        service_workers="block",
    )
    url = base_url + path
    visit = Visit(url)
    host = urllib.parse.urlsplit(base_url).netloc

    def route(route: Route) -> None:
        request_url = route.request.url
        if urllib.parse.urlsplit(request_url).netloc != host:
            visit.foreign_requests.append(request_url)
            route.abort()
        else:
            route.continue_()

    def on_response(response: Response) -> None:
        if response.status >= 400:
            visit.error_responses.append(f"{response.status} {response.url}")
        file = local_file(site, base_url, response.url)
        if file is not None:
            content_type = response.headers.get("content-type", "")
            visit.resources.append(
                (response.url, content_type, transfer_size(file.read_bytes(), content_type))
            )

    def on_console(message: Any) -> None:
        if message.type == "error":
            location = message.location or {}
            visit.console_errors.append(f"{message.text} ({location.get('url', '')})")

    context.route("**/*", route)
    context.add_init_script(MATHS_TIMER_JS)
    page = context.new_page()
    page.on("console", on_console)
    page.on("pageerror", lambda error: visit.console_errors.append(f"uncaught: {error}"))
    redirects = redirect_target(site, path) is not None

    def on_request_failed(request: Request) -> None:
        # a redirect page is left at once, so the browser cancels what it was still
        # fetching for it (its favicon): not a failure of the site
        if (
            redirects
            and request.failure == "net::ERR_ABORTED"
            and request.headers.get("referer", "").split("#")[0] == url
        ):
            return
        visit.failed_requests.append(f"{request.url} ({request.failure})")

    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    try:
        page.goto(url, wait_until="load", timeout=60000)
        if redirects:
            # a redirect page: follow it, and check the page it lands on
            page.wait_for_url(lambda current: current.split("#")[0] != url, timeout=30000)
            page.wait_for_load_state("load")
        if maths := page.evaluate(MATHS_WAIT_JS):
            visit.maths_count = maths["count"]
            visit.maths_done_ms = maths["done"]
            visit.unrendered_maths = maths["unrendered"]
        # a page that keeps polling never idles: it is still checked
        with contextlib.suppress(PlaywrightTimeoutError):
            page.wait_for_load_state("networkidle", timeout=15000)
        yield page, visit
    finally:
        context.close()
