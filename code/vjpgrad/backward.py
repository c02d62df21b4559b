"""The reverse pass: one loop over the recorded nodes in topological order."""

from __future__ import annotations

from collections.abc import Collection
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from .graph import Node
from .primitives import unbroadcast

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["topological_order", "backward_pass"]


def topological_order(root: Node) -> list[Node]:
    """The nodes `root` was computed from, and root itself, newest first: every
    node comes before the nodes it was computed from."""
    found, stack = {root}, [root]
    while stack:  # a walk along parent edges, each node taken once
        for parent in stack.pop().parents:
            if isinstance(parent, Node) and parent not in found:
                found.add(parent)
                stack.append(parent)
    # a node is made after its parents, so newest first is a reverse
    # topological order
    return sorted(found, key=attrgetter("created"), reverse=True)


def backward_pass(
    root: Node, seed: Any, keep: Collection[Node] = ()
) -> dict[Node | Tensor, Any]:
    """Run every VJP of the graph once, with upstream gradient `seed` at root.

    Returns the gradient of every leaf Tensor that needs one, and of every node
    in `keep`."""
    grads: dict[Node | Tensor, Any] = {root: seed}
    kept: dict[Node | Tensor, Any] = {}
    for node in topological_order(root):
        # complete: every node that uses this one came before it
        g = grads.pop(node)
        if node in keep:
            kept[node] = g
        for parent, vjp in zip(node.parents, node.vjps):
            if parent is not None:  # this input needs a gradient
                contribution = vjp(node, g)
                # NumPy broadcast the input: undo it
                if contribution.shape != parent.shape:
                    contribution = unbroadcast(contribution, parent.shape)
                # used more than once: the contributions add up
                if parent in grads:
                    grads[parent] = grads[parent] + contribution
                else:
                    grads[parent] = contribution
    grads.update(kept)  # what is left in grads are the leaves
    return grads
