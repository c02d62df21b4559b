"""One way to find the system Chromium and to serve it the site (tools/chromium.py)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools import chromium
from tools.config import REPO_ROOT


def fake_browser(folder: Path, name: str, works: bool) -> Path:
    """An executable NAME that answers --version, or fails like a snap shim."""
    path = folder / name
    path.write_text("#!/bin/sh\n" + ("echo 'Chromium 1.0'\n" if works else "exit 1\n"))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def only_fakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A PATH holding nothing but the fake browsers put in tmp_path."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CHROMIUM", raising=False)
    chromium.find.cache_clear()
    yield tmp_path
    chromium.find.cache_clear()


def test_a_name_that_does_not_start_is_skipped(only_fakes: Path) -> None:
    fake_browser(only_fakes, "chromium", works=False)
    chrome = fake_browser(only_fakes, "google-chrome", works=True)
    assert chromium.find() == str(chrome)


def test_chromium_variable_comes_first(only_fakes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_browser(only_fakes, "chromium", works=True)
    mine = fake_browser(only_fakes, "my-chrome", works=True)
    monkeypatch.setenv("CHROMIUM", str(mine))
    assert chromium.find() == str(mine)


def test_no_browser_says_what_was_tried(only_fakes: Path) -> None:
    fake_browser(only_fakes, "chromium", works=False)
    with pytest.raises(RuntimeError, match="google-chrome-stable"):
        chromium.find()


def test_the_command_prints_the_browser_or_fails(only_fakes: Path) -> None:
    def finder() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tools.chromium"],
            cwd=REPO_ROOT,
            env={**os.environ, "PATH": str(only_fakes)},
            capture_output=True,
            text=True,
        )

    chrome = fake_browser(only_fakes, "chromium-browser", works=True)
    found = finder()
    assert (found.returncode, found.stdout.strip()) == (0, str(chrome))
    chrome.unlink()
    missing = finder()
    assert missing.returncode == 1 and "no working Chromium" in missing.stderr


def test_the_shell_script_uses_the_same_finder() -> None:
    script = (REPO_ROOT / "tools" / "ensure_system_tools.sh").read_text()
    assert "python3 -m tools.chromium" in script
    assert not any(name in script for name in ("chromium-browser", "google-chrome"))


def test_serve_sends_the_site_and_the_aliased_folder(tmp_path: Path) -> None:
    site, fonts = tmp_path / "site", tmp_path / "fonts"
    site.mkdir()
    fonts.mkdir()
    (site / "index.html").write_text("<p>site</p>")
    (fonts / "a.woff").write_bytes(b"font")
    with chromium.serve(site, {"/_fonts/": fonts}) as base:
        with urllib.request.urlopen(base + "index.html") as response:
            assert response.read() == b"<p>site</p>"
            assert response.headers["Cache-Control"] == "no-store"
        with urllib.request.urlopen(base + "_fonts/a.woff?v=1") as response:
            assert response.read() == b"font"
