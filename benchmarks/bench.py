"""vjpgrad against hand-written NumPy, HIPS autograd and PyTorch (CPU), in one process.

Run from the repository root: ``python -m benchmarks.bench`` (``--quick`` for a smoke
run whose figures mean nothing).  Each workload is timed in interleaved rounds (every
implementation once per round, starting with a different one each round, so a busy
moment of a shared machine hits all alike); the table shows medians and the ratios that
the targets are about (NumPy's and PyTorch's matrix products on one thread, unless
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS say otherwise):

* MLP step, batch 256, 784-512-10 ReLU, softmax cross-entropy, float64:
  at most 1.05x hand-written NumPy;
* its peak traced memory (tracemalloc): at most 1.0x hand-written NumPy's;
* chains of 10,000 and 100,000 element-wise ops on a (4,) array, a tiny MLP step
  (16x8-16-1, squared error) and a scalar MLP step (2-16-16-1 on 0-d values, 20
  points): each in at most 0.75x the time of the faster of HIPS autograd and PyTorch.
"""

from __future__ import annotations

import os

# One thread for the matrix products of NumPy (OpenBLAS) and of PyTorch: the
# implementations are compared doing the same work, and on a shared machine
# with few cores a second BLAS thread makes the timings wait on the others.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse
import gc
import math
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any, cast

import autograd
import autograd.numpy as anp
import numpy as np
import torch

import vjpgrad

torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
from vjpgrad import Tensor

LR = 1e-3
Params = list[np.ndarray]


# -- MLP steps: one SGD step of X -> relu(X W1 + b1) W2 + b2 with a loss ---------------


def mlp_params(sizes: tuple[int, ...], seed: int = 0) -> Params:
    """He-initialised weights and zero biases, [W1, b1, W2, b2, ...]."""
    rng = np.random.default_rng(seed)
    params: Params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        scale = np.sqrt(2.0 / fan_in)
        params += [rng.standard_normal((fan_in, fan_out)) * scale, np.zeros(fan_out)]
    return params


def _numpy_backprop(
    params: Params, X: np.ndarray, h: np.ndarray, a: np.ndarray, dout: np.ndarray
) -> None:
    """The hand-written backward pass from d(loss)/d(output), then the SGD step."""
    W1, b1, W2, b2 = params
    dh = (dout @ W2.T) * (h > 0)
    grads = (X.T @ dh, dh.sum(axis=0), a.T @ dout, dout.sum(axis=0))
    for p, g in zip(params, grads, strict=True):
        p -= LR * g


def numpy_xent_step(params: Params, X: np.ndarray, y: np.ndarray) -> float:
    W1, b1, W2, b2 = params
    rows = np.arange(len(y))
    h = X @ W1 + b1
    a = np.maximum(h, 0.0)
    logits = a @ W2 + b2
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(s[:, 0]) + m[:, 0] - logits[rows, y])
    dlogits = e / s  # softmax
    dlogits[rows, y] -= 1.0
    dlogits /= len(y)
    _numpy_backprop(params, X, h, a, dlogits)
    return float(loss)


def numpy_mse_step(params: Params, X: np.ndarray, t: np.ndarray) -> float:
    W1, b1, W2, b2 = params
    h = X @ W1 + b1
    a = np.maximum(h, 0.0)
    r = a @ W2 + b2 - t
    _numpy_backprop(params, X, h, a, r * (2.0 / r.size))
    return float(np.mean(r * r))


def _sgd(params: list[Tensor]) -> None:
    for p in params:
        assert p.grad is not None
        p.value -= LR * p.grad
        p.grad = None


def _dense(X: np.ndarray, W: Tensor, b: Tensor) -> Tensor:
    """X @ W + b with data X (an ndarray on the left of a Tensor)."""
    return cast(Tensor, X @ W) + b


def vjpgrad_xent_step(params: list[Tensor], X: np.ndarray, y: np.ndarray) -> float:
    W1, b1, W2, b2 = params
    logits = _dense(X, W1, b1).relu() @ W2 + b2
    loss = (logits.logsumexp(axis=1) - logits[np.arange(len(y)), y]).mean()
    loss.backward()
    _sgd(params)
    return loss.item()


def vjpgrad_mse_step(params: list[Tensor], X: np.ndarray, t: np.ndarray) -> float:
    W1, b1, W2, b2 = params
    r = _dense(X, W1, b1).relu() @ W2 + b2 - t
    loss = (r * r).mean()
    loss.backward()
    _sgd(params)
    return loss.item()


def _autograd_xent(params: Params, X: np.ndarray, y: np.ndarray) -> Any:
    W1, b1, W2, b2 = params
    logits = anp.dot(anp.maximum(anp.dot(X, W1) + b1, 0.0), W2) + b2
    m = anp.max(logits, axis=1, keepdims=True)
    lse = m[:, 0] + anp.log(anp.sum(anp.exp(logits - m), axis=1))
    return anp.mean(lse - logits[anp.arange(len(y)), y])


def _autograd_mse(params: Params, X: np.ndarray, t: np.ndarray) -> Any:
    W1, b1, W2, b2 = params
    r = anp.dot(anp.maximum(anp.dot(X, W1) + b1, 0.0), W2) + b2 - t
    return anp.mean(r * r)


_AUTOGRAD_GRADS = {"xent": autograd.grad(_autograd_xent), "mse": autograd.grad(_autograd_mse)}


def autograd_step(kind: str, params: Params, X: np.ndarray, target: np.ndarray) -> None:
    for p, g in zip(params, _AUTOGRAD_GRADS[kind](params, X, target), strict=True):
        p -= LR * g


def torch_step(
    kind: str, params: list[torch.Tensor], X: torch.Tensor, target: torch.Tensor
) -> float:
    W1, b1, W2, b2 = params
    out = torch.relu(X @ W1 + b1) @ W2 + b2
    if kind == "xent":
        loss = torch.nn.functional.cross_entropy(out, target)
    else:
        loss = ((out - target) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= LR * p.grad
            p.grad = None
    return loss.item()


def torch_params(params: Params) -> list[torch.Tensor]:
    return [torch.tensor(p, requires_grad=True) for p in params]


# -- chains: y <- tanh(0.9 y + 0.1), three element-wise ops per step -------------------


def numpy_chain(x: np.ndarray, n_ops: int) -> np.ndarray:
    """d sum(y)/dx by hand: the forward keeps each tanh output."""
    y, outs = x, []
    for _ in range(n_ops // 3):
        y = np.tanh(y * 0.9 + 0.1)
        outs.append(y)
    g = np.ones_like(x)
    for out in reversed(outs):
        g = g * (1.0 - out * out) * 0.9
    return g


def vjpgrad_chain(x: np.ndarray, n_ops: int) -> np.ndarray:
    t = y = Tensor(x)
    for _ in range(n_ops // 3):
        y = (y * 0.9 + 0.1).tanh()
    y.sum().backward()
    assert t.grad is not None
    return t.grad


def autograd_chain(x: np.ndarray, n_ops: int) -> np.ndarray:
    def f(v: Any) -> Any:
        for _ in range(n_ops // 3):
            v = anp.tanh(v * 0.9 + 0.1)
        return anp.sum(v)

    return autograd.grad(f)(x)


def torch_chain(x: np.ndarray, n_ops: int) -> np.ndarray:
    t = y = torch.tensor(x, requires_grad=True)
    for _ in range(n_ops // 3):
        y = torch.tanh(y * 0.9 + 0.1)
    y.sum().backward()
    return t.grad.numpy()


# -- scalar MLP: every weight and activation a 0-d value (micrograd's setting) ----------


def scalar_data(n: int = 20, seed: int = 3) -> tuple[list[list[float]], list[float]]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n, 2))
    return X.tolist(), np.sin(X.sum(axis=1)).tolist()


def scalar_forward(
    params: list[list[list[Any]]], X: list[list[float]], t: list[float], tanh: Callable[[Any], Any]
) -> Any:
    """Mean squared error of a 2-16-16-1 tanh network written one scalar at a time.

    ``params`` holds, per layer, one row [w_1, ..., w_k, b] per neuron; the same
    code runs on vjpgrad's and PyTorch's 0-d Tensors and on HIPS autograd's boxes."""
    loss: Any = 0.0
    for x, target in zip(X, t, strict=True):
        a: list[Any] = list(x)
        for k, layer in enumerate(params):
            a = [
                sum((w * ai for w, ai in zip(neuron, a, strict=False)), neuron[-1])
                for neuron in layer
            ]
            if k < len(params) - 1:
                a = [tanh(z) for z in a]
        loss = loss + (a[0] - target) * (a[0] - target)
    return loss * (1.0 / len(X))


def scalar_params(seed: int = 4) -> list[list[list[float]]]:
    rng = np.random.default_rng(seed)
    sizes = (2, 16, 16, 1)
    return [
        [list(rng.uniform(-1.0, 1.0, fan_in + 1)) for _ in range(fan_out)]
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]


def scalar_by_hand(
    params: list[list[list[float]]], X: list[list[float]], t: list[float]
) -> list[list[list[float]]]:
    """The gradient of scalar_forward, backpropagated by hand in Python floats."""
    grads = [[[0.0] * len(neuron) for neuron in layer] for layer in params]
    for x, target in zip(X, t, strict=True):
        acts = [list(x)]
        for k, layer in enumerate(params):
            z = [
                sum(w * ai for w, ai in zip(neuron, acts[-1], strict=False)) + neuron[-1]
                for neuron in layer
            ]
            acts.append([math.tanh(v) for v in z] if k < len(params) - 1 else z)
        delta = [2.0 * (acts[-1][0] - target) / len(X)]
        for k in reversed(range(len(params))):
            inputs = acts[k]
            for j in range(len(params[k])):
                row = grads[k][j]
                for i, ai in enumerate(inputs):
                    row[i] += delta[j] * ai
                row[-1] += delta[j]
            if k:
                back = [
                    sum(delta[j] * params[k][j][i] for j in range(len(delta)))
                    for i in range(len(inputs))
                ]
                delta = [b * (1.0 - ai * ai) for b, ai in zip(back, inputs, strict=True)]
    return grads


def scalar_vjpgrad(
    params: list[list[list[float]]], X: list[list[float]], t: list[float]
) -> list[list[list[float]]]:
    tensors = [[[Tensor(w) for w in neuron] for neuron in layer] for layer in params]
    scalar_forward(tensors, X, t, Tensor.tanh).backward()
    return [[[w.grad.item() for w in neuron] for neuron in layer] for layer in tensors]  # type: ignore[union-attr]


def scalar_torch(
    params: list[list[list[float]]], X: list[list[float]], t: list[float]
) -> list[list[list[float]]]:
    tensors = [
        [
            [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in neuron]
            for neuron in layer
        ]
        for layer in params
    ]
    scalar_forward(tensors, X, t, torch.tanh).backward()
    return [[[w.grad.item() for w in neuron] for neuron in layer] for layer in tensors]


def scalar_autograd(params: list[list[list[float]]], X: list[list[float]], t: list[float]) -> Any:
    return autograd.grad(lambda p: scalar_forward(p, X, t, anp.tanh))(params)


# -- timing -------------------------------------------------------------------------


def _timed(fn: Callable[[], Any], clock: Callable[[], float]) -> float:
    gc.collect()  # no run pays for another's garbage
    start = clock()
    fn()
    return clock() - start


def compare(
    runs: dict[str, Callable[[], Any]], rounds: int, clock: Callable[[], float]
) -> dict[str, float]:
    """Median time of each function over interleaved rounds, after one warm-up call."""
    for fn in runs.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            times[name].append(_timed(runs[name], clock))
    return {name: statistics.median(ts) for name, ts in times.items()}


def peak_memory(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated (as tracemalloc sees them, NumPy included) while fn runs."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@dataclass
class Row:
    """One line of the report: figures per implementation, and the target's ratio."""

    name: str
    unit: str
    figures: dict[str, float]
    target: str
    ratio: float
    limit: float

    @property
    def met(self) -> bool:
        return self.ratio <= self.limit


COLUMNS = {
    "numpy": "NumPy by hand",
    "vjpgrad": "vjpgrad",
    "autograd": "HIPS autograd",
    "torch": "PyTorch CPU",
}


def against_numpy(name: str, unit: str, figures: dict[str, float], limit: float) -> Row:
    return Row(
        name, unit, figures, f"<= {limit:.2f}x NumPy", figures["vjpgrad"] / figures["numpy"], limit
    )


def against_libraries(name: str, unit: str, figures: dict[str, float], limit: float = 0.75) -> Row:
    fastest = min(figures["autograd"], figures["torch"])
    return Row(
        name,
        unit,
        figures,
        f"<= {limit:.2f}x min(HIPS, PyTorch)",
        figures["vjpgrad"] / fastest,
        limit,
    )


def run(quick: bool, clock: Callable[[], float]) -> list[Row]:
    rows = []
    scale = {"ms": 1e3, "us": 1e6}

    def timed(
        runs: dict[str, Callable[[], Any]], rounds: int, unit: str, per: int = 1
    ) -> dict[str, float]:
        times = compare(runs, 2 if quick else rounds, clock)
        return {k: v * scale[unit] / per for k, v in times.items()}

    # MLP step and its memory
    batch, sizes = (32, (784, 64, 10)) if quick else (256, (784, 512, 10))
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((batch, sizes[0])), rng.integers(0, sizes[-1], batch)
    base = mlp_params(sizes)
    np_p, ag_p = [p.copy() for p in base], [p.copy() for p in base]
    vg_p, th_p = [Tensor(p.copy()) for p in base], torch_params(base)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    runs: dict[str, Callable[..., Any]] = {
        "numpy": lambda: numpy_xent_step(np_p, X, y),
        "vjpgrad": lambda: vjpgrad_xent_step(vg_p, X, y),
        "autograd": lambda: autograd_step("xent", ag_p, X, y),
        "torch": lambda: torch_step("xent", th_p, Xt, yt),
    }
    name = f"MLP step, batch {batch}, {'-'.join(map(str, sizes))}"
    rows.append(against_numpy(name, "ms", timed(runs, 31, "ms"), 1.05))
    memory = {k: peak_memory(runs[k]) / 1e6 for k in ("numpy", "vjpgrad", "autograd")}
    rows.append(against_numpy("MLP step, peak traced memory", "MB", memory, 1.0))

    # chains
    x = np.linspace(-1.0, 1.0, 4)
    for n_ops in (999, 3_000) if quick else (10_002, 100_002):
        runs = {
            "numpy": lambda n=n_ops: numpy_chain(x, n),
            "vjpgrad": lambda n=n_ops: vjpgrad_chain(x, n),
            "autograd": lambda n=n_ops: autograd_chain(x, n),
            "torch": lambda n=n_ops: torch_chain(x, n),
        }
        rounds = 15 if n_ops < 50_000 else 7
        rows.append(
            against_libraries(
                f"chain of {n_ops:,} ops on (4,), per op",
                "us",
                timed(runs, rounds, "us", per=n_ops),
            )
        )

    # tiny MLP step
    rng = np.random.default_rng(2)
    Xs, ts = rng.standard_normal((16, 8)), rng.standard_normal((16, 1))
    small = mlp_params((8, 16, 1))
    np_s, ag_s = [p.copy() for p in small], [p.copy() for p in small]
    vg_s, th_s = [Tensor(p.copy()) for p in small], torch_params(small)
    Xst, tst = torch.tensor(Xs), torch.tensor(ts)

    def repeat(step: Callable[[], Any], times: int = 20 if quick else 200) -> Callable[[], None]:
        def run() -> None:
            for _ in range(times):
                step()

        return run

    runs = {
        "numpy": repeat(lambda: numpy_mse_step(np_s, Xs, ts)),
        "vjpgrad": repeat(lambda: vjpgrad_mse_step(vg_s, Xs, ts)),
        "autograd": repeat(lambda: autograd_step("mse", ag_s, Xs, ts)),
        "torch": repeat(lambda: torch_step("mse", th_s, Xst, tst)),
    }
    rows.append(
        against_libraries(
            "tiny MLP step, batch 16, 8-16-1", "us", timed(runs, 31, "us", per=20 if quick else 200)
        )
    )

    # scalar MLP step (gradient only: the update is the same for all)
    sp = scalar_params()
    SX, st = scalar_data(4 if quick else 20)
    runs = {
        "numpy": lambda: scalar_by_hand(sp, SX, st),
        "vjpgrad": lambda: scalar_vjpgrad(sp, SX, st),
        "autograd": lambda: scalar_autograd(sp, SX, st),
        "torch": lambda: scalar_torch(sp, SX, st),
    }
    rows.append(
        against_libraries(f"scalar MLP, 2-16-16-1, {len(SX)} points", "ms", timed(runs, 11, "ms"))
    )
    return rows


def format_table(rows: list[Row]) -> str:
    head = ["benchmark", "unit", *COLUMNS.values(), "target", "measured", "met"]
    lines = []
    for r in rows:
        base = r.figures["numpy"]
        cells = [
            f"{r.figures[k]:.3f}"
            + (f" ({r.figures[k] / base:.2f}x)" if k != "numpy" and base else "")
            if k in r.figures
            else "n/a"
            for k in COLUMNS
        ]
        lines.append(
            [r.name, r.unit, *cells, r.target, f"{r.ratio:.2f}x", "yes" if r.met else "NO"]
        )
    widths = [max(len(str(c)) for c in col) for col in zip(head, *lines, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(
        [
            fmt.format(*head),
            fmt.format(*("-" * w for w in widths)),
            *(fmt.format(*line) for line in lines),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, few rounds")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall-clock time, or this process's CPU time",
    )
    args = parser.parse_args(argv)
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    print(
        f"vjpgrad {vjpgrad.__version__}, Python {platform.python_version()}, "
        f"NumPy {np.__version__}, autograd {version('autograd')}, "
        f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads); "
        f"{args.clock} clock, medians; ratios in brackets are to NumPy by hand"
    )
    if args.quick:
        print("quick mode: small sizes and few rounds; these figures are NOT the benchmark")
    rows = run(args.quick, clock)
    print(format_table(rows))
    print("chain: y <- tanh(0.9 y + 0.1), three element-wise ops per step, then sum")
    return 0 if all(r.met for r in rows) or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
