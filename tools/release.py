"""Editions: prepare one, check its tag, build its assets.

An edition is a version of vjpgrad and the book that uses it, tagged vX.Y.Z.
The version is written once, in code/vjpgrad/__init__.py.

    python -m tools.release prepare [--date YYYY-MM-DD]
        make the current version an edition: list it in releases.json with the
        hash of the package's sources, name it in CITATION.cff (version, date)
        and on the how-to-cite page, and point the notebooks' install line at
        it. Commit the result, tag it vX.Y.Z and push both (README, "Releases").
    python -m tools.release check-tag vX.Y.Z
        exit 1 unless the tag names the edition prepared in the repository (the
        release workflow runs it first).
    python -m tools.release assets OUT [HTML_DIR]
        the release assets, from a built site (`make release` builds it first):
        OUT/dist/ (the sdist and the wheel, twine-checked), OUT/book.pdf, and
        two zips: the site, which opens from disk (index.html), and the
        notebooks that the pages offer (Colab's, with outputs).
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

import yaml

from tools import notebooks, package
from tools.config import REPO_ROOT, html_dir, repository

CITATION = "CITATION.cff"
HOW_TO_CITE = "book/how-to-cite.md"
# the lines that name the edition, in CITATION.cff and on the how-to-cite page
CFF_LINES = {
    "version": re.compile(r'^version: ".*"$', re.M),
    "date": re.compile(r'^date-released: ".*"$', re.M),
    "year": re.compile(r"^(  year: )\d{4}$", re.M),
}
BIBTEX_LINES = {
    "version": re.compile(r"^(  version   = \{).*(\},)$", re.M),
    "date": re.compile(r"^(  date      = \{).*(\},)$", re.M),
    "year": re.compile(r"^(  year      = \{)\d{4}(\},)$", re.M),
}


def citation(root: Path = REPO_ROOT) -> dict[str, str]:
    """The edition CITATION.cff names: version and date-released."""
    cff = yaml.safe_load((root / CITATION).read_text())
    return {"version": str(cff.get("version", "")), "date": str(cff.get("date-released", ""))}


def _replace(text: str, pattern: re.Pattern[str], line: str, where: str) -> str:
    new, count = pattern.subn(line, text)
    if count == 0:
        raise ValueError(f"{where}: no line matching {pattern.pattern}")
    return new


def prepare(date: str, root: Path = REPO_ROOT) -> str:
    """Make the package's current version an edition released on DATE."""
    version, sources = package.version(root), package.source_hash(root)
    document = json.loads((root / package.RELEASES).read_text())
    for release in document["releases"]:
        if release["version"] == version and release["sources_sha256"] != sources:
            raise ValueError(f"{version} was released with other code: raise the version")
    document["releases"] = [r for r in document["releases"] if r["version"] != version]
    document["releases"].append({"version": version, "date": date, "sources_sha256": sources})
    (root / package.RELEASES).write_text(json.dumps(document, indent=1) + "\n")
    year = date[:4]
    cff = (root / CITATION).read_text()
    cff = _replace(cff, CFF_LINES["version"], f'version: "{version}"', CITATION)
    cff = _replace(cff, CFF_LINES["date"], f'date-released: "{date}"', CITATION)
    cff = _replace(cff, CFF_LINES["year"], rf"\g<1>{year}", CITATION)
    (root / CITATION).write_text(cff)
    page = (root / HOW_TO_CITE).read_text()
    for key, value in (("version", version), ("date", date), ("year", year)):
        page = _replace(page, BIBTEX_LINES[key], rf"\g<1>{value}\g<2>", HOW_TO_CITE)
    (root / HOW_TO_CITE).write_text(page)
    return version


def check_tag(tag: str, root: Path = REPO_ROOT) -> list[str]:
    """Why TAG cannot be released ([] when it can)."""
    version = package.version(root)
    problems = []
    if tag != f"v{version}":
        problems.append(f"the tag {tag} does not name the package's version {version}")
    named = citation(root)
    if named["version"] != version:
        problems.append(f"CITATION.cff names version {named['version']}, not {version}")
    if package.released_version(root) != version:
        problems.append(
            f"releases.json does not list {version} with the package's present sources: "
            "run `python -m tools.release prepare` and commit"
        )
    listed = {r["version"]: r["date"] for r in package.releases(root)}
    if version in listed and named["date"] != listed[version]:
        problems.append(
            f"CITATION.cff's date {named['date']} is not the release's {listed[version]}"
        )
    return problems


def zip_folder(folder: Path, target: Path, top: str) -> Path:
    """Zip FOLDER's files into TARGET, under the folder name TOP."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{top}/{path.relative_to(folder).as_posix()}")
    return target


def offline_copy(site: Path, target: Path) -> Path:
    """A copy of the built SITE for reading from disk: the search lists its
    results without fetching each page for a summary (browsers refuse fetch()
    on file:// URLs, so every search would log errors)."""
    shutil.copytree(site, target)
    options = target / "_static" / "documentation_options.js"
    text = options.read_text()
    if "SHOW_SEARCH_SUMMARY: true" not in text:
        raise ValueError(f"{options}: no SHOW_SEARCH_SUMMARY setting; Sphinx changed")
    options.write_text(text.replace("SHOW_SEARCH_SUMMARY: true", "SHOW_SEARCH_SUMMARY: false"))
    return target


def assets(out: Path, site: Path) -> list[Path]:
    """Build the release assets into OUT from the built SITE; return them."""
    if not (site / "index.html").is_file() or not (site / "book.pdf").is_file():
        raise FileNotFoundError(f"no built site with book.pdf at {site}: run `make html`")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    package.build(out / "dist")
    name = f"{repository()[0].rstrip('/').rsplit('/', 1)[-1]}-{package.version()}"
    made = sorted((out / "dist").iterdir())
    made.append(Path(shutil.copy2(site / "book.pdf", out / "book.pdf")))
    copy = offline_copy(site, out / "work" / name)
    made.append(zip_folder(copy, out / f"{name}-site.zip", name))
    downloads = out / "work" / f"{name}-notebooks"
    downloads.mkdir(parents=True)
    for md in notebooks.chapter_sources():
        doc = md.relative_to(REPO_ROOT).with_suffix(".ipynb")
        shutil.copy2(site / "_sources" / doc, downloads / doc.name)
    made.append(zip_folder(downloads, out / f"{name}-notebooks.zip", f"{name}-notebooks"))
    shutil.rmtree(out / "work")
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prepare_ = commands.add_parser("prepare", help="make the current version an edition")
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    prepare_.add_argument("--date", default=today, help="release date (default: today)")
    check = commands.add_parser("check-tag", help="check a tag against the repository")
    check.add_argument("tag")
    build = commands.add_parser("assets", help="build the release assets")
    build.add_argument("out", type=Path)
    build.add_argument("html_dir", type=Path, nargs="?", default=None)
    args = parser.parse_args()
    if args.command == "prepare":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.date):
            parser.error("--date: YYYY-MM-DD")
        version = prepare(args.date)
        notebooks.write_notebooks()
        print(f"prepared edition {version} ({args.date}): commit, tag v{version}, push both")
        return 0
    if args.command == "check-tag":
        problems = check_tag(args.tag)
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1 if problems else 0
    for path in assets(args.out.resolve(), (args.html_dir or html_dir()).resolve()):
        print(f"{path.stat().st_size / 1e6:7.1f} MB  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
