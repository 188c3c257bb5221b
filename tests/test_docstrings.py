"""Every Examples section in the package runs and prints what it shows."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import crmlab

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(crmlab.__path__, "crmlab.") if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    for test in finder.find(module, name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_public_functions_have_examples():
    missing = []
    for name in ["crmlab.datasets.storage", "crmlab.datasets.schema", "crmlab.warehouse", "crmlab.datasets.real"]:
        module = importlib.import_module(name)
        for public in module.__all__:
            obj = getattr(module, public)
            if callable(obj) and ">>>" not in (obj.__doc__ or ""):
                missing.append(f"{name}.{public}")
    assert not missing, f"add a runnable Examples section to: {missing}"
