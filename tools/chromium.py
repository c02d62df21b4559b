"""The system Chromium: find it, launch it through Playwright, serve it the site.

Playwright drives the Chromium that the system provides (Debian's chromium,
or Google Chrome on GitHub's ubuntu-latest); it never downloads a browser.
Set CHROMIUM=/path/to/binary to choose one.

    python3 -m tools.chromium     # print the path of a working Chromium, or fail

This module needs only the standard library until ``launch`` is called, so
tools/ensure_system_tools.sh runs it with the system's python3 before any
package is installed.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

# tried in this order, after $CHROMIUM
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@functools.cache
def find() -> str:
    """Path of a Chromium or Chrome binary that starts (``--version`` works).

    Ubuntu's apt ``chromium`` is a snap shim, so a name on PATH is not enough.
    """
    candidates = [os.environ["CHROMIUM"]] if os.environ.get("CHROMIUM") else []
    candidates += [path for name in NAMES if (path := shutil.which(name))]
    for candidate in candidates:
        try:
            subprocess.run([candidate, "--version"], check=True, capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            continue
        return candidate
    raise RuntimeError(
        f"no working Chromium found (tried $CHROMIUM, {', '.join(NAMES)}); "
        "install one or set CHROMIUM=/path/to/chrome (tools/ensure_system_tools.sh)"
    )


def launch(playwright: Playwright) -> Browser:
    """Launch the system Chromium headless through Playwright."""
    return playwright.chromium.launch(executable_path=find(), headless=True, args=LAUNCH_ARGS)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    aliases: Mapping[str, Path] = {}

    def log_message(self, format: str, *args: Any) -> None:  # the stdlib's signature
        pass

    def end_headers(self) -> None:
        # every load is a cold load, as a first-time reader sees it
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def translate_path(self, path: str) -> str:
        for prefix, directory in self.aliases.items():
            if path.startswith(prefix):
                return str(directory / Path(path.split("?")[0]).name)
        return super().translate_path(path)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # the browser closing a connection it no longer needs is not an error
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(directory: Path, aliases: Mapping[str, Path] | None = None) -> Iterator[str]:
    """Serve DIRECTORY on 127.0.0.1 at a free port; yield the base URL.

    ALIASES maps a URL prefix to another directory, whose files are served
    under it by name (the PDF's MathJax fonts).
    """
    handler = type("Handler", (_QuietHandler,), {"aliases": dict(aliases or {})})
    server = _Server(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def main() -> int:
    try:
        print(find())
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
