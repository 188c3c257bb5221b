"""The Erlang C model of a queue of callers: probability of waiting, service level, speed of answer.

Calls arrive at random (a Poisson process), each takes an agent on average ``aht_seconds``
(the *average handling time*, exponentially distributed), and a caller who finds every
agent busy waits in line without hanging up. With ``traffic`` ``A`` Erlangs (calls per
second x seconds per call: the number of agents that would be busy all the time) and ``N``
agents, for ``N > A``:

* probability that a caller waits (Erlang C): ``C = N B / (N - A (1 - B))``, where ``B``
  is the Erlang B blocking probability, computed by the recursion
  ``B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1))``; it stays between 0 and 1, so no factorial
  or power of ``A`` is ever formed and nothing overflows, even for thousands of agents;
* service level, the share of callers answered within ``t`` seconds:
  ``SL = 1 - C exp(-(N - A) t / aht)``;
* average speed of answer (mean wait, all callers): ``ASA = C aht / (N - A)``;
* occupancy, the share of agents' time spent on calls: ``A / N``.

With ``N <= A`` the queue grows without end: every caller waits (``C = 1``), the service
level is 0 and the mean wait is infinite. The functions return exactly that, so a whole
day of half-hours can be computed at once; :func:`~crmlab.analysis.service.agents_needed`
always returns an ``N > A``.

Sources: the formulas are those of Gans, Koole and Mandelbaum (2003), "Telephone call
centers: tutorial, review, and research prospects", *Manufacturing & Service Operations
Management* 5(2), 79-141. The worked example of Call Centre Helper's "Erlang C Formula --
Made Simple With an Easy Worked Example" (100 calls per half hour, 180 seconds each:
``A = 10`` Erlangs; with ``N = 11`` agents ``P(wait) = 0.6821``) is reproduced in the tests,
which also recompute it exactly with fractions.

What the model leaves out: callers who hang up (Erlang A), breaks and absence (shrinkage, see
:func:`~crmlab.analysis.service.staffing_table`), and agents who are not all alike. Treat its
numbers as the minimum on the phones.
"""

from __future__ import annotations

import numpy as np

from crmlab.validation import numbers, whole_numbers

__all__ = ["average_speed_of_answer", "erlang_b", "erlang_c", "occupancy", "service_level", "traffic_erlangs"]


def _out(values: np.ndarray, *inputs: object):
    """A Python float (or int) when every input was a scalar, else the array."""
    if all(np.ndim(x) == 0 for x in inputs):
        return values.item()
    return values


def _erlang_b(traffic: np.ndarray, agents: np.ndarray) -> np.ndarray:
    """Erlang B for broadcast arrays by the stable recursion (values stay in [0, 1])."""
    traffic, agents = np.broadcast_arrays(traffic, agents)
    blocked = np.ones(traffic.shape)
    for k in range(1, int(agents.max(initial=0)) + 1):
        step = traffic * blocked
        blocked = np.where(k <= agents, step / (k + step), blocked)
    return blocked


def _erlang_c(traffic: np.ndarray, agents: np.ndarray) -> np.ndarray:
    traffic, agents = np.broadcast_arrays(traffic, agents)
    blocked = _erlang_b(traffic, agents)
    stable = agents > traffic
    with np.errstate(divide="ignore", invalid="ignore"):
        waiting = agents * blocked / (agents - traffic * (1 - blocked))
    return np.where(stable, waiting, 1.0)


def erlang_b(traffic: float | np.ndarray, agents: int | np.ndarray) -> float | np.ndarray:
    """Probability that a call is lost when ``agents`` lines carry ``traffic`` Erlangs and nobody waits.

    Erlang's loss formula, by the recursion ``B(k) = A B(k-1) / (k + A B(k-1))``. Here it is
    the stepping stone to :func:`erlang_c`.

    Parameters
    ----------
    traffic : float or array
        Offered traffic ``A`` in Erlangs (0 or more).
    agents : int or array
        Number of agents (lines) ``N``, whole numbers of at least 1; broadcast against ``traffic``.

    Returns
    -------
    float or ndarray
        ``B(N, A)``, between 0 and 1.

    Examples
    --------
    >>> round(erlang_b(10, 11), 4)
    0.1632
    >>> erlang_b(2, 1)  # one line, 2 Erlangs offered: 2/3 of calls are lost
    0.6666666666666666
    """
    a = numbers("traffic", traffic, at_least=0)
    n = whole_numbers("agents", agents)
    return _out(_erlang_b(a, n), traffic, agents)


def erlang_c(traffic: float | np.ndarray, agents: int | np.ndarray) -> float | np.ndarray:
    """Probability that a caller has to wait (Erlang C), with ``traffic`` Erlangs and ``agents`` agents.

    Parameters
    ----------
    traffic : float or array
        Offered traffic ``A`` in Erlangs: calls per second x average handling time in seconds
        (see :func:`traffic_erlangs`).
    agents : int or array
        Number of agents ``N`` (whole numbers of at least 1), broadcast against ``traffic``.

    Returns
    -------
    float or ndarray
        ``P(wait)`` between 0 and 1; exactly 1 where ``N <= A`` (an unstable queue: every caller waits).

    Notes
    -----
    ``C = N B / (N - A (1 - B))`` with ``B`` from the Erlang B recursion (see the module's
    docstring), equal to the textbook ``(A^N / N!) (N / (N - A)) / (sum_{k<N} A^k / k! +
    (A^N / N!) (N / (N - A)))`` without its overflowing powers and factorials (Gans, Koole and
    Mandelbaum, 2003). Check value: Call Centre Helper, "Erlang C Formula -- Made Simple With an
    Easy Worked Example": 100 calls per half hour of 180 seconds (``A = 10``), ``N = 11``:
    ``P(wait) = 0.6821``; ``tests/test_analysis_service.py`` recomputes it exactly with fractions.

    Examples
    --------
    Call Centre Helper's worked example: 10 Erlangs, 11 agents.

    >>> round(erlang_c(10, 11), 4)
    0.6821
    >>> erlang_c(10, [10, 11, 12, 14]).round(4)  # 10 agents for 10 Erlangs: the queue never empties
    array([1.    , 0.6821, 0.4494, 0.1741])
    """
    a = numbers("traffic", traffic, at_least=0)
    n = whole_numbers("agents", agents)
    return _out(_erlang_c(a, n), traffic, agents)


def service_level(
    traffic: float | np.ndarray, agents: int | np.ndarray, *, aht_seconds: float, target_seconds: float = 20
) -> float | np.ndarray:
    """Share of callers answered within ``target_seconds``: ``1 - C exp(-(N - A) t / aht)``.

    Parameters
    ----------
    traffic : float or array
        Offered traffic ``A`` in Erlangs.
    agents : int or array
        Number of agents ``N``.
    aht_seconds : float
        Average handling time of a call, in seconds (above 0).
    target_seconds : float
        The answer-time target ``t`` in seconds, e.g. 20 for "80% answered within 20 seconds".

    Returns
    -------
    float or ndarray
        A share between 0 and 1; 0 where ``N <= A``.

    Examples
    --------
    By hand: ``1 - 0.6821 * exp(-(11 - 10) * 20 / 180) = 0.3896``.

    >>> round(service_level(10, 11, aht_seconds=180, target_seconds=20), 4)
    0.3896
    >>> service_level(10, 10, aht_seconds=180)
    0.0
    """
    a = numbers("traffic", traffic, at_least=0)
    n = whole_numbers("agents", agents)
    aht = numbers("aht_seconds", aht_seconds, above=0)
    t = numbers("target_seconds", target_seconds, at_least=0)
    a, n = np.broadcast_arrays(a, n)
    waiting = _erlang_c(a, n)
    level = np.where(n > a, 1 - waiting * np.exp(-(n - a) * t / aht), 0.0)
    return _out(level, traffic, agents, aht_seconds, target_seconds)


def average_speed_of_answer(
    traffic: float | np.ndarray, agents: int | np.ndarray, *, aht_seconds: float
) -> float | np.ndarray:
    """Mean wait of all callers, in seconds (ASA): ``C aht / (N - A)``.

    Callers answered at once count with a wait of 0, so the ASA is much shorter than the
    wait of those who do queue (``aht / (N - A)`` on average).

    Parameters
    ----------
    traffic : float or array
        Offered traffic ``A`` in Erlangs.
    agents : int or array
        Number of agents ``N``.
    aht_seconds : float
        Average handling time in seconds.

    Returns
    -------
    float or ndarray
        Seconds; ``inf`` where ``N <= A``.

    Examples
    --------
    By hand: ``0.6821 * 180 / (11 - 10) = 122.8`` seconds.

    >>> round(average_speed_of_answer(10, 11, aht_seconds=180), 1)
    122.8
    >>> average_speed_of_answer(10, 9, aht_seconds=180)
    inf
    """
    a = numbers("traffic", traffic, at_least=0)
    n = whole_numbers("agents", agents)
    aht = numbers("aht_seconds", aht_seconds, above=0)
    a, n = np.broadcast_arrays(a, n)
    waiting = _erlang_c(a, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        asa = np.where(n > a, waiting * aht / (n - a), np.inf)
    return _out(asa, traffic, agents, aht_seconds)


def occupancy(traffic: float | np.ndarray, agents: int | np.ndarray) -> float | np.ndarray:
    """Share of the agents' time spent on calls: ``A / N``, at most 1 (an overloaded team is busy all the time).

    Parameters
    ----------
    traffic : float or array
        Offered traffic ``A`` in Erlangs.
    agents : int or array
        Number of agents ``N``.

    Returns
    -------
    float or ndarray
        A share between 0 and 1.

    Examples
    --------
    >>> round(occupancy(10, 11), 3)
    0.909
    """
    a = numbers("traffic", traffic, at_least=0)
    n = whole_numbers("agents", agents)
    return _out(np.minimum(a / n, 1.0), traffic, agents)


def traffic_erlangs(
    calls: float | np.ndarray, *, period_minutes: float = 30, aht_seconds: float = 240
) -> float | np.ndarray:
    """Offered traffic in Erlangs: ``calls`` in ``period_minutes``, each taking ``aht_seconds``.

    It is the number of agents the calls would keep busy full time: 100 calls of 3 minutes in
    half an hour are 300 call-minutes in 30 minutes, 10 Erlangs.

    Parameters
    ----------
    calls : float or array
        Calls arriving in the period.
    period_minutes : float
        Length of the period in minutes.
    aht_seconds : float
        Average handling time in seconds.

    Returns
    -------
    float or ndarray
        Erlangs.

    Examples
    --------
    >>> traffic_erlangs(100, period_minutes=30, aht_seconds=180)
    10.0
    """
    c = numbers("calls", calls, at_least=0)
    period = numbers("period_minutes", period_minutes, above=0)
    aht = numbers("aht_seconds", aht_seconds, above=0)
    return _out(c * aht / (period * 60), calls, period_minutes, aht_seconds)
