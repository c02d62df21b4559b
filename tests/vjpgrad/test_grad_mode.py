"""Recording modes (no_grad, enable_grad, keep_values) belong to the thread that sets
them, as in PyTorch (F1), and @no_grad keeps recording off while a decorated generator
runs (F20)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from vjpgrad import Tensor, enable_grad, is_grad_enabled, keep_values, no_grad


def run_in_thread(target: Callable[[], None]) -> threading.Thread:
    """Start `target` in a thread; an exception in it is re-raised by `finish`."""
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            target()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=guarded, daemon=True)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def finish(thread: threading.Thread) -> None:
    thread.join(timeout=30)
    assert not thread.is_alive(), "the thread did not finish"
    if thread.errors:  # type: ignore[attr-defined]
        raise thread.errors[0]  # type: ignore[attr-defined]


def wait(event: threading.Event) -> None:
    assert event.wait(timeout=30), "a thread never reached its step"


def test_no_grad_in_another_thread_does_not_stop_recording_here() -> None:
    """F1, the review's reproducer: an evaluation thread in no_grad while this thread
    builds a graph; W1 silently got no gradient."""
    W1, W2 = Tensor(np.ones((3, 3))), Tensor(np.ones((3, 1)))
    inside, release = threading.Event(), threading.Event()

    def evaluate() -> None:
        with no_grad():
            inside.set()
            wait(release)
            assert not is_grad_enabled()

    thread = run_in_thread(evaluate)
    wait(inside)
    assert is_grad_enabled()
    h = np.ones((2, 3)) @ W1  # meanwhile, in this thread
    release.set()
    finish(thread)
    (h @ W2).sum().backward()
    np.testing.assert_array_equal(W1.grad, np.full((3, 3), 2.0))
    np.testing.assert_array_equal(W2.grad.ravel(), [6.0, 6.0, 6.0])


def test_interleaved_no_grad_and_enable_grad_in_two_threads() -> None:
    """F1: A enters no_grad, B enters enable_grad, A exits, B exits.  With one global
    flag, recording stayed off for good and every later backward() raised."""
    a_entered, b_entered, a_exited = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def thread_a() -> None:
        with no_grad():
            a_entered.set()
            wait(b_entered)
            seen["A inside, after B entered enable_grad"] = is_grad_enabled()
            seen["A records inside"] = (Tensor([1.0]) * 2.0).requires_grad
        seen["A after"] = is_grad_enabled()
        a_exited.set()

    def thread_b() -> None:
        wait(a_entered)
        with enable_grad():
            b_entered.set()
            wait(a_exited)
            seen["B inside, after A exited"] = is_grad_enabled()
        seen["B after"] = is_grad_enabled()

    threads = [run_in_thread(thread_a), run_in_thread(thread_b)]
    for thread in threads:
        finish(thread)
    assert seen == {
        "A inside, after B entered enable_grad": False,
        "A records inside": False,
        "A after": True,
        "B inside, after A exited": True,
        "B after": True,
    }
    assert is_grad_enabled()
    x = Tensor([1.0, 2.0])
    (x * x).sum().backward()  # raised RuntimeError before: nothing was recorded
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_one_no_grad_object_shared_by_two_threads() -> None:
    """F1: a module-level `NO_GRAD = no_grad()` entered from two threads at once must
    restore each thread's own mode on exit.  A is recording when it enters; B enters
    from inside an outer no_grad.  A exits first and must be recording again."""
    shared = no_grad()
    a_entered, b_entered, a_exited = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def thread_a() -> None:
        with shared:
            a_entered.set()
            wait(b_entered)
        seen["A after"] = is_grad_enabled()
        a_exited.set()

    def thread_b() -> None:
        wait(a_entered)
        with no_grad():
            with shared:
                b_entered.set()
                wait(a_exited)
            seen["B after the shared one, inside its outer no_grad"] = is_grad_enabled()
        seen["B after"] = is_grad_enabled()

    threads = [run_in_thread(thread_a), run_in_thread(thread_b)]
    for thread in threads:
        finish(thread)
    assert seen == {
        "A after": True,
        "B after the shared one, inside its outer no_grad": False,
        "B after": True,
    }


def test_a_new_thread_records_even_if_its_creator_is_in_no_grad() -> None:
    seen = []
    with no_grad():
        thread = run_in_thread(lambda: seen.append((Tensor([1.0]) * 2.0).requires_grad))
        finish(thread)
        assert not is_grad_enabled()
    assert seen == [True]


def test_keep_values_in_another_thread_does_not_keep_values_here() -> None:
    inside, release = threading.Event(), threading.Event()
    kept = []

    def record_with_values() -> None:
        with keep_values():
            inside.set()
            wait(release)
            kept.append((Tensor([1.0]) * 2.0).node.values is not None)

    thread = run_in_thread(record_with_values)
    wait(inside)
    here = Tensor([1.0, 2.0]) * 2.0
    release.set()
    finish(thread)
    assert here.node.values is None and kept == [True]


def test_threads_train_separate_graphs_at_the_same_time() -> None:
    """Each thread its own graph, some evaluating in no_grad between steps."""
    results: dict[int, np.ndarray] = {}
    barrier = threading.Barrier(4)

    def train(k: int) -> None:
        w = Tensor(np.full(3, float(k)))
        barrier.wait(timeout=30)
        for step in range(50):
            loss = (w * w).sum()
            if step % 2:
                with no_grad():
                    (w * 3.0).sum()
            loss.backward()
        results[k] = w.grad

    threads = [run_in_thread(lambda k=k: train(k)) for k in range(4)]
    for thread in threads:
        finish(thread)
    for k in range(4):
        np.testing.assert_array_equal(results[k], np.full(3, 100.0 * k))


# ---- @no_grad on generators (F20) ---------------------------------------------------


def test_no_grad_on_a_generator_function_keeps_recording_off_inside() -> None:
    """F20: the decorator used to return at once with a generator object, so the body
    then ran with recording on."""
    w = Tensor([1.0, 2.0])

    @no_grad
    def evaluate(n: int):
        for i in range(n):
            yield w * float(i), is_grad_enabled()

    outputs = list(evaluate(3))
    assert [y.requires_grad for y, _ in outputs] == [False] * 3
    assert [mode for _, mode in outputs] == [False] * 3
    assert is_grad_enabled()


def test_between_steps_the_callers_mode_holds() -> None:
    w = Tensor([1.0, 2.0])

    @no_grad()
    def batches():
        yield w * 2.0
        yield w * 3.0

    steps = batches()
    first = next(steps)
    assert is_grad_enabled() and (w * 1.0).requires_grad  # the caller records meanwhile
    second = next(steps)
    assert not first.requires_grad and not second.requires_grad
    assert batches.__name__ == "batches"


def test_enable_grad_on_a_generator_records_inside_no_grad() -> None:
    w = Tensor([1.0, 2.0])

    @enable_grad
    def steps():
        yield w * 2.0

    with no_grad():
        (y,) = list(steps())
        assert not is_grad_enabled()
    assert y.requires_grad


def test_a_decorated_generator_still_receives_sent_values_and_returns() -> None:
    @no_grad
    def echo():
        received = yield "ready"
        while received is not None:
            received = yield (received * 2.0).requires_grad
        return "done"

    steps = echo()
    assert next(steps) == "ready"
    assert steps.send(Tensor([1.0])) is False
    try:
        steps.send(None)
    except StopIteration as stop:
        assert stop.value == "done"
    else:
        raise AssertionError("the generator did not return")


def test_a_decorated_generator_handles_exceptions_thrown_into_it() -> None:
    """A generator decorated with @no_grad is still that generator: throw() reaches its
    try/except and close() its finally, and that code also runs in no_grad (as
    PyTorch's decorator does)."""
    events: list[tuple[str, bool]] = []

    @no_grad
    def guarded():
        try:
            yield 1
        except ValueError:
            events.append(("except", is_grad_enabled()))
            yield "handled"
        finally:
            events.append(("finally", is_grad_enabled()))

    steps = guarded()
    next(steps)
    assert steps.throw(ValueError("stop")) == "handled"
    steps.close()
    assert events == [("except", False), ("finally", False)]
    assert is_grad_enabled()
