"""The ``reflow`` command and :class:`LightningReflowCLI`.

Importing this package is cheap; Lightning is imported when a name that needs it is used.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "LightningReflowCLI": "lightning_reflow.cli.lightning_cli",
    "ReflowUsageError": "lightning_reflow.cli.errors",
    "EXIT_OK": "lightning_reflow.cli.errors",
    "EXIT_FAILED": "lightning_reflow.cli.errors",
    "EXIT_USAGE": "lightning_reflow.cli.errors",
    "EXIT_PAUSED": "lightning_reflow.cli.__main__",
    "main": "lightning_reflow.cli.__main__",
    "install_early_signal_handlers": "lightning_reflow.cli._early_signals",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
