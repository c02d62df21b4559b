"""Citable results: readable, unique permalinks, and a manifest that keeps them published.

* Every labelled definition/theorem/... box, proof, equation, figure and
  exercise has a ``#`` permalink whose URL ends in its label; no page has a
  duplicated id (sphinx-proof writes ``proof-content``/``proof`` on every box;
  book/_ext/permalinks.py removes them).
* ``book/labels.json`` (``make labels``) lists every published label. A label of
  the manifest that is gone from the site, or moved to another page, fails:
  someone may have cited that URL. A changed number or title, or a new label
  missing from the manifest, fails too, asking for ``make labels`` so that the
  change to what students cite is explicit and reviewed.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tools import labels_manifest
from tools.config import REPO_ROOT, toc_documents

GENERIC_IDS = {"proof-content", "proof", "exercise-content", "solution-content"}


def soup_of(html_dir: Path, doc: str) -> BeautifulSoup:
    return BeautifulSoup((html_dir / f"{doc}.html").read_text(), "html.parser")


def permalink(tag, anchor: str):
    return tag.find("a", class_="headerlink", href=f"#{anchor}")


@pytest.mark.parametrize("doc", toc_documents())
def test_no_duplicate_or_generic_ids(html_dir: Path, doc: str) -> None:
    ids = [tag["id"] for tag in soup_of(html_dir, doc).find_all(id=True)]
    duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)
    assert not duplicates, f"{doc}: duplicated ids {duplicates}"
    assert not GENERIC_IDS & set(ids), f"{doc}: generic ids {sorted(GENERIC_IDS & set(ids))}"


@pytest.mark.parametrize("doc", toc_documents())
def test_every_result_has_a_permalink_ending_in_its_label(html_dir: Path, doc: str) -> None:
    soup = soup_of(html_dir, doc)
    article = soup.find("article")
    problems = []
    for box in article.select("div.proof"):
        classes = box.get("class", [])
        anchor = box.get("id")
        if "reader-proof" in classes:
            if not anchor or not anchor.startswith("proof-"):
                problems.append(f"a proof without a (proof-NAME)= target: {box.get_text()[:80]!r}")
            elif not permalink(box, anchor):
                problems.append(f"proof {anchor} has no permalink")
            continue
        title = box.find("p", class_="admonition-title")
        if anchor and labels_manifest._is_label(anchor):
            if not permalink(title, anchor):
                problems.append(f"{anchor} has no permalink on its title")
        elif title is not None and title.find("span", class_="caption-number"):
            problems.append(f"unlabelled box {title.get_text(' ', strip=True)!r}: add :label:")
    for math in article.select("div.math[id^=equation-]"):
        eqno = math.find("span", class_="eqno")
        if not (eqno and permalink(eqno, math["id"])):
            problems.append(f"equation {math['id']} has no permalink")
    for figure in article.select("figure[id]"):
        if not permalink(figure, figure["id"]):
            problems.append(f"figure {figure['id']} has no permalink")
    for box in article.select("div.exercise[id], div.solution[id]"):
        if labels_manifest._is_label(box["id"]) and not permalink(box, box["id"]):
            problems.append(f"{box['id']} has no permalink")
    assert not problems, f"{doc}:\n" + "\n".join(problems)


def test_permalinks_have_accessible_names(html_dir: Path) -> None:
    for doc in toc_documents():
        for link in soup_of(html_dir, doc).select(
            "div.proof a.headerlink, div.exercise a.headerlink"
        ):
            assert link.get("aria-label") or link.get("title"), (doc, str(link))


@pytest.fixture(scope="module")
def built_labels(html_dir: Path) -> dict[str, dict]:
    return labels_manifest.collect(html_dir)


@pytest.fixture(scope="module")
def manifest() -> dict[str, dict]:
    path = labels_manifest.MANIFEST
    assert path.is_file(), f"{path.relative_to(REPO_ROOT)} missing: run `make labels` and commit it"
    return labels_manifest.load(path)


def test_manifest_lists_the_books_labels(manifest: dict[str, dict]) -> None:
    assert manifest, "the manifest is empty"
    for label, entry in manifest.items():
        assert entry["url"].endswith(f"#{entry['anchor']}")
        assert entry["anchor"] in (label, f"equation-{label}"), (label, entry["anchor"])


def test_no_published_label_disappears(
    manifest: dict[str, dict], built_labels: dict[str, dict]
) -> None:
    differences = labels_manifest.compare(manifest, built_labels)
    broken = differences["removed"] + differences["moved"]
    assert not broken, (
        "published labels are gone from the site or moved to another page; their permalinks "
        "may be cited in students' work:\n  " + "\n  ".join(broken) + "\nRestore them, or, if "
        "the change is deliberate, update book/labels.json with `make labels` (and say so in "
        "the change log)."
    )


def test_manifest_is_up_to_date(manifest: dict[str, dict], built_labels: dict[str, dict]) -> None:
    differences = labels_manifest.compare(manifest, built_labels)
    stale = [f"{kind}: {item}" for kind in ("changed", "added") for item in differences[kind]]
    assert not stale, (
        "book/labels.json does not match the site (numbers, titles or new labels):\n  "
        + "\n  ".join(stale)
        + "\nRun `make labels` and commit book/labels.json."
    )
