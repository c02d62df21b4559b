"""The manifest of published labels: every citable anchor of the built site.

Students cite results by permalink (``.../book/probability.html#def-probability-measure``)
and by number ("Definition 2.1"). ``book/labels.json`` lists every label the
site publishes, with its page, type, number and title, read from the built
HTML (so it is exactly what readers see):

* definitions, theorems, lemmas, examples, algorithms, ... (sphinx-proof),
* proofs (anchor from the ``(proof-NAME)=`` target; "of" names the result),
* labelled equations (anchor ``equation-LABEL``), figures, exercises and
  solutions with a label, and explicit targets such as ``(ch-probability)=``.

Usage:
    make labels                                          # build, then rewrite book/labels.json
    python -m tools.labels_manifest --write [HTML_DIR]  # rewrite from an existing build
    python -m tools.labels_manifest --check [HTML_DIR]  # compare, exit 1 on a difference

tests/site/test_labels.py fails when a label of the manifest is gone
from the site or has moved to another page (that breaks a URL someone may have
cited), and when a number or title changed or a new label is not yet listed
(the manifest is then out of date): accepting such a change takes an explicit,
reviewed update of book/labels.json with ``make labels``.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path

from bs4 import BeautifulSoup, Tag

from tools.config import REPO_ROOT, site_url, toc_documents

MANIFEST = REPO_ROOT / "book" / "labels.json"
LABEL = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+|[a-z][a-z0-9]+")
AUTO_ID = re.compile(r"(id\d+|[a-z]+-\d+)")  # docutils/sphinx-proof ids of unlabelled things
SKIP_CLASSES = {"headerlink", "caption-number", "section-number"}
NUMBER = re.compile(r"(\d+(?:\.\d+)*)")


def _text(tag: Tag | None, skip: set[str] = SKIP_CLASSES) -> str:
    """TAG's text; a formula in it as its TeX source, e.g. \\(L^p\\)."""
    if tag is None:
        return ""
    tag = copy.copy(tag)
    for math in tag.select(".math"):
        # the build typesets the maths and keeps the TeX as a MathML annotation
        source = math.find("annotation", attrs={"encoding": "application/x-tex"})
        if source is not None:
            math.replace_with(f"\\({source.get_text()}\\)")
    parts = []
    for piece in tag.find_all(string=True):
        parent = piece.parent
        if parent is not None and skip & set(parent.get("class") or []):
            continue
        parts.append(str(piece))
    return " ".join("".join(parts).split())


def _number(tag: Tag | None) -> str:
    match = NUMBER.search(tag.get_text()) if tag is not None else None
    return match.group(1) if match else ""


def _is_label(anchor: str) -> bool:
    return bool(LABEL.fullmatch(anchor)) and not AUTO_ID.fullmatch(anchor)


def page_labels(html: str, page: str) -> list[dict]:
    """The citable labels of one built page, in document order."""
    soup = BeautifulSoup(html, "html.parser")
    article = soup.find("article") or soup
    found: list[dict] = []

    def add(
        label: str, anchor: str, kind: str, number: str = "", title: str = "", **extra: str
    ) -> None:
        entry = {
            "label": label,
            "page": page,
            "anchor": anchor,
            "type": kind,
            "number": number,
            "title": title,
        }
        entry.update({k: v for k, v in extra.items() if v})
        found.append(entry)

    for tag in article.find_all(id=True):
        anchor = str(tag["id"])
        classes = tag.get_attribute_list("class")
        if tag.name == "div" and "proof" in classes:
            if "reader-proof" in classes:
                if not _is_label(anchor):
                    continue
                result = tag.find_previous_sibling("div", class_="proof")
                while result is not None and "reader-proof" in result.get_attribute_list("class"):
                    result = result.find_previous_sibling("div", class_="proof")
                of = str(result.get("id", "")) if result is not None else ""
                heading = result.find("p", class_="admonition-title") if result else None
                number = _number(heading.find("span", class_="caption-number")) if heading else ""
                title = _text(heading, skip={"headerlink"}) if heading else ""
                add(
                    anchor,
                    anchor,
                    "proof",
                    number,
                    f"Proof of {title}" if title else "Proof",
                    of=of,
                )
                continue
            if not _is_label(anchor):
                continue
            kind = next((c for c in classes if c not in ("proof", "admonition")), "statement")
            title_tag = tag.find("p", class_="admonition-title")
            title = _text(title_tag).strip()
            if title.startswith("(") and title.endswith(")"):
                title = title[1:-1]
            add(
                anchor,
                anchor,
                kind,
                _number(title_tag.find("span", class_="caption-number") if title_tag else None),
                title,
            )
        elif tag.name == "div" and "math" in classes and anchor.startswith("equation-"):
            add(
                anchor[len("equation-") :],
                anchor,
                "equation",
                _number(tag.find("span", class_="eqno")),
            )
        elif tag.name == "figure" and _is_label(anchor):
            caption = tag.find("figcaption")
            add(
                anchor,
                anchor,
                "figure",
                _number(caption.find("span", class_="caption-number") if caption else None),
                _text(caption.find("span", class_="caption-text") if caption else None),
            )
        elif (
            tag.name == "div"
            and ("exercise" in classes or "solution" in classes)
            and _is_label(anchor)
        ):
            kind = "exercise" if "exercise" in classes else "solution"
            title_tag = tag.find("p", class_="admonition-title")
            title = _text(title_tag)
            if title.startswith("(") and title.endswith(")"):
                title = title[1:-1]
            add(anchor, anchor, kind, _number(title_tag), title)
        elif tag.name == "span" and not tag.contents and _is_label(anchor):
            # an explicit target, e.g. (ch-probability)= above a heading
            section = (
                tag.parent if tag.parent is not None and tag.parent.name == "section" else None
            )
            heading = tag.find_next_sibling(re.compile(r"h[1-6]")) if section is not None else None
            if heading is not None:
                add(
                    anchor,
                    anchor,
                    "section",
                    _number(heading.find("span", class_="section-number")),
                    _text(heading),
                )
            else:
                add(anchor, anchor, "target")
    return found


def collect(html_dir: Path) -> dict[str, dict]:
    """Every label of the built site, in table-of-contents and page order."""
    labels: dict[str, dict] = {}
    base = site_url()
    for doc in toc_documents():
        page = f"{doc}.html"
        path = html_dir / page
        if not path.is_file():
            continue
        for entry in page_labels(path.read_text(encoding="utf-8"), page):
            label = entry.pop("label")
            entry["url"] = f"{base}{page}#{entry['anchor']}"
            if label in labels:
                raise SystemExit(
                    f"label {label!r} published twice: {labels[label]['page']} and {page}"
                )
            labels[label] = entry
    return labels


def load(path: Path = MANIFEST) -> dict[str, dict]:
    return json.loads(path.read_text(encoding="utf-8"))["labels"] if path.is_file() else {}


def dump(labels: dict[str, dict], path: Path = MANIFEST) -> None:
    document = {
        "about": "Every label the site publishes (generated by tools/labels_manifest.py "
        "from the build; update with `make labels`). Published labels must not disappear: "
        "students cite them.",
        "site": site_url(),
        "labels": labels,
    }
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _title(entry: dict) -> str:
    """The part of the title a citation relies on (a figure is cited by number;
    its caption may be reworded without a manifest update)."""
    return "" if entry["type"] == "figure" else entry["title"]


def compare(manifest: dict[str, dict], built: dict[str, dict]) -> dict[str, list[str]]:
    """Differences between the committed manifest and the built site."""
    removed, moved, changed = [], [], []
    for label, old in manifest.items():
        new = built.get(label)
        if new is None:
            removed.append(
                f"{label} ({old['type']} {old['number']} {old['title']!r}, {old['url']})"
            )
        elif (new["page"], new["anchor"]) != (old["page"], old["anchor"]):
            moved.append(f"{label}: {old['page']}#{old['anchor']} -> {new['page']}#{new['anchor']}")
        elif (new["type"], new["number"], _title(new)) != (old["type"], old["number"], _title(old)):
            changed.append(
                f"{label}: {old['type']} {old['number']} {old['title']!r} -> "
                f"{new['type']} {new['number']} {new['title']!r}"
            )
    added = [
        f"{label} ({new['type']} {new['number']}, {new['page']})"
        for label, new in built.items()
        if label not in manifest
    ]
    return {"removed": removed, "moved": moved, "changed": changed, "added": added}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help="rewrite book/labels.json")
    group.add_argument("--check", action="store_true", help="compare, exit 1 on a difference")
    parser.add_argument("html_dir", nargs="?", type=Path, default=REPO_ROOT / "_build" / "html")
    args = parser.parse_args()
    built = collect(args.html_dir)
    differences = compare(load(), built)
    for kind, items in differences.items():
        for item in items:
            print(f"{kind}: {item}")
    if args.write:
        dump(built)
        print(f"wrote {MANIFEST.relative_to(REPO_ROOT)}: {len(built)} labels")
        return 0
    return 1 if any(differences.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
