"""vjpgrad imports in an interpreter where graphviz cannot be imported."""

from __future__ import annotations

import subprocess
import sys

BLOCK_GRAPHVIZ = """
import sys
class BlockGraphviz:
    def find_spec(self, name, path=None, target=None):
        if name == "graphviz" or name.startswith("graphviz."):
            raise ImportError("graphviz is blocked for this test")
sys.meta_path.insert(0, BlockGraphviz())
import vjpgrad
assert "graphviz" not in sys.modules
print(vjpgrad.__version__)
"""


def test_imports_without_graphviz() -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_GRAPHVIZ], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
