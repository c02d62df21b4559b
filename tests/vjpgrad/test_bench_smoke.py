"""The benchmark (benchmarks/bench.py, run from the repository root): `--quick` runs
and prints its table (not a timing), and the implementations it compares compute the
same thing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import bench  # the repository root is on sys.path under `python -m pytest`
from vjpgrad import Tensor

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_bench_quick_mode_prints_the_table() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench", "--quick"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "quick mode" in out
    for row in (
        "MLP step, batch",
        "MLP step, peak traced memory",
        "chain of 999 ops",
        "chain of 3,000 ops",
        "tiny MLP step, batch 16, 8-16-1",
        "scalar MLP, 2-16-16-1",
    ):
        assert row in out, out
    for column in (
        "NumPy by hand",
        "vjpgrad",
        "HIPS autograd",
        "PyTorch CPU",
        "target",
        "measured",
    ):
        assert column in out


@pytest.mark.parametrize("kind", ["xent", "mse"])
def test_benchmarked_steps_compute_the_same_update(kind: str) -> None:
    """The hand-written NumPy baseline and vjpgrad must do the same work to be compared."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 8))
    target = rng.integers(0, 3, 16) if kind == "xent" else rng.standard_normal((16, 3))
    numpy_params = bench.mlp_params((8, 5, 3))
    tensors = [Tensor(p.copy()) for p in numpy_params]
    numpy_loss = getattr(bench, f"numpy_{kind}_step")(numpy_params, X, target)
    vjpgrad_loss = getattr(bench, f"vjpgrad_{kind}_step")(tensors, X, target)
    assert numpy_loss == pytest.approx(vjpgrad_loss, rel=1e-12)
    for p, t in zip(numpy_params, tensors, strict=True):
        np.testing.assert_allclose(p, t.value, rtol=1e-12, atol=1e-15)
    assert not np.allclose(numpy_params[0], bench.mlp_params((8, 5, 3))[0])  # a step was taken


def test_benchmarked_chains_compute_the_same_gradient() -> None:
    x = np.array([0.1, -0.4, 0.7, 1.2])
    np.testing.assert_allclose(bench.numpy_chain(x, 50), bench.vjpgrad_chain(x, 50), rtol=1e-12)


def test_benchmarked_scalar_mlps_compute_the_same_gradient() -> None:
    params = bench.scalar_params()
    X, t = bench.scalar_data(4)
    by_hand = bench.scalar_by_hand(params, X, t)
    for other in (bench.scalar_vjpgrad(params, X, t), bench.scalar_torch(params, X, t)):
        np.testing.assert_allclose(
            np.concatenate([np.ravel(n) for layer in other for n in layer]),
            np.concatenate([np.ravel(n) for layer in by_hand for n in layer]),
            rtol=1e-10,
            atol=1e-14,
        )


def test_a_row_is_met_when_its_ratio_is_within_the_limit() -> None:
    figures = {"numpy": 2.0, "vjpgrad": 2.1, "autograd": 4.0, "torch": 3.0}
    row = bench.against_numpy("MLP step", "ms", figures, 1.05)
    assert row.ratio == pytest.approx(1.05) and row.met
    slow = bench.against_libraries("chain", "us", {**figures, "vjpgrad": 2.4})
    assert slow.ratio == pytest.approx(0.8) and not slow.met  # 2.4 / min(4.0, 3.0) > 0.75
    table = bench.format_table([row, slow])
    assert "yes" in table and "NO" in table and "PyTorch CPU" in table
    assert "2.100 (1.05x)" in table and "n/a" not in table
