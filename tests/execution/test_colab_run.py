"""Play Colab: run every chapter's notebook in a fresh runtime without vjpgrad.

A virtual environment holds only what a Colab runtime offers that the book
uses (numpy, matplotlib, graphviz, ipykernel; plus nbclient/nbformat to drive
the kernel), at the versions pinned in constraints.txt, and NOT vjpgrad. Each
committed ``book/NAME.ipynb`` (what the Colab button opens) is executed top to
bottom in it, with the install line's ``git+<repository>@<ref>#subdirectory=code``
pointed at this checkout's ``code/`` instead of GitHub (a wheel built from it
once per test session, as pip builds the git URL into a wheel), and pip's
index replaced by a folder holding that wheel (a released edition's line asks
PyPI for ``vjpgrad==X``). Every cell must succeed, and vjpgrad must have been
absent before and installed by the notebook's own set-up cell. A released
edition's line is also run alone, with and without the wheel on its "PyPI",
so that both of its routes are known to work.

The environment is cached in ``.venv/colab-runtime`` (keyed by the pins) so
later runs only reinstall vjpgrad; vjpgrad is uninstalled before each notebook.
"""

from __future__ import annotations

import hashlib
import os
import re
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
# the repository URL in an install line, quotes included
GIT_URL = re.compile(r'"git\+[^"]+#subdirectory=code"')
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
    """The Colab notebook with its install line's repository URL pointed at this
    checkout's wheel (a released line's PyPI part finds the wheel through
    PIP_FIND_LINKS, see ``runtime_environment``)."""
    nb = nbformat.read(ipynb, as_version=4)
    line = notebooks.install_line()
    cells = [c for c in nb.cells if c.cell_type == "code" and line in c.source]
    assert len(cells) == 1, f"{ipynb.name}: expected one cell with {line}"
    cells[0].source = GIT_URL.sub(f'"{wheel}"', cells[0].source)
    nbformat.write(nb, target)


def runtime_environment(runtime: Path, tmp_path: Path, find_links: Path) -> dict[str, str]:
    """The Colab runtime's environment; pip's index is FIND_LINKS, a folder."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PIP_"))
    }
    environment.update(
        PATH=f"{runtime / 'bin'}{os.pathsep}{environment.get('PATH', '')}",
        VIRTUAL_ENV=str(runtime),
        JUPYTER_PATH=str(runtime / "share" / "jupyter"),
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(find_links),
    )
    return environment


def execute(notebook: Path, environment: dict[str, str], tmp_path: Path) -> list[str]:
    """Run NOTEBOOK in the Colab runtime; the errors it raised (none: [])."""
    executed = tmp_path / f"executed-{notebook.name}"
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
    if result.returncode == 0:
        return []
    errors = []
    if executed.is_file():
        for cell in nbformat.read(executed, as_version=4).cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    errors.append(f"{cell.source[:200]}\n{output['ename']}: {output['evalue']}")
    return errors or [result.stderr[-3000:]]


def installed_version() -> str | None:
    """vjpgrad's version in the Colab runtime, if it is installed there."""
    where = run(
        str(env_python()), "-c", "import vjpgrad; print(vjpgrad.__file__, vjpgrad.__version__)"
    )
    if where.returncode != 0:
        return None
    path, version = where.stdout.split()
    assert str(ENV_DIR) in path, f"vjpgrad imported from {path}, not from the runtime"
    return version


def uninstall_vjpgrad() -> None:
    """A fresh runtime: vjpgrad is not there."""
    run(str(env_python()), "-m", "pip", "uninstall", "--quiet", "--yes", "vjpgrad")
    assert installed_version() is None, "vjpgrad is still importable in the Colab runtime"


@pytest.mark.parametrize("md", CHAPTERS, ids=CHAPTER_IDS)
def test_notebook_runs_in_a_fresh_colab_runtime(
    colab_runtime: Path, vjpgrad_wheel: Path, md: Path, tmp_path: Path
) -> None:
    ipynb = notebooks.notebook_path(md)
    assert ipynb.is_file(), f"{ipynb.name} missing: run `make notebooks`"
    if not any(c.cell_type == "code" for c in nbformat.read(ipynb, as_version=4).cells):
        pytest.skip(f"{md.name} has no code")
    uninstall_vjpgrad()
    notebook = tmp_path / ipynb.name
    local_install_notebook(ipynb, notebook, vjpgrad_wheel)
    environment = runtime_environment(colab_runtime, tmp_path, vjpgrad_wheel.parent)
    errors = execute(notebook, environment, tmp_path)
    assert not errors, f"{ipynb.name} failed in the Colab runtime:\n" + "\n\n".join(errors)
    # the notebook's own set-up cell installed vjpgrad (into this runtime, not the repo)
    assert installed_version() == package.version(), f"{ipynb.name}: vjpgrad not installed"


@pytest.mark.parametrize("source", ["pypi", "tag"])
def test_a_release_installs_from_pypi_or_else_from_its_tag(
    colab_runtime: Path, vjpgrad_wheel: Path, source: str, tmp_path: Path
) -> None:
    """The set-up cell of a released edition: `vjpgrad==X` from PyPI (here a
    folder holding the wheel), and when PyPI lacks it, the repository at tag vX
    (here the wheel itself)."""
    uninstall_vjpgrad()
    version = package.version()
    line = notebooks.pinned_install_line(version, REPOSITORY)
    fallback = vjpgrad_wheel if source == "tag" else tmp_path / "no-such-wheel.whl"
    line = GIT_URL.sub(f'"{fallback}"', line)
    index = vjpgrad_wheel.parent if source == "pypi" else tmp_path / "empty-index"
    index.mkdir(exist_ok=True)
    setup = f"try:\n    import vjpgrad\nexcept ImportError:\n    {line}\n"
    notebook = tmp_path / "setup.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup)]), notebook)
    errors = execute(notebook, runtime_environment(colab_runtime, tmp_path, index), tmp_path)
    assert not errors, "\n".join(errors)
    assert installed_version() == version, f"the {source} install did not happen"
