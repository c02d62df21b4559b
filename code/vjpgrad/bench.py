"""Benchmarks: ``python -m vjpgrad.bench`` (add ``--quick`` for a fast smoke run).

Each benchmark times the same computation three ways, in one process:

* hand-written NumPy: forward and backward written out by hand (the baseline),
* vjpgrad, and
* HIPS autograd (when installed),

in interleaved rounds (one run of each per round, in rotating order, so a slow moment
of a busy machine hits all three alike), and prints medians and ratios to the
hand-written NumPy version:

* MLP training step, batch 256, 784 -> 512 ReLU -> 10, softmax cross-entropy, float64;
* chains of 10,000 and 100,000 element-wise ops on a (4,) array, forward + backward;
* a tiny MLP step, batch 16, 8 -> 16 ReLU -> 1, squared error;
* the peak memory (tracemalloc) of the MLP step, and (for information) its page faults.

Timings use wall-clock time (``--clock cpu`` uses this process's CPU time instead,
which is steadier on a shared machine).  The garbage collector stays on, as in real
use; it is run before each timed call so that no run pays for another's garbage.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from .tensor import Tensor

try:  # page-fault counts (Unix only)
    import resource
except ImportError:  # pragma: no cover - depends on the platform
    resource = None

try:  # the optional comparison
    import autograd
    import autograd.numpy as anp
    from autograd import grad as autograd_grad
except ImportError:  # pragma: no cover - depends on the environment
    autograd = None

LR = 1e-3


# --------------------------------------------------------------------------------------
# MLP step (big and tiny): data, and the three implementations
# --------------------------------------------------------------------------------------


def mlp_params(sizes: tuple[int, ...], seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params += [rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in), np.zeros(fan_out)]
    return params


def _backprop_and_step(params: list[np.ndarray], X: np.ndarray, h: np.ndarray,
                       a: np.ndarray, dout: np.ndarray) -> None:
    """Hand-written backward pass of X -> relu(X W1 + b1) W2 + b2 from d(loss)/d(out), then SGD."""
    W1, b1, W2, b2 = params
    dW2 = a.T @ dout
    db2 = dout.sum(axis=0)
    dh = (dout @ W2.T) * (h > 0)
    dW1 = X.T @ dh
    db1 = dh.sum(axis=0)
    for p, g in zip(params, (dW1, db1, dW2, db2)):
        p -= LR * g


def numpy_xent_step(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> float:
    """One SGD step of a 1-hidden-layer ReLU MLP with softmax cross-entropy, by hand."""
    W1, b1, W2, b2 = params
    n = X.shape[0]
    rows = np.arange(n)
    h = X @ W1 + b1
    a = np.maximum(h, 0.0)
    logits = a @ W2 + b2
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(s[:, 0]) + m[:, 0] - logits[rows, y])
    dlogits = e / s  # softmax
    dlogits[rows, y] -= 1.0
    dlogits /= n
    _backprop_and_step(params, X, h, a, dlogits)
    return float(loss)


def vjpgrad_xent_step(params: list[Tensor], X: np.ndarray, y: np.ndarray) -> float:
    """The same step with vjpgrad."""
    W1, b1, W2, b2 = params
    logits = (X @ W1 + b1).relu() @ W2 + b2
    loss = (logits.logsumexp(axis=1) - logits[np.arange(len(y)), y]).mean()
    loss.backward()
    for p in params:
        p.value -= LR * p.grad
        p.grad = None
    return loss.item()


def _autograd_xent_loss(params: list, X: np.ndarray, y: np.ndarray) -> Any:
    W1, b1, W2, b2 = params
    logits = anp.dot(anp.maximum(anp.dot(X, W1) + b1, 0.0), W2) + b2
    m = anp.max(logits, axis=1, keepdims=True)
    lse = m[:, 0] + anp.log(anp.sum(anp.exp(logits - m), axis=1))
    return anp.mean(lse - logits[anp.arange(len(y)), y])


def autograd_xent_step(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> None:
    """The same step with HIPS autograd."""
    for p, g in zip(params, _AUTOGRAD_XENT_GRAD(params, X, y)):
        p -= LR * g


def numpy_mse_step(params: list[np.ndarray], X: np.ndarray, t: np.ndarray) -> float:
    """One SGD step of a tiny ReLU MLP with mean squared error, by hand."""
    W1, b1, W2, b2 = params
    h = X @ W1 + b1
    a = np.maximum(h, 0.0)
    r = a @ W2 + b2 - t
    loss = np.mean(r * r)
    _backprop_and_step(params, X, h, a, r * (2.0 / r.size))
    return float(loss)


def vjpgrad_mse_step(params: list[Tensor], X: np.ndarray, t: np.ndarray) -> float:
    W1, b1, W2, b2 = params
    r = (X @ W1 + b1).relu() @ W2 + b2 - t
    loss = (r * r).mean()
    loss.backward()
    for p in params:
        p.value -= LR * p.grad
        p.grad = None
    return loss.item()


def _autograd_mse_loss(params: list, X: np.ndarray, t: np.ndarray) -> Any:
    W1, b1, W2, b2 = params
    r = anp.dot(anp.maximum(anp.dot(X, W1) + b1, 0.0), W2) + b2 - t
    return anp.mean(r * r)


def autograd_mse_step(params: list[np.ndarray], X: np.ndarray, t: np.ndarray) -> None:
    for p, g in zip(params, _AUTOGRAD_MSE_GRAD(params, X, t)):
        p -= LR * g


if autograd is not None:
    _AUTOGRAD_XENT_GRAD = autograd_grad(_autograd_xent_loss)
    _AUTOGRAD_MSE_GRAD = autograd_grad(_autograd_mse_loss)


# --------------------------------------------------------------------------------------
# Chain of element-wise ops: y <- tanh(0.9 y + 0.1), three ops per step
# --------------------------------------------------------------------------------------


def numpy_chain(x: np.ndarray, n_ops: int) -> np.ndarray:
    """Forward keeping each tanh output, then the backward pass by hand; returns d sum(y)/dx."""
    y, outs = x, []
    for _ in range(n_ops // 3):
        y = np.tanh(y * 0.9 + 0.1)
        outs.append(y)
    g = np.ones_like(x)
    for out in reversed(outs):
        g = g * (1.0 - out * out)  # tanh
        g = g * 0.9  # the multiply (the add passes g on)
    return g


def vjpgrad_chain(x: np.ndarray, n_ops: int) -> np.ndarray:
    t = Tensor(x)
    y = t
    for _ in range(n_ops // 3):
        y = (y * 0.9 + 0.1).tanh()
    y.sum().backward()
    return t.grad


def autograd_chain(x: np.ndarray, n_ops: int) -> np.ndarray:
    def f(v: Any) -> Any:
        for _ in range(n_ops // 3):
            v = anp.tanh(v * 0.9 + 0.1)
        return anp.sum(v)

    return autograd_grad(f)(x)


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------


def _timed(fn: Callable[[], Any], clock: Callable[[], float]) -> float:
    gc.collect()
    t0 = clock()
    fn()
    return clock() - t0


def compare(runs: dict[str, Callable[[], Any]], rounds: int, clock: Callable[[], float],
            calls: int = 1) -> dict[str, float]:
    """Median time of one call of each function, over interleaved rounds (after a warm-up).

    Each round runs every function once (``calls`` times), starting with a different one
    each round, so that neither a busy moment nor going first favours any of them.
    """
    for fn in runs.values():
        fn()

    def many(fn: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(calls):
                fn()
        return run

    times: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:  # rotate: no order bias
            times[name].append(_timed(many(runs[name]), clock) / calls)
    return {name: statistics.median(ts) for name, ts in times.items()}


def peak_memory(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated (tracemalloc, which NumPy reports to) while fn runs."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def page_faults(runs: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    """Minor page faults per call of each function, over interleaved rounds: memory the
    allocator had given back to the system and has to fault in again (on a virtual
    machine each costs about a microsecond)."""
    faults = dict.fromkeys(runs, 0)
    for _ in range(rounds):
        for name, fn in runs.items():
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            fn()
            faults[name] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    return {name: count / rounds for name, count in faults.items()}


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------


def run(quick: bool = False, clock_name: str = "wall", use_autograd: bool = True) -> list[dict[str, Any]]:
    """Run all benchmarks and return one row per figure (also printed by main())."""
    clock = time.perf_counter if clock_name == "wall" else time.process_time
    with_ag = use_autograd and autograd is not None
    rows: list[dict[str, Any]] = []

    def row(name: str, unit: str, scale: float, times: dict[str, float], target: str, value: float,
            limit: float | None) -> None:
        rows.append({
            "benchmark": name, "unit": unit,
            "numpy": times["numpy"] * scale, "vjpgrad": times["vjpgrad"] * scale,
            "autograd": times["autograd"] * scale if "autograd" in times else None,
            "target": target, "measured": value, "limit": limit,
            "ok": None if limit is None else value <= limit,
        })

    # -- MLP step ----------------------------------------------------------------------
    batch, sizes = (32, (784, 64, 10)) if quick else (256, (784, 512, 10))
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((batch, sizes[0])), rng.integers(0, sizes[-1], batch)
    np_params = mlp_params(sizes)
    vg_params = [Tensor(p.copy()) for p in np_params]
    ag_params = [p.copy() for p in np_params]
    runs = {"numpy": lambda: numpy_xent_step(np_params, X, y),
            "vjpgrad": lambda: vjpgrad_xent_step(vg_params, X, y)}
    if with_ag:
        runs["autograd"] = lambda: autograd_xent_step(ag_params, X, y)
    times = compare(runs, rounds=3 if quick else 31, clock=clock)
    ratio = times["vjpgrad"] / times["numpy"]
    row(f"MLP step, batch {batch}, {sizes[0]}-{sizes[1]}-{sizes[2]}", "ms", 1e3, times,
        "<= 1.05x NumPy", ratio, 1.05)

    # -- peak memory of the MLP step -----------------------------------------------------
    mem = {name: float(peak_memory(fn)) for name, fn in runs.items()}
    ratio = mem["vjpgrad"] / mem["numpy"]
    row("MLP step, peak memory", "MB", 1e-6, mem, "<= 1.3x NumPy", ratio, 1.3)
    if resource is not None:  # explains much of the MLP step's time on a virtual machine
        faults = page_faults(runs, rounds=2 if quick else 20)
        row("MLP step, page faults per step", "count", 1.0, faults, "(for information)",
            faults["vjpgrad"] / faults["numpy"] if faults["numpy"] else float("nan"), None)

    # -- chains ----------------------------------------------------------------------------
    x = np.linspace(-1.0, 1.0, 4)
    for n_ops in ((999, 3_000) if quick else (10_002, 100_002)):
        runs = {"numpy": lambda n=n_ops: numpy_chain(x, n), "vjpgrad": lambda n=n_ops: vjpgrad_chain(x, n)}
        if with_ag:
            runs["autograd"] = lambda n=n_ops: autograd_chain(x, n)
        times = compare(runs, rounds=2 if quick else (15 if n_ops < 50_000 else 7), clock=clock)
        per_op = {k: v / n_ops for k, v in times.items()}
        row(f"chain of {n_ops:,} ops on (4,), per op", "us", 1e6, per_op, "<= 4.5 us/op",
            per_op["vjpgrad"] * 1e6, 4.5)

    # -- tiny MLP step -------------------------------------------------------------------
    rng = np.random.default_rng(2)
    Xs, ts = rng.standard_normal((16, 8)), rng.standard_normal((16, 1))
    np_small = mlp_params((8, 16, 1))
    vg_small = [Tensor(p.copy()) for p in np_small]
    ag_small = [p.copy() for p in np_small]
    runs = {"numpy": lambda: numpy_mse_step(np_small, Xs, ts),
            "vjpgrad": lambda: vjpgrad_mse_step(vg_small, Xs, ts)}
    if with_ag:
        runs["autograd"] = lambda: autograd_mse_step(ag_small, Xs, ts)
    times = compare(runs, rounds=3 if quick else 31, clock=clock, calls=20 if quick else 200)
    ratio = times["vjpgrad"] / times["numpy"]
    row("tiny MLP step, batch 16, 8-16-1", "us", 1e6, times, "<= 4x NumPy", ratio, 4.0)
    return rows


def _with_ratio(value: float | None, baseline: float) -> str:
    """'value (ratio to baseline)', or 'n/a' for no value (no ratio to a zero baseline)."""
    if value is None:
        return "n/a"
    return f"{value:.3f}" + (f" ({value / baseline:.2f}x)" if baseline else "")


def format_table(rows: list[dict[str, Any]]) -> str:
    head = ["benchmark", "unit", "NumPy by hand", "vjpgrad", "HIPS autograd", "target", "measured", "met"]
    lines = []
    for r in rows:
        if r["measured"] != r["measured"]:  # NaN: no ratio to a zero baseline
            measured = "n/a"
        elif "us/op" in r["target"]:
            measured = f"{r['measured']:.2f} us/op"
        else:
            measured = f"{r['measured']:.3f}x"
        lines.append([
            r["benchmark"], r["unit"], f"{r['numpy']:.3f}", _with_ratio(r["vjpgrad"], r["numpy"]),
            _with_ratio(r["autograd"], r["numpy"]), r["target"], measured,
            "-" if r["ok"] is None else "yes" if r["ok"] else "NO",
        ])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    out = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vjpgrad.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and few rounds: a smoke test only")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall-clock time (default) or this process's CPU time")
    parser.add_argument("--no-autograd", action="store_true", help="skip the HIPS autograd comparison")
    args = parser.parse_args(argv)

    versions = f"Python {platform.python_version()}, NumPy {np.__version__}"
    if autograd is not None and not args.no_autograd:
        from importlib.metadata import version

        versions += f", autograd {version('autograd')}"
    print(f"vjpgrad benchmarks ({versions}; {args.clock} clock, medians; ratios to hand-written NumPy)")
    if args.quick:
        print("quick mode: small sizes and few rounds; these figures are NOT the benchmark")
    rows = run(quick=args.quick, clock_name=args.clock, use_autograd=not args.no_autograd)
    print(format_table(rows))
    print("chain: y <- tanh(0.9 y + 0.1), three element-wise ops per step, then sum and backward")
    return 0


if __name__ == "__main__":
    sys.exit(main())
