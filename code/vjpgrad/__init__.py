"""vjpgrad: exact, fast reverse-mode automatic differentiation over NumPy.

>>> import numpy as np
>>> from vjpgrad import Tensor
>>> x = Tensor([1.0, 2.0, 3.0])
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
array([2., 4., 6.])
"""

from .checking import check_grad, numerical_jacobian
from .drawing import draw_graph
from .primitives import PRIMITIVES, Primitive, override_vjp, register_primitive, unbroadcast
from .tensor import (Node, Tensor, apply, enable_grad, grad, is_grad_enabled, keep_values, no_grad,
                     value_and_grad)

__version__ = "0.1.0"

__all__ = [
    "Tensor",
    "Node",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "keep_values",
    "grad",
    "value_and_grad",
    "apply",
    "numerical_jacobian",
    "check_grad",
    "draw_graph",
    "PRIMITIVES",
    "Primitive",
    "register_primitive",
    "override_vjp",
    "unbroadcast",
    "__version__",
]
