"""Progress bars (tqdm) for long batches of notebooks: the course runner and grading.

A bar shows the notebooks done of all of them, those running now, the time elapsed and the
time left. It is shown only when asked: ``progress=True`` (on stderr), a stream to write it
to, or ``None`` for "when stderr is a terminal" (what the command line passes). Library calls
default to ``False``: nothing appears in a notebook, a log or captured test output unless asked.
Lines printed while the bar is up (the runner's line per notebook) go through :meth:`Bar.echo`,
which lifts the bar out of their way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import IO, Any

__all__ = ["Bar", "progress_bar", "progress_stream"]

_POSTFIX = 60  # characters of "now: ..." at most, so the bar keeps one line


def progress_stream(progress: bool | IO[str] | None) -> IO[str] | None:
    """Where a bar goes, or ``None`` for no bar.

    Parameters
    ----------
    progress : bool, stream or None
        ``True``: stderr; ``False``: no bar; ``None``: stderr when it is a terminal; a stream
        (anything with ``write``): that stream.

    Returns
    -------
    stream or None

    Examples
    --------
    >>> import io
    >>> progress_stream(False) is None, progress_stream(True) is sys.stderr
    (True, True)
    >>> buffer = io.StringIO()
    >>> progress_stream(buffer) is buffer
    True
    >>> progress_stream("yes")
    Traceback (most recent call last):
    ...
    TypeError: The value for `progress` must be True, False, None (a bar when stderr is a terminal) or a
    stream to write the bar to, but 'yes' was passed.
    """
    if progress is None:
        try:
            return sys.stderr if sys.stderr is not None and sys.stderr.isatty() else None
        except (AttributeError, ValueError):  # no isatty, or a closed stream
            return None
    if progress is True or progress is False:
        return sys.stderr if progress else None
    if callable(getattr(progress, "write", None)):
        return progress
    raise TypeError("The value for `progress` must be True, False, None (a bar when stderr is a terminal) or a "
                    f"stream to write the bar to, but {progress!r} was passed.")


class Bar:
    """A tqdm bar over ``total`` notebooks on ``stream``; with ``stream=None`` the same calls do nothing.

    Use :func:`progress_bar` to make one. ``now(names)`` says which notebooks are running,
    ``advance()`` counts one done, ``echo(line)`` prints a line without breaking the bar, and
    leaving the ``with`` block closes it (the final count stays on screen).
    """

    def __init__(self, total: int, stream: IO[str] | None, desc: str, unit: str) -> None:
        self._tqdm: Any = None
        if stream is not None and total > 0:
            from tqdm import tqdm  # imported only when a bar is shown

            self._tqdm = tqdm(total=total, desc=desc, unit=unit, file=stream, dynamic_ncols=True, leave=True)

    @property
    def shown(self) -> bool:
        """Whether a bar is drawn at all."""
        return self._tqdm is not None

    def now(self, names: Iterable[str]) -> None:
        """The notebooks running now, shown after the counts."""
        if self._tqdm is not None:
            # names come from file names and hand-ins: no escape sequence reaches the terminal
            text = "".join(c if c.isprintable() else "?" for c in ", ".join(names))
            text = text if len(text) <= _POSTFIX else text[: _POSTFIX - 3] + "..."
            self._tqdm.set_postfix_str(f"now: {text}" if text else "", refresh=True)

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more notebooks done."""
        if self._tqdm is not None:
            self._tqdm.update(n)

    def echo(self, line: str, echo: Callable[[str], object] = print) -> None:
        """``echo(line)``, with the bar cleared first and drawn again after, so the two never mix."""
        if self._tqdm is None:
            echo(line)
            return
        self._tqdm.clear()
        echo(line)
        self._tqdm.refresh()

    def close(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress_bar(total: int, progress: bool | IO[str] | None = False, *, desc: str = "notebooks",
                 unit: str = "notebook") -> Bar:
    """A :class:`Bar` over ``total`` notebooks, drawn where ``progress`` says (see :func:`progress_stream`).

    Examples
    --------
    >>> import io, re
    >>> stream = io.StringIO()
    >>> with progress_bar(2, stream, desc="notebooks") as bar:
    ...     bar.now(["00_welcome", "01_goals"])
    ...     bar.echo("[1/2] 00_welcome  ok")
    ...     bar.advance()
    ...     bar.advance()
    [1/2] 00_welcome  ok
    >>> re.findall(r"notebooks: +\\d+%.*?(\\d+/\\d+)", stream.getvalue())[-1]
    '2/2'
    >>> progress_bar(2).shown  # not asked: no bar
    False
    """
    return Bar(total, progress_stream(progress), desc, unit)
