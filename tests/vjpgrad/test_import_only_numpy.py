"""vjpgrad imports, and computes gradients, with nothing installed but NumPy."""

from __future__ import annotations

import subprocess
import sys

# Runs in a fresh interpreter: any import of a module that is neither in the standard
# library nor NumPy (or vjpgrad itself) fails, as on a machine where only NumPy is installed.
ONLY_NUMPY = """
import sys
ALLOWED = set(sys.stdlib_module_names) | {"numpy", "vjpgrad"}

class OnlyNumpy:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in ALLOWED:
            raise ImportError(f"{name} is not installed in this test (only NumPy is)")

sys.meta_path.insert(0, OnlyNumpy())
import vjpgrad
x = vjpgrad.Tensor([1.0, 2.0])
(x * x).sum().backward()
assert x.grad.tolist() == [2.0, 4.0]
vjpgrad.check_grad(lambda t: t.tanh().sum(), [0.5, -1.0])
try:
    vjpgrad.draw_graph(x)
except ImportError as error:
    assert "pip install graphviz" in str(error), error
else:
    raise AssertionError("draw_graph worked without graphviz")
print("ok")
"""


def test_imports_and_works_with_only_numpy() -> None:
    result = subprocess.run([sys.executable, "-c", ONLY_NUMPY], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
