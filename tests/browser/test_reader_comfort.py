"""Reading comfort in the browser: phone width, dark mode, permalinks (book/_static/reader.css).

The built pages are loaded in the system's Chromium (Playwright), served over
a local port (their maths is typeset when the book is built).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tools.config import toc_documents

PHONE = {"width": 390, "height": 844}


def open_page(browser, base_url: str, doc: str, **context: Any):
    page = browser.new_page(**context)
    page.goto(f"{base_url}{doc}.html", wait_until="load")
    page.evaluate("async () => { await document.fonts.ready; }")
    return page


CHAPTERS = toc_documents()[1:]


@pytest.mark.parametrize("doc", CHAPTERS)
def test_wide_equations_scroll_inside_their_box_on_a_phone(browser, base_url, doc: str) -> None:
    page = open_page(browser, base_url, doc, viewport=PHONE)
    try:
        report = page.evaluate(
            """() => Array.from(document.querySelectorAll('article div.math')).map(box => {
                 const r = box.getBoundingClientRect();
                 const style = getComputedStyle(box);
                 return {id: box.id, right: r.right, scroll: box.scrollWidth,
                         client: box.clientWidth, overflow: style.overflowX};
               })"""
        )
        width = page.evaluate("() => document.documentElement.clientWidth")
    finally:
        page.close()
    problems = []
    for box in report:
        if box["right"] > width + 1:
            problems.append(
                f"{box['id'] or 'equation'} sticks out of the page ({box['right']:.0f} > {width})"
            )
        if box["scroll"] > box["client"] + 1 and box["overflow"] not in ("auto", "scroll"):
            problems.append(f"{box['id'] or 'equation'} is wider than its box but does not scroll")
    assert not problems, f"{doc} at {PHONE['width']} px:\n  " + "\n  ".join(problems)


def contrast(foreground: str, background: str) -> float:
    def luminance(rgb: str) -> float:
        values = [float(v) for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
        linear = [
            (v / 255) / 12.92 if v / 255 <= 0.03928 else ((v / 255 + 0.055) / 1.055) ** 2.4
            for v in values
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


EFFECTIVE_COLOURS = """
(selector) => {
  const parse = c => {
    const v = c.match(/[\\d.]+/g).map(Number);
    return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1];
  };
  return Array.from(document.querySelectorAll(selector)).slice(0, 20).map(el => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      layers.push(parse(getComputedStyle(node).backgroundColor));
    }
    let rgb = [255, 255, 255];  // the canvas under everything
    for (const [r, g, b, a] of layers.reverse()) {
      rgb = [r * a + rgb[0] * (1 - a), g * a + rgb[1] * (1 - a), b * a + rgb[2] * (1 - a)];
    }
    return {color: getComputedStyle(el).color,
            background: `rgb(${rgb.map(Math.round).join(', ')})`,
            text: (el.textContent || '').trim().slice(0, 40)};
  });
}
"""


@pytest.mark.parametrize("doc", CHAPTERS)
def test_dark_mode_keeps_boxes_code_and_plots_readable(browser, base_url, doc: str) -> None:
    page = open_page(
        browser, base_url, doc, viewport={"width": 1280, "height": 900}, color_scheme="dark"
    )
    try:
        page.evaluate("() => { document.documentElement.dataset.theme = 'dark'; }")
        page.wait_for_timeout(50)
        problems = []
        for selector in (
            "div.proof p",
            "div.proof p.admonition-title",
            "div.cell_input pre",
            "div.cell_output pre",
            "article p",
        ):
            for sample in page.evaluate(EFFECTIVE_COLOURS, selector):
                ratio = contrast(sample["color"], sample["background"])
                if ratio < 4.5:
                    problems.append(f"{selector} {sample['text']!r}: contrast {ratio:.1f}")
        backgrounds = page.evaluate(
            "() => Array.from(document.querySelectorAll('.cell_output img')).map("
            "img => getComputedStyle(img).backgroundColor)"
        )
        for background in backgrounds:
            if contrast("rgb(0, 0, 0)", background) < 7:
                problems.append(f"a plot on a dark background ({background}): dark text unreadable")
    finally:
        page.close()
    assert not problems, f"{doc} in dark mode:\n  " + "\n  ".join(problems[:15])


def test_box_permalinks_show_on_hover_and_keyboard_focus(browser, base_url, html_dir: Path) -> None:
    """Like section headings: hidden until the title is hovered; reachable by Tab."""
    doc = next(
        (
            d
            for d in CHAPTERS
            if 'class="proof definition admonition"' in (html_dir / f"{d}.html").read_text()
        ),
        None,
    )
    assert doc is not None, "found no definition box on any chapter page"
    page = open_page(browser, base_url, doc, viewport={"width": 1280, "height": 900})
    try:
        title = page.locator("div.proof.definition > p.admonition-title").first
        link = title.locator("a.headerlink")
        href = link.get_attribute("href")
        box_id = page.locator("div.proof.definition").first.get_attribute("id")
        assert href == f"#{box_id}", (href, box_id)
        opacity = "el => getComputedStyle(el).opacity"
        page.mouse.move(0, 0)
        page.wait_for_timeout(300)
        assert float(link.evaluate(opacity)) == 0, "the permalink shows without hovering"
        title.hover()
        page.wait_for_timeout(300)
        assert float(link.evaluate(opacity)) == 1, "hovering the title does not show the permalink"
        page.mouse.move(0, 0)
        link.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # a keyboard focus, so :focus-visible applies
        page.wait_for_timeout(300)
        assert link.evaluate("el => el === document.activeElement"), (
            "the permalink cannot take focus"
        )
        assert float(link.evaluate(opacity)) == 1, "a focused permalink stays invisible"
    finally:
        page.close()
