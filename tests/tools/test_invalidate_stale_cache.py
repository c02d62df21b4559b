"""A change to the package's code drops the cached notebook outputs, so the
chapters that import it are executed again (tools/invalidate_stale_cache.py)."""

from __future__ import annotations

from pathlib import Path

from tools import invalidate_stale_cache as invalidator


def test_changing_the_package_drops_the_execution_cache(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "code" / "vjpgrad").mkdir(parents=True)
    for name in [*invalidator.INPUTS, "code/pyproject.toml"]:
        (repo / name).write_text(f"# {name}\n")
    source = repo / "code" / "vjpgrad" / "primitives.py"
    source.write_text("def exp_vjp(g, out, x):\n    return (g * out,)\n")
    build_dir = tmp_path / "_build"
    cache = build_dir / ".jupyter_cache"

    invalidator.main(build_dir, repo)  # first build records the hash
    cache.mkdir()
    invalidator.main(build_dir, repo)  # nothing changed: the cache stays
    assert cache.is_dir()

    source.write_text("def exp_vjp(g, out, x):\n    return (g * out * 1.0,)\n")
    invalidator.main(build_dir, repo)  # the package changed: the cache goes
    assert not cache.exists()
