"""A package's public names, imported on first use (PEP 562), so ``import crmlab`` stays fast.

A package's ``__init__.py`` names where its public names live (the layout of
lazy_loader's ``attach``, without the dependency); nothing is imported until a
name is used, then it is kept in the package like an ordinary import::

    from crmlab.lazy import lazy_names

    __getattr__, __dir__ = lazy_names(__name__, {".conventions": ["COURSE", "Conventions"], ".warehouse": ["connect"]})

    if TYPE_CHECKING:  # the same names, for type checkers and editors
        from .conventions import COURSE, Conventions
        from .warehouse import connect

Attribute access to a submodule not yet imported (``crmlab.datasets`` after ``import crmlab``)
imports it, as the eager package did. ``tests/test_import_time.py`` checks that every lazy name
resolves to the object of its home module and matches the ``TYPE_CHECKING`` imports.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: str, modules: Mapping[str, Iterable[str]]) -> tuple[Callable[[str], Any],
                                                                            Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose public names are imported on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    modules : mapping of str to list of str
        Module, relative to ``package`` (``".warehouse"``) or absolute -> the public names it gives.

    Returns
    -------
    tuple of callables
        ``(__getattr__, __dir__)``, to assign at the package's top level.

    Examples
    --------
    >>> getattr_, dir_ = lazy_names("crmlab", {".conventions": ["COURSE"]})
    >>> getattr_("COURSE").currency
    'IRR'
    >>> "COURSE" in dir_()
    True
    >>> getattr_("no_such_name")
    Traceback (most recent call last):
    ...
    AttributeError: module 'crmlab' has no attribute 'no_such_name'
    """
    names = {name: module for module, given in modules.items() for name in given}

    def __getattr__(name: str) -> Any:
        home = names.get(name)
        if home is not None:
            value = getattr(importlib.import_module(home, package), name)
        elif name.startswith("_"):  # dunders and private names probed by tools: never an import
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        else:
            value = _submodule(package, name)
        setattr(sys.modules[package], name, value)  # the next lookup is an ordinary attribute
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__


def _submodule(package: str, name: str) -> Any:
    """``package.name`` imported, as an eager package would have had it; AttributeError if there is none."""
    try:
        return importlib.import_module(f"{package}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{package}.{name}":  # the submodule exists but a dependency of it is missing
            raise
        raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
