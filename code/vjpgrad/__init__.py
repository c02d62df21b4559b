"""vjpgrad: reverse-mode automatic differentiation over NumPy."""

__version__ = "0.1.0"
