"""Errors a user can fix: they end a command with one message and exit status 2, never a traceback."""

from __future__ import annotations

EXIT_OK = 0
"""Training (or validate/test/predict) finished."""
EXIT_FAILED = 1
"""Training failed; the traceback is printed."""
EXIT_USAGE = 2
"""Bad arguments, a config that does not parse, an unknown key, a bad checkpoint reference."""


class ReflowUsageError(ValueError):
    """A problem in what the user asked for (arguments, config, checkpoint reference).

    The message names the problem and the fix. The ``reflow`` command prints it on one line and exits
    with status :data:`EXIT_USAGE`; the Python API raises it.
    """
