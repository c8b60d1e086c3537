"""Installing the pause-signal handler before Lightning is imported.

Importing Lightning takes seconds; a pause signal (``kill -USR1``, ``docker kill -s USR1``) that
arrives before the handler exists kills the process. ``lightning_reflow.callbacks.pause`` imports the
pause callback, and with it Lightning, so its stdlib-only ``_signals`` module is loaded here on its
own, under its real name: the pause package later finds it in ``sys.modules`` and shares its state
(a signal remembered now is handed to the PauseCallback of the first fit).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

_NAME = "lightning_reflow.callbacks.pause._signals"


def install_early_signal_handlers() -> None:
    """Install reflow's pause-signal handler now, without importing Lightning when possible."""
    module = sys.modules.get(_NAME)
    if module is None:
        module = _load_alone()
    if module is None:  # an unusual install layout: import it the ordinary way
        from lightning_reflow.callbacks.pause import install_early_signal_handlers as install
    else:
        install = module.install_early_signal_handlers
    install()


def _load_alone() -> object | None:
    try:
        callbacks = importlib.import_module("lightning_reflow.callbacks")
        for folder in getattr(callbacks, "__path__", []):
            path = Path(folder) / "pause" / "_signals.py"
            if path.is_file():
                spec = importlib.util.spec_from_file_location(_NAME, path)
                if spec is None or spec.loader is None:
                    return None
                module = importlib.util.module_from_spec(spec)
                sys.modules[_NAME] = module
                try:
                    spec.loader.exec_module(module)
                except BaseException:
                    del sys.modules[_NAME]
                    raise
                return module
    except (ImportError, OSError):
        return None
    return None
