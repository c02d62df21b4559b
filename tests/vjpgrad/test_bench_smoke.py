"""`python -m vjpgrad.bench --quick` runs and prints its table (a smoke test, not a timing)."""

from __future__ import annotations

import subprocess
import sys


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
