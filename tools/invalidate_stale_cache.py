"""Drop cached notebook outputs when the code they import has changed.

jupyter-cache re-executes a notebook only when its code cells change
(executablebooks/MyST-NB#299 asks for more; open). The chapters import
vjpgrad, so a change to code/ (or to the pinned packages) must re-execute
them too. This hashes those inputs and, when the hash differs from the one
the previous build recorded, deletes the execution cache and the Sphinx
environment, so that every chapter is executed and read again.

Usage: python -m tools.invalidate_stale_cache BUILDDIR
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from tools import package
from tools.config import REPO_ROOT

INPUTS = ["requirements.txt", "constraints.txt"]


def inputs_hash(repo_root: Path = REPO_ROOT) -> str:
    """Hash the package sources and the pinned requirements."""
    files = [repo_root / name for name in INPUTS] + package.source_files(repo_root)
    return package.files_hash(files, repo_root)


def main(build_dir: Path, repo_root: Path = REPO_ROOT) -> None:
    """Delete the stale caches in build_dir if the inputs changed since the last build."""
    stamp = build_dir / ".code-hash"
    current = inputs_hash(repo_root)
    if stamp.is_file() and stamp.read_text() == current:
        return
    for stale in (".jupyter_cache", ".doctrees"):
        if (build_dir / stale).exists():
            print(f"code/ or requirements changed: removing {build_dir / stale}")
            shutil.rmtree(build_dir / stale)
    build_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO_ROOT / "_build")
