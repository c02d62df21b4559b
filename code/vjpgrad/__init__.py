"""vjpgrad: small, exact reverse-mode automatic differentiation over NumPy.

>>> import numpy as np
>>> from vjpgrad import Tensor
>>> x = Tensor([1.0, 2.0, 3.0])
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
array([2., 4., 6.])
"""

from .checked import override_vjp, primitive
from .checking import check_grad, numerical_jacobian
from .drawing import draw_graph
from .functional import grad, value_and_grad, vjp
from .graph import Node, enable_grad, is_grad_enabled, keep_values, no_grad
from .primitives import PRIMITIVES, unbroadcast
from .tensor import Tensor, apply

__version__ = "0.2.0"

__all__ = [
    "Tensor",
    "Node",
    "apply",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "keep_values",
    "grad",
    "value_and_grad",
    "vjp",
    "numerical_jacobian",
    "check_grad",
    "draw_graph",
    "PRIMITIVES",
    "primitive",
    "override_vjp",
    "unbroadcast",
    "__version__",
]
