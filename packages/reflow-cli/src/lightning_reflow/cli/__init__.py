"""The ``reflow`` command and :class:`LightningReflowCLI`.

Importing this package is cheap; Lightning is imported when a name that needs it is used.
"""

from __future__ import annotations

from lightning_reflow.utils.lazy_exports import lazy_exports

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
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
