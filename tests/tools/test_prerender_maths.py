"""The build-time maths renderer (book/_ext/prerender_maths.cjs) draws what the TeX says.

MathJax's fonts build some characters from others: a double prime from two primes, a
brace from its pieces. When the SVG output read the CHTML font's data for these (both
fonts loaded in one process), it drew the CSS escape text instead: f'' came out as
"f\\2032\\2032". These tests render such formulas and read the glyphs back.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tools.config import REPO_ROOT

RENDERER = REPO_ROOT / "book" / "_ext" / "prerender_maths.cjs"
BACKSLASH = "5C"


def render(*formulas: str, output: str = "svg") -> dict:
    request = {
        "output": output,
        "macros": {},
        "fontURL": "fonts",
        "pages": [[{"tex": tex, "display": False} for tex in formulas]],
    }
    result = subprocess.run(
        ["node", str(RENDERER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)["pages"][0]


def drawn_glyphs(svg_html: str) -> list[str]:
    """The characters (hex code points) a formula draws, in order."""
    return re.findall(r'<use data-c="([0-9A-F]+)"', svg_html)


@pytest.mark.parametrize(
    "tex, parts",
    [
        ("f''(x)", ["2032", "2032"]),
        ("f'''(x)", ["2032", "2032", "2032"]),
        (r"\underbrace{a+b}_{c}", []),
        (r"\overbrace{a+b}^{c}", []),
    ],
)
def test_composite_characters_are_drawn_from_their_parts(tex: str, parts: list[str]) -> None:
    page = render(tex)
    glyphs = drawn_glyphs(page["maths"][0])
    assert BACKSLASH not in glyphs, (
        f"{tex!r} draws a backslash: a CSS escape drawn as text {glyphs}"
    )
    text = "".join(f"<{g}>" for g in glyphs)
    assert "".join(f"<{p}>" for p in parts) in text, f"{tex!r}: {glyphs}"
    used = set(re.findall(r'<use [^>]*href="#([^"]+)"', page["maths"][0]))
    defined = set(re.findall(r'<path [^>]*id="([^"]+)"', page["glyphs"]))
    assert used and used <= defined, f"{tex!r} uses glyphs with no definition: {used - defined}"


def test_a_backslash_is_drawn_when_the_tex_asks_for_one() -> None:
    """The check above can fail: a backslash in text is drawn as the glyph it looks for."""
    assert BACKSLASH in drawn_glyphs(render(r"\text{a\\b}")["maths"][0])
