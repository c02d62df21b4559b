"""The PyTorch tabs of the arrays chapter compute what their NumPy cells compute.

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
fresh namespace that holds only `np` (NumPy half) or `torch` (PyTorch half). Both halves assign
`result`; this module runs each half and compares the results: structure, shapes, dtypes and
values. A snippet that asserts on a dtype itself (where PyTorch deliberately differs from NumPy)
is exempt from the dtype comparison. PyTorch (CPU build) is a test dependency that `make test`
installs (requirements-torch.txt); without it the comparisons fail, they are never skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from tools import myst
from tools.config import BOOK_DIR

try:
    import torch
except ImportError:  # reported by the tests that need it
    torch = None

# A PyTorch half that asserts on a dtype states its own dtype; it is exempt from the dtype match.
DTYPE_ASSERT = re.compile(r"^\s*assert\b.*\.dtype\b", re.MULTILINE)


@dataclass(frozen=True)
class Pair:
    numpy_source: str
    torch_source: str
    numpy_line: int  # line of the ```{code-cell} fence
    torch_line: int  # line of the ```python fence

    @property
    def id(self) -> str:
        return f"line{self.numpy_line}"

    @property
    def checks_own_dtype(self) -> bool:
        return bool(DTYPE_ASSERT.search(self.torch_source))


class LayoutError(ValueError):
    """The chapter does not follow the pairing layout."""


def _torch_snippets(tab_set: myst.Block) -> list[myst.Block]:
    """The ```python blocks of the PyTorch tab items of a tab set."""
    snippets = []
    for item in myst.blocks(tab_set.body, tab_set.body_line):
        if item.kind == "directive" and item.name == "tab-item" and item.argument == "PyTorch":
            code = [
                b
                for b in myst.blocks(item.body, item.body_line)
                if b.kind == "code" and b.name == "python"
            ]
            if len(code) > 1:
                raise LayoutError(
                    f"line {code[1].start}: more than one code block in a PyTorch tab"
                )
            snippets += code
    return snippets


def parse_pairs(text: str) -> list[Pair]:
    """Every (NumPy cell, PyTorch snippet) pair of a chapter, in order.

    Raises LayoutError for a PyTorch snippet that does not directly follow a code cell.
    """
    pairs: list[Pair] = []
    previous: myst.Block | None = None
    for block in myst.blocks(text):
        if block.kind == "directive" and block.name == "tab-set":
            snippets = _torch_snippets(block)
            if len(snippets) > 1:
                raise LayoutError(
                    f"line {block.start}: a tab set with {len(snippets)} PyTorch tabs"
                )
            if snippets:
                if previous is None or (previous.kind, previous.name) != ("directive", "code-cell"):
                    raise LayoutError(
                        f"line {block.start}: a PyTorch tab not directly after a code cell"
                    )
                numpy_source = previous.body.strip("\n") + "\n"
                torch_source = snippets[0].body + "\n"
                pairs.append(Pair(numpy_source, torch_source, previous.start, snippets[0].start))
        previous = block
    return pairs


def count_torch_tabs(text: str) -> int:
    """Count PyTorch tab items with a plain text search, independently of the parser."""
    return len(re.findall(r"^:{3,}\{tab-item\}\s*PyTorch\s*$", text, flags=re.MULTILINE))


def run(source: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Execute a snippet in a fresh namespace seeded with `namespace`; return the namespace."""
    ns = dict(namespace)
    exec(compile(source, "<snippet>", "exec"), ns)  # the book's own code
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


def assert_same(
    expected: Any, actual: Any, check_dtype: bool = True, where: str = "result"
) -> None:
    """Compare a NumPy result with a converted PyTorch result: structure, shape, dtype, values."""
    if isinstance(expected, (tuple, list)) and not isinstance(expected, np.ndarray):
        assert isinstance(actual, (tuple, list)), f"{where}: expected a sequence, got {actual!r}"
        assert len(actual) == len(expected), f"{where}: lengths {len(expected)} != {len(actual)}"
        for k, (e, a) in enumerate(zip(expected, actual, strict=True)):
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


CHAPTER = BOOK_DIR / "arrays.md"
TEXT = CHAPTER.read_text()
PAIRS = parse_pairs(TEXT)
# Update when a pair is added to or removed from the chapter.
EXPECTED_PAIRS = 21
ASSIGNS_RESULT = re.compile(r"^result\s*=", re.MULTILINE)


def test_expected_number_of_pairs() -> None:
    assert len(PAIRS) == EXPECTED_PAIRS


def test_every_torch_tab_is_paired() -> None:
    assert count_torch_tabs(TEXT) == len(PAIRS)


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.id)
def test_both_halves_assign_result(pair) -> None:
    assert ASSIGNS_RESULT.search(pair.numpy_source), "the NumPy cell never assigns `result`"
    assert ASSIGNS_RESULT.search(pair.torch_source), "the PyTorch snippet never assigns `result`"
    compile(pair.torch_source, f"<torch snippet at line {pair.torch_line}>", "exec")


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.id)
def test_numpy_cell_is_self_contained(pair) -> None:
    assert "result" in run(pair.numpy_source, {"np": np})


def test_parser_rejects_an_orphan_torch_tab() -> None:
    orphan = (
        "Some prose.\n\n::::{tab-set}\n:::{tab-item} PyTorch\n```python\nresult = 1\n```\n"
        ":::\n::::\n"
    )
    with pytest.raises(LayoutError):
        parse_pairs(orphan)
    separated = "```{code-cell} ipython3\nresult = 1\n```\n\nProse in between.\n\n" + orphan
    with pytest.raises(LayoutError):
        parse_pairs(separated)


def test_parser_finds_a_pair_and_strips_cell_options() -> None:
    text = (
        "```{code-cell} ipython3\n:tags: [hide-output]\n\nresult = np.ones(2)\n```\n\n"
        "::::{tab-set}\n:::{tab-item} PyTorch\n```python\nresult = torch.ones(2)\n```\n:::\n"
        ":::{tab-item} Notes\nText.\n:::\n::::\n"
    )
    (pair,) = parse_pairs(text)
    assert pair.numpy_source.strip() == "result = np.ones(2)"
    assert pair.torch_source.strip() == "result = torch.ones(2)"


def test_comparison_detects_differences() -> None:
    assert_same((np.arange(3), 2.0), (np.arange(3), 2.0))
    with pytest.raises(AssertionError):
        assert_same(np.arange(3), np.arange(1, 4))
    with pytest.raises(AssertionError):
        assert_same(np.ones((3, 1)), np.ones(3))
    with pytest.raises(AssertionError):
        assert_same(np.ones(3), np.ones(3, dtype=np.float32))
    assert_same(np.ones(3), np.ones(3, dtype=np.float32), check_dtype=False)


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.id)
def test_torch_snippet_matches_numpy_cell(pair) -> None:
    assert torch is not None, (
        "PyTorch is not installed: `make test` installs requirements-torch.txt"
    )
    expected = run(pair.numpy_source, {"np": np})["result"]
    actual = to_numpy(run(pair.torch_source, {"torch": torch})["result"])
    assert_same(expected, actual, check_dtype=not pair.checks_own_dtype)
