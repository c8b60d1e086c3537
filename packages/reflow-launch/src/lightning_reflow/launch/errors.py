"""Errors a user of ``reflow-launch`` can fix: one clear message each, no traceback."""

from __future__ import annotations

import click

#: Exit status for a usage error (bad arguments, bad config, unknown run): same as ``reflow``.
EXIT_USAGE = 2
#: Exit status when the environment is at fault (no engine, unreachable host): the run did not start.
EXIT_UNAVAILABLE = 69


class LaunchError(click.ClickException):
    """Base class: a problem the user can fix, printed as ``Error: <message>`` without a traceback."""

    exit_code = EXIT_USAGE


class ConfigNotFound(LaunchError):
    """The training config given to ``fit`` does not exist or is not valid YAML."""


class MissingSecret(LaunchError):
    """A ``--secret NAME`` whose variable is not set in the caller's environment."""


class GpuRequestError(LaunchError):
    """A ``--gpus`` value that is malformed or names GPUs the host does not have."""


class RunNotFound(LaunchError):
    """A run id with no run record."""


class RunStateError(LaunchError):
    """The run is not in a state that allows the action (e.g. resume without a pause checkpoint)."""


class EngineUnavailable(LaunchError):
    """No Docker engine answers (locally or on the remote host)."""

    exit_code = EXIT_UNAVAILABLE


class HostUnreachable(LaunchError):
    """The SSH host cannot be reached or refuses our key."""

    exit_code = EXIT_UNAVAILABLE


class UnknownHostKey(LaunchError):
    """The SSH host's key is not in ``~/.ssh/known_hosts`` (or does not match it)."""

    exit_code = EXIT_UNAVAILABLE


class BuildFailed(LaunchError):
    """``docker build`` of the trainer image failed."""

    exit_code = 1
