"""Pause anywhere, resume exactly."""

from lightning_reflow.callbacks.pause._signals import install_early_signal_handlers
from lightning_reflow.callbacks.pause.pause_callback import PauseCallback
from lightning_reflow.callbacks.pause.pause_exit import EXIT_PAUSED, PauseExit, PauseOutcome

__all__ = ["EXIT_PAUSED", "PauseCallback", "PauseExit", "PauseOutcome", "install_early_signal_handlers"]
