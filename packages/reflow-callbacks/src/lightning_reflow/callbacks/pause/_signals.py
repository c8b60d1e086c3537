"""Signal handling for pauses: handlers only record a request, nothing heavy runs in them.

A pause signal that arrives while no :class:`PauseCallback` is active (before the trainer is set up,
or between two fits) is kept and handed to the next callback that is set up, so an early
``kill -USR1`` is neither lost nor fatal.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
import warnings
from collections.abc import Callable
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

PAUSE_SIGNAL_ENV = "REFLOW_PAUSE_SIGNAL"
DEFAULT_PAUSE_SIGNAL = "SIGUSR1"

Request = Callable[[str, bool], None]


def resolve_signal(name: str | int | signal.Signals | None) -> signal.Signals:
    """Turn ``"SIGUSR1"``, ``"USR1"``, ``10`` or ``None`` (env ``REFLOW_PAUSE_SIGNAL``, else SIGUSR1) into a signal."""
    if name is None:
        name = os.environ.get(PAUSE_SIGNAL_ENV) or DEFAULT_PAUSE_SIGNAL
    if isinstance(name, signal.Signals):
        return name
    if isinstance(name, int) or (isinstance(name, str) and name.isdigit()):
        return signal.Signals(int(name))
    text = name.upper()
    if not text.startswith("SIG"):
        text = "SIG" + text
    try:
        return signal.Signals[text]
    except KeyError:
        valid = ", ".join(s for s in ("SIGUSR1", "SIGUSR2", "SIGHUP", "SIGCONT", "SIGWINCH") if hasattr(signal, s))
        raise ValueError(f"PauseCallback(pause_signal={name!r}) is not a signal; use one of {valid}.") from None


class _Router:
    """Routes pause requests from signal handlers to the active callback, or keeps them pending."""

    def __init__(self) -> None:
        self.active: Request | None = None
        self.pending: list[tuple[str, bool]] = []
        self.installed: dict[signal.Signals, Any] = {}

    def request(self, reason: str, upload: bool = False) -> None:
        target = self.active
        if target is None:
            self.pending.append((reason, upload))
        else:
            target(reason, upload)

    def activate(self, target: Request) -> None:
        self.active = target
        pending, self.pending = self.pending, []
        for reason, upload in pending:
            target(reason, upload)

    def deactivate(self, target: Request) -> None:
        if self.active == target:
            self.active = None

    def _pause_handler(self, signum: int, frame: FrameType | None) -> None:
        self.request("signal", False)


ROUTER = _Router()


def install_pause_signal(sig: str | int | signal.Signals | None = None) -> signal.Signals | None:
    """Install the pause-signal handler (idempotent). Returns the signal, or ``None`` off the main thread."""
    resolved = resolve_signal(sig)
    if threading.current_thread() is not threading.main_thread():
        return None
    if ROUTER.installed.get(resolved) is None:
        ROUTER.installed[resolved] = signal.getsignal(resolved)
    if signal.getsignal(resolved) != ROUTER._pause_handler:
        signal.signal(resolved, ROUTER._pause_handler)
    _warn_nccl_conflict(resolved)
    return resolved


def ignore_pause_signals() -> None:
    """Ignore the installed pause signals from now on: the run is stopping, there is nothing to pause.

    While Python finalises it resets every signal that has a Python handler to the default action,
    which for SIGUSR1 is to terminate: a pause request that arrives during the seconds the
    interpreter needs to tear down torch would turn a clean exit (0 or 75) into a death by signal
    (138). An ignored signal is left ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in ROUTER.installed:
        signal.signal(sig, signal.SIG_IGN)


_IGNORE_AT_EXIT: list[bool] = []


def ignore_pause_signals_from_now_on() -> None:
    """Ignore pause signals now and again at interpreter exit.

    Lightning's teardown re-installs the handlers it found when the fit started (ours among them),
    so the ignore is repeated by an ``atexit`` hook, which runs after ``trainer.fit`` has returned
    or raised and before the interpreter resets handled signals.
    """
    ignore_pause_signals()
    if not _IGNORE_AT_EXIT:
        _IGNORE_AT_EXIT.append(True)
        atexit.register(ignore_pause_signals)


def install_early_signal_handlers(pause_signal: str | int | signal.Signals | None = None) -> signal.Signals | None:
    """Install the pause-signal handler at process start (the CLI calls this first thing).

    A pause signal received before any :class:`PauseCallback` is set up is then remembered and
    honoured at the first safe point of the next fit, instead of killing the process.
    """
    return install_pause_signal(pause_signal)


def _warn_nccl_conflict(sig: signal.Signals) -> None:
    # NCCL can be told to dump its proxy state on a signal (NCCL_PROXY_DUMP_SIGNAL); if that is
    # our pause signal, NCCL's proxy thread may catch it first and the pause never happens.
    value = os.environ.get("NCCL_PROXY_DUMP_SIGNAL")
    if value and value.strip().isdigit() and int(value) == int(sig):
        warnings.warn(
            f"NCCL_PROXY_DUMP_SIGNAL={value} is the pause signal {sig.name}: NCCL may catch it instead of "
            "the pause callback. Choose another pause signal (PauseCallback(pause_signal=...) or "
            f"REFLOW_PAUSE_SIGNAL) or unset NCCL_PROXY_DUMP_SIGNAL.",
            RuntimeWarning,
            stacklevel=3,
        )


class PreemptionHandler:
    """A SIGTERM handler that records a preemption and defers the handler that was there before.

    Installed once training starts, on top of Lightning's own SIGTERM handler. Lightning's handler
    makes the loop raise at the end of the current batch, before a checkpoint could be written; so
    the pause callback writes its checkpoint first and then calls the deferred handler
    (:meth:`call_previous`), so Lightning still sees the SIGTERM (and forwards it to its launcher's
    processes). When no fit is active anymore it behaves like the previous handler (or the default
    action), so a stale handler never makes a process immune to SIGTERM.
    """

    def __init__(self, on_preempt: Callable[[], None]) -> None:
        self._on_preempt: Callable[[], None] | None = on_preempt
        self._previous: Any = None
        self._pending: tuple[int, FrameType | None] | None = None

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) is self:
            return
        self._previous = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, self)

    def uninstall(self) -> None:
        self._on_preempt = None
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is self:
            signal.signal(signal.SIGTERM, self._previous if self._previous is not None else signal.SIG_DFL)

    def call_previous(self) -> None:
        """Run the deferred previous handler once, if a SIGTERM was received."""
        pending, self._pending = self._pending, None
        if pending is not None and callable(self._previous):
            self._previous(*pending)

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self._on_preempt is not None:
            self._pending = (signum, frame)
            self._on_preempt()
            return
        previous = self._previous
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
