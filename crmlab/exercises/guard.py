"""A time limit for checking one answer, safe inside a Jupyter kernel.

A learner's object can make a check hang: an ``__eq__`` that sleeps, a ``__float__``
that loops. :class:`Budget` gives a check a few seconds (``CRMLAB_CHECK_TIMEOUT``,
default 5) spread over the parts that touch the learner's answer; author code
(computing the expected value) runs outside the budget.

How the limit is enforced, and why:

- **In the main thread on Linux/macOS** (where a Jupyter kernel runs cells), with
  ``signal.setitimer`` and ``SIGALRM``. The handler raises :class:`CheckTimeout`
  in the checking code; unlike anything a helper thread can do, a signal also
  interrupts ``time.sleep`` and other blocking calls. The timer repeats every
  0.2 s after the first expiry, in case the learner's code swallows the first
  exception with a bare ``except:``. The previous handler and timer are restored.
  Nothing else may be using ``SIGALRM``: when another handler is installed or a
  timer is running (pytest-timeout, for instance), the fallback below is used.
- **Elsewhere** (a helper thread, Windows, or SIGALRM taken): a watchdog thread
  raises :class:`CheckTimeout` in the checking thread with
  ``PyThreadState_SetAsyncExc``. That stops Python code (loops, recursion), not a
  blocking C call such as a long ``time.sleep``, which delays the verdict until it
  returns. A pending exception is cleared so it cannot escape after the check.
- A subprocess was rejected: the answer would have to be pickled, and the
  learner's objects (lambdas, open files, subclasses defined in the notebook)
  often cannot be.

:class:`CheckTimeout` derives from ``BaseException`` so that ``except Exception``
in the comparison code or in the learner's methods does not swallow it.
Nested budgets do not re-arm the timer: the outermost one decides.
"""

from __future__ import annotations

import ctypes
import math
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["DEFAULT_TIMEOUT", "ENV_TIMEOUT", "Budget", "CheckTimeout", "check_timeout"]

ENV_TIMEOUT = "CRMLAB_CHECK_TIMEOUT"
DEFAULT_TIMEOUT = 5.0
_REPEAT = 0.2  # seconds between repeated alarms once the limit is passed

T = TypeVar("T")
_state = threading.local()


class CheckTimeout(BaseException):  # noqa: N818 - not an error of the program, a verdict
    """Raised inside a check that ran out of time; turned into feedback by the caller."""


def check_timeout(value: float | str | None = None) -> float:
    """The time limit per check in seconds; ``0`` means no limit.

    Parameters
    ----------
    value : float or str, optional
        An explicit limit; by default ``$CRMLAB_CHECK_TIMEOUT``, else 5 seconds.

    Raises
    ------
    ValueError
        When the value is not a number of seconds (or ``off``).

    Examples
    --------
    >>> check_timeout(2), check_timeout("off"), check_timeout("0.5")
    (2.0, 0.0, 0.5)
    """
    if value is None:
        value = os.environ.get(ENV_TIMEOUT, "").strip() or DEFAULT_TIMEOUT
    if isinstance(value, str) and value.strip().lower() in {"off", "none", "no"}:
        return 0.0
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if math.isnan(seconds) or seconds < 0:
        raise ValueError(
            f"The time limit per check ({ENV_TIMEOUT} or `time_limit=`) must be a number of "
            f"seconds, or 'off'; {value!r} was given. Unset it for the default of {DEFAULT_TIMEOUT:g} s."
        )
    return seconds


class Budget:
    """Seconds shared by the parts of one check that touch the learner's answer.

    Parameters
    ----------
    seconds : float
        The total limit; 0 or ``inf`` means none.

    Examples
    --------
    >>> budget = Budget(1.0)
    >>> budget.run(lambda: 6 * 7)
    42
    >>> import time
    >>> try:
    ...     Budget(0.1).run(lambda: time.sleep(5))
    ... except CheckTimeout:
    ...     print("stopped")
    stopped
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.remaining = seconds if seconds and math.isfinite(seconds) else math.inf

    def run(self, fn: Callable[[], T]) -> T:
        """Call ``fn()``; raise :class:`CheckTimeout` once the budget is spent."""
        if self.remaining <= 0:
            raise CheckTimeout(self.seconds)
        if not math.isfinite(self.remaining) or getattr(_state, "active", False):
            return fn()
        start = time.monotonic()
        _state.active = True
        try:
            if _alarm_available():
                return _with_alarm(fn, self.remaining)
            return _with_watchdog(fn, self.remaining)
        finally:
            _state.active = False
            self.remaining -= time.monotonic() - start


def _alarm_available() -> bool:
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return False
    try:
        handler = signal.getsignal(signal.SIGALRM)
        running = signal.getitimer(signal.ITIMER_REAL)[0] > 0
    except (ValueError, OSError):
        return False
    return handler in (signal.SIG_DFL, signal.SIG_IGN) and not running


def _on_alarm(signum: int, frame: Any) -> None:
    raise CheckTimeout()


def _with_alarm(fn: Callable[[], T], seconds: float) -> T:
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT)
        try:
            return fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> None:
    target = ctypes.py_object(exc) if exc is not None else None
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), target)


def _with_watchdog(fn: Callable[[], T], seconds: float) -> T:
    thread_id, lock, done, fired = threading.get_ident(), threading.Lock(), threading.Event(), threading.Event()

    def watch() -> None:
        wait = seconds
        while not done.wait(wait):
            with lock:
                if done.is_set():
                    return
                _set_async_exc(thread_id, CheckTimeout)
                fired.set()
            wait = _REPEAT

    watchdog = threading.Thread(target=watch, name="crmlab-check-timeout", daemon=True)
    try:
        watchdog.start()
        try:
            return fn()
        finally:
            with lock:
                done.set()
            if fired.is_set():
                _set_async_exc(thread_id, None)  # clear an exception not delivered yet
                raise CheckTimeout(seconds)
    except CheckTimeout:
        with lock:
            done.set()
        _set_async_exc(thread_id, None)
        raise CheckTimeout(seconds) from None
