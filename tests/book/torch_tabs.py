"""Find the NumPy/PyTorch pairs of a chapter and compare their results.

A chapter shows PyTorch code beside NumPy code with this layout (MyST Markdown):

    ```{code-cell} ipython3
    <NumPy code that assigns `result`>
    ```

    ::::{tab-set}
    :::{tab-item} PyTorch
    ```python
    <PyTorch code that assigns `result`>
    ```
    :::
    :::{tab-item} Notes
    ...
    :::
    ::::

A tab set that holds a "PyTorch" tab must follow a code cell with nothing but blank lines in
between; that cell is the NumPy half of the pair. Each half must be self-contained: it runs in a
fresh namespace that holds only `np` (NumPy half) or `torch` (PyTorch half).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

CODE_CELL_OPEN = re.compile(r"^```\{code-cell\}")
FENCE_CLOSE = re.compile(r"^```\s*$")
TAB_SET_OPEN = re.compile(r"^(:{3,})\{tab-set\}\s*$")
TAB_ITEM_OPEN = re.compile(r"^(:{3,})\{tab-item\}\s*(.*?)\s*$")
PYTHON_FENCE_OPEN = re.compile(r"^```python\s*$")
# A PyTorch half that asserts on a dtype states its own dtype; it is exempt from the dtype match.
DTYPE_ASSERT = re.compile(r"^\s*assert\b.*\.dtype\b", re.MULTILINE)


@dataclass(frozen=True)
class Pair:
    numpy_source: str
    torch_source: str
    numpy_line: int  # 1-based line of the ```{code-cell} fence
    torch_line: int  # 1-based line of the ```python fence

    @property
    def id(self) -> str:
        return f"line{self.numpy_line}"

    @property
    def checks_own_dtype(self) -> bool:
        return bool(DTYPE_ASSERT.search(self.torch_source))


class LayoutError(ValueError):
    """The chapter does not follow the pairing layout."""


def _cell_source(lines: list[str]) -> str:
    """Strip a code cell's options (`:key: value` lines or a `---` YAML block)."""
    if lines and lines[0].strip() == "---":
        end = lines.index("---", 1)
        lines = lines[end + 1 :]
    else:
        while lines and lines[0].startswith(":"):
            lines = lines[1:]
    return "\n".join(lines).strip("\n") + "\n"


def _read_fence(lines: list[str], start: int) -> tuple[list[str], int]:
    """Body lines of the backtick fence opened at `start`, and the index of its closing line."""
    for end in range(start + 1, len(lines)):
        if FENCE_CLOSE.match(lines[end]):
            return lines[start + 1 : end], end
    raise LayoutError(f"line {start + 1}: unclosed code fence")


def _torch_snippets(lines: list[str], start: int, colons: str) -> tuple[list[tuple[str, int]], int]:
    """The ```python blocks of the PyTorch tab items in the tab set opened at `start`."""
    snippets = []
    in_torch_item = False
    found_in_item = 0
    i = start + 1
    while i < len(lines):
        line = lines[i]
        if line.rstrip() == colons:
            return snippets, i
        item = TAB_ITEM_OPEN.match(line)
        if item:
            in_torch_item = item.group(2) == "PyTorch"
            found_in_item = 0
        elif PYTHON_FENCE_OPEN.match(line):
            body, i = _read_fence(lines, i)
            if in_torch_item:
                found_in_item += 1
                if found_in_item > 1:
                    raise LayoutError(f"line {i + 1}: more than one code block in a PyTorch tab")
                snippets.append(("\n".join(body) + "\n", i - len(body)))
        i += 1
    raise LayoutError(f"line {start + 1}: unclosed tab set")


def parse_pairs(text: str) -> list[Pair]:
    """Every (NumPy cell, PyTorch snippet) pair of a chapter, in order.

    Raises LayoutError for a PyTorch snippet that does not directly follow a code cell.
    """
    lines = text.splitlines()
    pairs: list[Pair] = []
    last_cell: tuple[str, int, int] | None = None  # source, fence line, closing index
    i = 0
    while i < len(lines):
        line = lines[i]
        if CODE_CELL_OPEN.match(line):
            body, end = _read_fence(lines, i)
            last_cell = (_cell_source(body), i + 1, end)
            i = end + 1
            continue
        tab_set = TAB_SET_OPEN.match(line)
        if tab_set:
            snippets, end = _torch_snippets(lines, i, tab_set.group(1))
            if snippets:
                if len(snippets) != 1:
                    raise LayoutError(f"line {i + 1}: a tab set with {len(snippets)} PyTorch tabs")
                between = lines[last_cell[2] + 1 : i] if last_cell else ["<no code cell>"]
                if last_cell is None or any(s.strip() for s in between):
                    raise LayoutError(
                        f"line {i + 1}: a PyTorch tab that does not directly follow a code cell"
                    )
                source, torch_line = snippets[0]
                pairs.append(Pair(last_cell[0], source, last_cell[1], torch_line))
            i = end + 1
            continue
        i += 1
    return pairs


def count_torch_tabs(text: str) -> int:
    """Count PyTorch tab items with a plain text search, independently of the parser."""
    return len(re.findall(r"^:{3,}\{tab-item\}\s*PyTorch\s*$", text, flags=re.MULTILINE))


def run(source: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Execute a snippet in a fresh namespace seeded with `namespace`; return the namespace."""
    ns = dict(namespace)
    exec(compile(source, "<snippet>", "exec"), ns)  # noqa: S102 - the book's own code
    return ns


def to_numpy(value: Any) -> Any:
    """Turn tensors into arrays (recursively in tuples and lists); leave the rest alone."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, torch.Size):
        return tuple(int(n) for n in value)
    if isinstance(value, (tuple, list)):
        return type(value)(to_numpy(v) for v in value)
    return value


def assert_same(expected: Any, actual: Any, check_dtype: bool = True, where: str = "result") -> None:
    """Compare a NumPy result with a converted PyTorch result: structure, shape, dtype, values."""
    if isinstance(expected, (tuple, list)) and not isinstance(expected, np.ndarray):
        assert isinstance(actual, (tuple, list)), f"{where}: expected a sequence, got {actual!r}"
        assert len(actual) == len(expected), f"{where}: lengths {len(expected)} != {len(actual)}"
        for k, (e, a) in enumerate(zip(expected, actual)):
            assert_same(e, a, check_dtype, f"{where}[{k}]")
        return
    e, a = np.asarray(expected), np.asarray(actual)
    assert e.shape == a.shape, f"{where}: shape {e.shape} (NumPy) != {a.shape} (PyTorch)"
    both_arrays = all(isinstance(v, (np.ndarray, np.generic)) for v in (expected, actual))
    if check_dtype and both_arrays:
        assert e.dtype == a.dtype, f"{where}: dtype {e.dtype} (NumPy) != {a.dtype} (PyTorch)"
    if e.dtype == bool or a.dtype == bool or np.issubdtype(e.dtype, np.integer):
        np.testing.assert_array_equal(a, e, err_msg=where)
    else:
        single = np.float32 in (e.dtype, a.dtype)
        np.testing.assert_allclose(
            a, e, rtol=1e-6 if single else 1e-12, atol=1e-6 if single else 1e-12, err_msg=where
        )


def chapter_pairs(path: Path) -> list[Pair]:
    return parse_pairs(path.read_text())
