"""Play Colab: run every chapter's notebook in a fresh runtime without vjpgrad.

A virtual environment holds only what a Colab runtime offers that the book
uses (numpy, matplotlib, graphviz, ipykernel; plus nbclient/nbformat to drive
the kernel), at the versions pinned in constraints.txt, and NOT vjpgrad. Each
committed ``book/NAME.ipynb`` (what the Colab button opens) is executed top to
bottom in it, with the install line's ``git+<repository>@<branch>#subdirectory=code``
pointed at this checkout's ``code/`` instead of GitHub (a wheel built from it
once per test session, as pip builds the git URL into a wheel). Every cell must
succeed, and vjpgrad must have been absent before and installed by the
notebook's own set-up cell.

The environment is cached in ``.venv/colab-runtime`` (keyed by the pins) so
later runs only reinstall vjpgrad; vjpgrad is uninstalled before each notebook.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from tools import notebooks, package
from tools.config import REPO_ROOT, repository

REPOSITORY, BRANCH = repository()
CHAPTERS = notebooks.chapter_sources()
CHAPTER_IDS = [md.stem for md in CHAPTERS]

COLAB_PACKAGES = ["numpy", "matplotlib", "graphviz", "ipykernel", "nbclient", "nbformat"]
ENV_DIR = Path(sys.prefix) / "colab-runtime"
INSTALL_URL = f"git+{REPOSITORY}@{BRANCH}#subdirectory=code"
CELL_TIMEOUT = 600

RUNNER = textwrap.dedent(
    """
    import json, sys
    import nbformat
    from nbclient import NotebookClient
    source, target, cwd, timeout = sys.argv[1:5]
    nb = nbformat.read(source, as_version=4)
    client = NotebookClient(nb, timeout=int(timeout), kernel_name="python3",
                            resources={"metadata": {"path": cwd}})
    try:
        client.execute()
    finally:
        nbformat.write(nb, target)
    """
)


def pins() -> list[str]:
    constraints = (REPO_ROOT / "constraints.txt").read_text().splitlines()
    pinned = {line.split("==")[0].lower(): line for line in constraints if "==" in line}
    return [pinned[name] for name in COLAB_PACKAGES]


def env_python() -> Path:
    return ENV_DIR / "bin" / "python"


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, **kwargs)


def vjpgrad_importable() -> bool:
    return run(str(env_python()), "-c", "import vjpgrad").returncode == 0


@pytest.fixture(scope="module")
def colab_runtime() -> Path:
    """A cached virtual environment with Colab's packages and not vjpgrad."""
    key = hashlib.sha256(
        "\n".join(pins() + [(REPO_ROOT / "constraints.txt").read_text(), sys.version]).encode()
    ).hexdigest()
    stamp = ENV_DIR / ".colab-key"
    if not (stamp.is_file() and stamp.read_text() == key and env_python().is_file()):
        shutil.rmtree(ENV_DIR, ignore_errors=True)
        created = run(sys.executable, "-m", "venv", str(ENV_DIR))
        assert created.returncode == 0, created.stderr
        install = run(
            str(env_python()),
            "-m",
            "pip",
            "install",
            "--quiet",
            *pins(),
            "-c",
            str(REPO_ROOT / "constraints.txt"),
        )
        assert install.returncode == 0, install.stdout + install.stderr
        stamp.write_text(key)
    return ENV_DIR


@pytest.fixture(scope="module")
def vjpgrad_wheel(colab_runtime: Path) -> Path:
    """vjpgrad built from this checkout's code/ (once per state of code/).

    pip builds ``git+...#subdirectory=code`` into a wheel and installs that; the
    build is done once here (it fetches the build backend, which is slow) and
    every notebook's install line then installs the wheel.
    """
    wheel_dir = colab_runtime / "wheels" / package.source_hash()[:16]
    wheels = sorted(wheel_dir.glob("vjpgrad-*.whl"))
    if not wheels:
        shutil.rmtree(colab_runtime / "wheels", ignore_errors=True)
        built = run(
            str(env_python()),
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(wheel_dir),
            str(REPO_ROOT / "code"),
        )
        assert built.returncode == 0, built.stdout + built.stderr
        wheels = sorted(wheel_dir.glob("vjpgrad-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def local_install_notebook(ipynb: Path, target: Path, wheel: Path) -> None:
    """The Colab notebook with its install line pointed at this checkout's code/."""
    nb = nbformat.read(ipynb, as_version=4)
    replaced = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and INSTALL_URL in cell.source:
            cell.source = cell.source.replace(f'"{INSTALL_URL}"', f'"{wheel}"')
            replaced += 1
    assert replaced == 1, f"{ipynb.name}: expected one install line with {INSTALL_URL}"
    nbformat.write(nb, target)


@pytest.mark.parametrize("md", CHAPTERS, ids=CHAPTER_IDS)
def test_notebook_runs_in_a_fresh_colab_runtime(
    colab_runtime: Path, vjpgrad_wheel: Path, md: Path, tmp_path: Path
) -> None:
    ipynb = notebooks.notebook_path(md)
    assert ipynb.is_file(), f"{ipynb.name} missing: run `make notebooks`"
    if not any(c.cell_type == "code" for c in nbformat.read(ipynb, as_version=4).cells):
        pytest.skip(f"{md.name} has no code")
    # a fresh runtime: vjpgrad is not there
    run(str(env_python()), "-m", "pip", "uninstall", "--quiet", "--yes", "vjpgrad")
    assert not vjpgrad_importable(), "vjpgrad is still importable in the Colab runtime"

    notebook = tmp_path / ipynb.name
    local_install_notebook(ipynb, notebook, vjpgrad_wheel)
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))
    }
    environment.update(
        PATH=f"{colab_runtime / 'bin'}{os.pathsep}{environment.get('PATH', '')}",
        VIRTUAL_ENV=str(colab_runtime),
        JUPYTER_PATH=str(colab_runtime / "share" / "jupyter"),
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),
        MPLBACKEND="module://matplotlib_inline.backend_inline",
    )
    executed = tmp_path / f"executed-{ipynb.name}"
    result = run(
        str(env_python()),
        "-c",
        RUNNER,
        str(notebook),
        str(executed),
        str(tmp_path),
        str(CELL_TIMEOUT),
        env=environment,
        cwd=tmp_path,
    )
    if result.returncode != 0:
        errors = []
        if executed.is_file():
            for cell in nbformat.read(executed, as_version=4).cells:
                for output in cell.get("outputs", []):
                    if output.get("output_type") == "error":
                        errors.append(f"{cell.source[:200]}\n{output['ename']}: {output['evalue']}")
        pytest.fail(
            f"{ipynb.name} failed in the Colab runtime:\n"
            + "\n\n".join(errors or [result.stderr[-3000:]])
        )
    # the notebook's own set-up cell installed vjpgrad (into this runtime, not the repo)
    assert vjpgrad_importable(), f"{ipynb.name}: vjpgrad was not installed by its set-up cell"
    where = run(
        str(env_python()), "-c", "import vjpgrad, json; print(json.dumps(vjpgrad.__file__))"
    )
    assert str(colab_runtime) in json.loads(where.stdout), where.stdout
