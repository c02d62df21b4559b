"""The benchmark: `--quick` runs and prints its table (not a timing), and the
implementations it compares compute the same thing."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from vjpgrad import Tensor, bench


def test_bench_quick_mode_prints_the_table() -> None:
    result = subprocess.run([sys.executable, "-m", "vjpgrad.bench", "--quick"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "quick mode" in out
    for row in ("MLP step, batch", "MLP step, peak memory", "chain of 999 ops", "chain of 3,000 ops",
                "tiny MLP step, batch 16, 8-16-1"):
        assert row in out, out
    for column in ("NumPy by hand", "vjpgrad", "HIPS autograd", "target", "measured"):
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
    for p, t in zip(numpy_params, tensors):
        np.testing.assert_allclose(p, t.value, rtol=1e-12, atol=1e-15)
    assert not np.allclose(numpy_params[0], bench.mlp_params((8, 5, 3))[0])  # a step was taken


def test_benchmarked_chains_compute_the_same_gradient() -> None:
    x = np.array([0.1, -0.4, 0.7, 1.2])
    np.testing.assert_allclose(bench.numpy_chain(x, 50), bench.vjpgrad_chain(x, 50), rtol=1e-12)


def test_the_table_prints_a_zero_baseline_without_a_ratio() -> None:
    from vjpgrad.bench import format_table

    row = {"benchmark": "MLP step, page faults per step", "unit": "count", "numpy": 0.0,
           "vjpgrad": 12.0, "autograd": None, "target": "(for information)", "measured": float("nan"),
           "limit": None, "ok": None}
    table = format_table([row])
    assert "12.000" in table and "n/a" in table and "x)" not in table and "nan" not in table
