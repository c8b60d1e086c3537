"""Installing the pause-signal handler before Lightning is imported.

Importing Lightning takes seconds; a pause signal (``kill -USR1``, ``docker kill -s USR1``) that
arrives before the handler exists kills the process. ``lightning_reflow.callbacks.pause`` imports
only the standard library until ``PauseCallback`` itself is used, so the handler goes in first; a
signal remembered now is handed to the PauseCallback of the first fit.
"""

from __future__ import annotations


def install_early_signal_handlers() -> None:
    """Install reflow's pause-signal handler now, without importing Lightning."""
    from lightning_reflow.callbacks.pause import install_early_signal_handlers as install

    install()
