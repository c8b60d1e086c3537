"""Package namespaces whose public names are imported on first use.

Importing ``lightning_reflow.callbacks`` or ``lightning_reflow.cli`` must stay cheap (the pause
signal handler goes in before Lightning is imported; ``reflow --help`` must not pay for torch), so
their ``__init__`` modules map each public name to the module that defines it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the module-level ``__getattr__`` and ``__dir__`` for ``package``.

    Args:
        package: the package's ``__name__``.
        exports: public name -> dotted name of the module that defines it.

    Example:
        ``__getattr__, __dir__ = lazy_exports(__name__, {"PauseCallback": "lightning_reflow.callbacks.pause"})``
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later lookups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
