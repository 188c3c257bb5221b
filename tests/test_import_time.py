"""``import crmlab`` is fast and light: its public names are imported on first use (issue 14).

The packages made lazy by :func:`crmlab.lazy.lazy_names` are checked against their own
``if TYPE_CHECKING:`` imports, read from the source: every public name resolves, to the very
object of the module the imports name.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import crmlab

PACKAGE = Path(crmlab.__file__).parent
#: What ``import crmlab`` must not import: each costs 0.05-1 s of start-up.
HEAVY = ["pandas", "numpy", "duckdb", "pyarrow", "matplotlib", "sklearn", "scipy", "statsmodels", "ipywidgets",
         "nbformat", "papermill", "jupyter_client", "tqdm"]
BUDGET = 0.3  # seconds, issue 14
LAZY = sorted(".".join(p.parent.relative_to(PACKAGE.parent).parts) for p in PACKAGE.rglob("__init__.py")
              if "lazy_names(" in p.read_text(encoding="utf-8"))


def _fresh(code: str) -> str:
    """What ``code`` prints, run by a fresh interpreter (nothing imported by this test session)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _typing_imports(package: str) -> dict[str, str]:
    """Public name -> absolute module, from the ``if TYPE_CHECKING:`` block of ``package``'s ``__init__.py``."""
    path = PACKAGE.parent.joinpath(*package.split("."), "__init__.py")
    names = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom), f"{package}: only imports under TYPE_CHECKING"
                module = importlib.util.resolve_name("." * imp.level + (imp.module or ""), package)
                names.update({a.asname or a.name: module for a in imp.names})
    return names


@pytest.mark.parametrize("statement", ["import crmlab", "import crmlab.cli"])
def test_import_pulls_in_no_heavy_library(statement):
    loaded = json.loads(_fresh(f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"))
    heavy = sorted({m.split(".")[0] for m in loaded} & set(HEAVY))
    assert heavy == [], f"{statement!r} imports {heavy}: import them inside the function that needs them"


def test_import_takes_under_the_budget():
    code = "import time; t = time.perf_counter(); import crmlab; print(time.perf_counter() - t)"
    seconds = min(float(_fresh(code)) for _ in range(3))
    assert seconds < BUDGET, f"import crmlab took {seconds:.3f} s (best of 3), over the {BUDGET} s budget"


def test_the_lazy_packages_are_found():
    assert {"crmlab", "crmlab.classroom", "crmlab.analysis", "crmlab.analysis.churn"} <= set(LAZY)


@pytest.mark.parametrize("package", LAZY)
def test_every_public_name_is_its_home_modules_object(package):
    module = importlib.import_module(package)
    homes = _typing_imports(package)
    public = set(module.__all__) - {"__version__"}
    assert set(homes) == public, f"{package}: __all__ and the TYPE_CHECKING imports differ"
    for name, home in sorted(homes.items()):
        assert getattr(module, name) is getattr(importlib.import_module(home), name), f"{package}.{name}"
    assert public <= set(dir(module))


@pytest.mark.parametrize("package", LAZY)
def test_no_public_name_is_also_a_submodule(package):
    # importing a submodule sets the package attribute of its name, hiding a lazy name of the same name
    module = importlib.import_module(package)
    submodules = {m.name for m in pkgutil.iter_modules(module.__path__)}
    assert set(module.__all__) & submodules == set()


def test_names_resolve_in_a_fresh_process_importing_only_their_home():
    code = ("import sys; from crmlab import COURSE; import crmlab.conventions; "
            "assert COURSE is crmlab.conventions.COURSE; "
            "print(sorted(m for m in ('crmlab.datasets', 'crmlab.warehouse', 'duckdb') if m in sys.modules))")
    assert _fresh(code).strip() == "[]"  # the conventions need pandas, not the datasets or DuckDB


def test_star_import_and_submodules_still_work():
    names: dict = {}
    exec("from crmlab import *", names)  # noqa: S102 - the package's own names
    assert set(crmlab.__all__) <= set(names)
    assert crmlab.__version__ == "0.1.0"
    assert crmlab.datasets.synthetic.__name__ == "crmlab.datasets.synthetic"  # submodules as attributes, as before
    assert crmlab.analysis.kpis.__name__ == "crmlab.analysis.kpis"


def test_unknown_names_are_attribute_errors():
    assert not hasattr(crmlab, "no_such_name")
    assert not hasattr(crmlab.datasets, "_no_such_private")
    with pytest.raises(AttributeError, match="module 'crmlab' has no attribute 'load_crn'"):
        crmlab.load_crn  # noqa: B018 - the attribute access is the test
