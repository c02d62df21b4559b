"""vjpgrad as the repository sees it: its version, its sources, its releases, its
sdist and wheel.

python -m tools.package OUT     # build the sdist and wheel into OUT, twine-check them
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from tools.config import REPO_ROOT

CODE_DIR = "code"
RELEASES = "releases.json"


def version(root: Path = REPO_ROOT) -> str:
    """``__version__`` of code/vjpgrad/__init__.py, read without importing it.

    The one place the version is written: code/pyproject.toml reads it too.
    """
    init = root / CODE_DIR / "vjpgrad" / "__init__.py"
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            if isinstance(value, str):
                return value
    raise ValueError(f"{init} sets no __version__ string")


def source_files(root: Path = REPO_ROOT) -> list[Path]:
    """What the package is made of: code/pyproject.toml and every file of code/vjpgrad."""
    package = root / CODE_DIR / "vjpgrad"
    files = [p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return [root / CODE_DIR / "pyproject.toml", *sorted(files)]


def files_hash(files: list[Path], root: Path = REPO_ROOT) -> str:
    """SHA-256 of FILES, their paths relative to ROOT included."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def source_hash(root: Path = REPO_ROOT) -> str:
    """SHA-256 of the package's sources (``source_files``)."""
    return files_hash(source_files(root), root)


def releases(root: Path = REPO_ROOT) -> list[dict[str, str]]:
    """The released editions, oldest first: version, date, sources_sha256."""
    listed: list[dict[str, str]] = json.loads((root / RELEASES).read_text())["releases"]
    return listed


def released_version(root: Path = REPO_ROOT) -> str | None:
    """The package's version when code/ is exactly a release of releases.json
    (same version, same sources), else None: between releases, or in a fork
    that changed code/."""
    current, sources = version(root), source_hash(root)
    for release in releases(root):
        if release["version"] == current and release["sources_sha256"] == sources:
            return current
    return None


def build(out: Path) -> str:
    """Build the sdist and the wheel into OUT with the pinned setuptools (no
    isolated environment: the versions are the repository's), check both with
    ``twine check --strict``; return what the two commands printed."""
    out.mkdir(parents=True, exist_ok=True)
    build = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), CODE_DIR]
    printed = _run(build)
    dists = [str(p) for p in sorted(out.iterdir()) if p.name.endswith((".whl", ".tar.gz"))]
    return printed + _run([sys.executable, "-m", "twine", "check", "--strict", *dists])


def _run(command: list[str]) -> str:
    # with byte-compiling off (PYTHONDONTWRITEBYTECODE) setuptools prints a warning
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    result = subprocess.run(command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout + result.stderr


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO_ROOT / "dist"
    print(build(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
