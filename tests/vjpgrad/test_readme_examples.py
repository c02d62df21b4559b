"""The Python examples in code/README.md run as written."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "code" / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index: int) -> None:
    namespace: dict = {}
    for block in BLOCKS[:index]:  # later examples may use names from earlier ones
        with contextlib.suppress(AssertionError):
            exec(block, namespace)
    if "override_vjp" in BLOCKS[index]:  # the example of a deliberately wrong VJP
        with pytest.raises(AssertionError, match="VJP of 'multiply' disagrees"):
            exec(BLOCKS[index], namespace)
    else:
        exec(BLOCKS[index], namespace)
