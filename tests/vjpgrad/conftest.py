"""Shared set-up: a test that registers a primitive of its own leaves the registry as
it found it, so that the coverage and contract tests see vjpgrad's primitives only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vjpgrad import PRIMITIVES


@pytest.fixture(autouse=True)
def restore_the_registry() -> Iterator[None]:
    saved = dict(PRIMITIVES)
    yield
    PRIMITIVES.clear()
    PRIMITIVES.update(saved)
