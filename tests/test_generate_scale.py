"""generate_crm at scale: the same tables as before it was made fast, time in proportion to customers, progress.

The generator was rewritten for speed (issue 14): no draw may move, so every table must stay
bit for bit what it was. The oracle is :data:`SNAPSHOTS`, digests of the tables the generator
made *before* that rewrite (recorded from the earlier code, not from the code under test),
computed by :func:`_digest` here with plain pandas. Larger sizes (1e5 and 1e6 customers, both
markets) were compared the same way when the rewrite was made; the committed `datasets/crm`
files are the default arguments' tables and are compared byte for byte by the storage tests.
If a pandas upgrade changes ``hash_pandas_object``, these digests change with it: check the
tables against `datasets/crm` before recording new ones.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import math
import os
import pty
import struct
import subprocess
import sys
import termios
import time

import pandas as pd
import pytest

from crmlab.cli import main
from crmlab.datasets import generate_crm
from crmlab.datasets.synthetic import STAGES

#: sha256 (first 16 hex digits) of each table and of the truths, from the generator before issue 14's rewrite.
SNAPSHOTS = {
    (150, 7, "iran"): {
        "campaign_contacts": "eb31d258e52a5b5e", "campaigns": "005624522269ae52", "categories": "dadc350356c07c3d",
        "channels": "caf438e245382c7f", "customers": "2f56fe8ca1517b82", "interactions": "3c32d7e993db9520",
        "invoices": "92e5f3089010a233", "opportunities": "0c56692198923000", "opportunity_stages": "a675f39565785c78",
        "order_lines": "8a3f39558ed94464", "orders": "b2cf91184b72b356", "payments": "5bcdfaa3b67ea8c0",
        "products": "733415f1d0a4f7f7", "raw_customers": "b348e07b47429440", "raw_orders": "a001efdcd358da7c",
        "raw_tickets": "9cfc831fe87be31b", "rep_activity": "45602a0a60646061", "reps": "ebce55f340f79d18",
        "shipments": "54591d6a87457f08", "tickets": "9cfc831fe87be31b", "web_registrations": "d2d5ad9ec73ca635",
        "truth": "74ff49f585f4b500",
    },
    (150, 7, "generic"): {
        "campaign_contacts": "f02bc0c1206b6a6f", "campaigns": "babd1425da91ee9e", "categories": "dadc350356c07c3d",
        "channels": "5f90ada7b7d1f79f", "customers": "298a6172d137a806", "interactions": "01b2efa16458f497",
        "invoices": "8c097343d474f66b", "opportunities": "43d2798cc36f45c1", "opportunity_stages": "c01cc29142bd5a57",
        "order_lines": "556d2401acbbd016", "orders": "ebbfb94ba5ecf4be", "payments": "5b81b7c8ee7a94cd",
        "products": "5ef74446913cd55a", "raw_customers": "061a445fe96848ff", "raw_orders": "7889d0d76a8df5eb",
        "raw_tickets": "ad8605c706b36ac8", "rep_activity": "45602a0a60646061", "reps": "ebce55f340f79d18",
        "shipments": "7bbdbd6f19ea7774", "tickets": "d46e091ada4fdf53", "web_registrations": "00edac09d21cbdd6",
        "truth": "a3ff276260ef8608",
    },
    (500, 3, "generic"): {
        "campaign_contacts": "23686b8d4e828c5c", "campaigns": "3b0198b3b9d4f96a", "categories": "dadc350356c07c3d",
        "channels": "5f90ada7b7d1f79f", "customers": "519fb46b4053c916", "interactions": "edf10aae1e2d635c",
        "invoices": "b8da26d1b14e413d", "opportunities": "f19ba109985a0067", "opportunity_stages": "f1e6c6960044291a",
        "order_lines": "9b470b6d7634f3c8", "orders": "db40fade1ba6d5db", "payments": "0633679695dc7fd6",
        "products": "dfa64d457a9722d7", "raw_customers": "fb1b881652caec0c", "raw_orders": "3c937a889071e70f",
        "raw_tickets": "17c4245695c0cede", "rep_activity": "cd1dffb76ffdbdfe", "reps": "1181e730085b19d6",
        "shipments": "3b6725fabe59fb66", "tickets": "36da5aca046c55bd", "web_registrations": "78e67d1ea49a3e24",
        "truth": "066afb9db9dbbad3",
    },
    (3000, 2024, "iran"): {
        "campaign_contacts": "a32a5acee29e67be", "campaigns": "fd5a4163816be2ca", "categories": "dadc350356c07c3d",
        "channels": "caf438e245382c7f", "customers": "298678dcb717cd17", "interactions": "a3da3d6b4ba5428d",
        "invoices": "d65d41ea53594dc4", "opportunities": "89944ccd18e7b9ca", "opportunity_stages": "23715848debbab84",
        "order_lines": "e01c4895ff141ed2", "orders": "42ce84bdaa0b3554", "payments": "77f99f6dbf0fba5f",
        "products": "50350ecef28f9e78", "raw_customers": "d58ffb3a79b146c7", "raw_orders": "0fa88bca48f52f68",
        "raw_tickets": "ed1c1b207d2357ac", "rep_activity": "887838683e3b712b", "reps": "19a3815e5df50904",
        "shipments": "7abedf08be10ec6f", "tickets": "dfc5239606eefa63", "web_registrations": "b98b05f4d12544fb",
        "truth": "3629a4511b5de957",
    },
}  # fmt: skip


def _digest(df: pd.DataFrame) -> str:
    """Columns, dtypes, index type, every value with its row label, and where values are missing."""
    h = hashlib.sha256()
    h.update(json.dumps([list(map(str, df.columns)), [str(t) for t in df.dtypes], list(df.index.dtype.name)]).encode())
    h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    for column in df.columns:
        h.update(df[column].isna().to_numpy().tobytes())
    return h.hexdigest()[:16]


def _truth_digest(truth: dict) -> str:
    return hashlib.sha256(json.dumps(truth, sort_keys=True, default=repr).encode()).hexdigest()[:16]


@pytest.mark.parametrize(("n", "seed", "market"), list(SNAPSHOTS))
def test_tables_are_bit_for_bit_those_of_the_generator_before_its_rewrite(n, seed, market):
    crm = generate_crm(n_customers=n, seed=seed, market=market)
    got = {name: _digest(df) for name, df in crm.items()} | {"truth": _truth_digest(crm.truth)}
    changed = sorted(name for name in SNAPSHOTS[n, seed, market] if got.get(name) != SNAPSHOTS[n, seed, market][name])
    assert changed == [], f"generate_crm({n}, seed={seed}, market={market!r}) changed: {changed}"
    assert sorted(got) == sorted(SNAPSHOTS[n, seed, market])


def _cpu_seconds(n: int) -> float:
    """Least CPU time (this process) of two generations of ``n`` customers: steadier than the wall clock."""
    best = math.inf
    for _ in range(2):
        start = time.process_time()
        generate_crm(n_customers=n, seed=11)
        best = min(best, time.process_time() - start)
    return best


def test_time_grows_in_proportion_to_customers():
    """From 20,000 to 80,000 customers the time grows about fourfold: exponent near 1 (the earlier code: 1.15)."""
    small, large = _cpu_seconds(20_000), _cpu_seconds(80_000)
    exponent = math.log(large / small) / math.log(4)
    assert exponent < 1.15, f"20,000 customers: {small:.2f} s, 80,000: {large:.2f} s, exponent {exponent:.2f}"


class _Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr is in an interactive shell."""

    def isatty(self) -> bool:
        return True


def test_the_library_is_silent_by_default(capsys, monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    generate_crm(n_customers=150, seed=7)
    assert terminal.getvalue() == ""
    assert capsys.readouterr() == ("", "")


def test_progress_reports_every_stage_in_order_and_changes_nothing():
    calls = []
    crm = generate_crm(n_customers=150, seed=7, progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert calls == [(stage, i, len(STAGES)) for i, stage in enumerate(STAGES, start=1)]
    assert _digest(crm.orders) == SNAPSHOTS[150, 7, "iran"]["orders"]
    stream = io.StringIO()
    generate_crm(n_customers=150, seed=7, progress=stream)  # a bar drawn on the stream given
    assert f"{len(STAGES)}/{len(STAGES)}" in stream.getvalue() and "generate_crm" in stream.getvalue()


def test_a_tqdm_bar_advances_one_step_per_stage():
    from tqdm import tqdm

    stream = io.StringIO()
    with tqdm(file=stream, mininterval=0) as bar:
        generate_crm(n_customers=150, seed=7, progress=bar)
        assert (bar.n, bar.total) == (len(STAGES), len(STAGES))
    assert STAGES[-1] in stream.getvalue()


def test_a_wrong_progress_is_named():
    with pytest.raises(TypeError, match=r"The value for `progress` must be False .* but 'yes' was passed"):
        generate_crm(n_customers=150, progress="yes")


def test_the_command_shows_a_bar_on_a_terminal_and_quiet_hides_it(tmp_path, capsys, monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["generate", "--out", str(tmp_path / "shown"), "--customers", "150", "--seed", "7"]) == 0
    shown = terminal.getvalue()
    total = len(STAGES) + 1  # and writing the files
    assert "crmlab generate" in shown and f"{total}/{total}" in shown
    assert all(f"now: {stage}" in shown for stage in (*STAGES, "writing")), shown
    assert capsys.readouterr().out.startswith("Wrote the synthetic CRM (150 customers, seed 7)")

    terminal.seek(0)
    terminal.truncate()
    assert main(["generate", "--out", str(tmp_path / "quiet"), "--customers", "150", "--seed", "7", "--quiet"]) == 0
    assert terminal.getvalue() == ""
    assert capsys.readouterr().out.startswith("Wrote the synthetic CRM (150 customers, seed 7)")
    for name in ("orders", "customers"):  # the same files either way
        shown_file, quiet_file = (tmp_path / kind / f"{name}.parquet" for kind in ("shown", "quiet"))
        assert shown_file.read_bytes() == quiet_file.read_bytes()


def _stderr_on_a_real_terminal(args: list[str]) -> tuple[int, str]:
    """Exit status and what ``crmlab generate ARGS`` wrote to its stderr, a pseudo-terminal."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # 24 rows, 120 columns
    try:
        done = subprocess.run([sys.executable, "-m", "crmlab.cli", "generate", *args], stdout=subprocess.DEVNULL,
                              stderr=follower, timeout=300)  # fmt: skip
    finally:
        os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is closed once everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return done.returncode, b"".join(chunks).decode(errors="replace")


def test_the_installed_command_draws_its_bar_on_a_real_terminal_only_unless_quiet(tmp_path):
    status, shown = _stderr_on_a_real_terminal(["--out", str(tmp_path / "a"), "--customers", "150"])
    assert status == 0 and "crmlab generate" in shown and f"{len(STAGES) + 1}/{len(STAGES) + 1}" in shown
    status, quiet = _stderr_on_a_real_terminal(["--out", str(tmp_path / "b"), "--customers", "150", "--quiet"])
    assert (status, quiet) == (0, "")
