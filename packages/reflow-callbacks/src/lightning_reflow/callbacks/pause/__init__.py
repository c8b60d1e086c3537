"""Pause anywhere, resume exactly.

The signal handling and the exit status import only the standard library, so a command can install
the pause-signal handler (``install_early_signal_handlers``) before it spends seconds importing
Lightning; ``PauseCallback`` is imported on first use.
"""

from __future__ import annotations

from lightning_reflow.callbacks.pause._signals import ignore_pause_signals, install_early_signal_handlers
from lightning_reflow.callbacks.pause.pause_exit import EXIT_PAUSED, PauseExit, PauseOutcome
from lightning_reflow.utils.lazy_exports import lazy_exports

__all__ = [
    "EXIT_PAUSED",
    "PauseCallback",
    "PauseExit",
    "PauseOutcome",
    "ignore_pause_signals",
    "install_early_signal_handlers",
]


__getattr__, __dir__ = lazy_exports(__name__, {"PauseCallback": "lightning_reflow.callbacks.pause.pause_callback"})
