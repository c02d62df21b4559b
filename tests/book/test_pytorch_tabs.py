"""The PyTorch tabs of the arrays chapter compute what their NumPy cells compute.

Each PyTorch snippet in book/arrays.md sits in a tab set directly under an executed NumPy code
cell (see torch_tabs.py for the layout). Both halves assign `result`; this module runs each half
in a fresh namespace and compares the results: structure, shapes, dtypes and values. A snippet
that asserts on a dtype itself (where PyTorch deliberately differs from NumPy) is exempt from
the dtype comparison. PyTorch (CPU build) is a test dependency that `make test` installs
(requirements-torch.txt); without it the comparisons fail, they are never skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from torch_tabs import (
    LayoutError,
    assert_same,
    count_torch_tabs,
    parse_pairs,
    run,
    to_numpy,
)

try:
    import torch
except ImportError:  # reported by the tests that need it
    torch = None

CHAPTER = Path(__file__).resolve().parents[2] / "book" / "arrays.md"
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
    orphan = "Some prose.\n\n::::{tab-set}\n:::{tab-item} PyTorch\n```python\nresult = 1\n```\n:::\n::::\n"
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
    assert torch is not None, "PyTorch is not installed: `make test` installs requirements-torch.txt"
    expected = run(pair.numpy_source, {"np": np})["result"]
    actual = to_numpy(run(pair.torch_source, {"torch": torch})["result"])
    assert_same(expected, actual, check_dtype=not pair.checks_own_dtype)
