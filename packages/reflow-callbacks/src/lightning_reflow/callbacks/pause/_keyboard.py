"""Single-key pause requests from an interactive terminal, with the terminal always restored."""

from __future__ import annotations

import atexit
import os
import select
import sys
import threading
from collections.abc import Callable


class KeyListener:
    """Reads single keys from stdin in cbreak mode on a daemon thread.

    Only starts when stdin is a TTY. The previous terminal settings are restored by :meth:`stop`,
    which the pause callback calls on every exit path (end, exception, teardown) and which is also
    registered with :mod:`atexit`.
    """

    def __init__(self, handlers: dict[str, Callable[[], None]]) -> None:
        self._handlers = {k.lower(): fn for k, fn in handlers.items() if k}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._saved: list | None = None
        self._fd: int | None = None

    @property
    def active(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """Start listening; ``False`` (and nothing changed) when stdin is not a terminal."""
        if self.active or not self._handlers:
            return self.active
        try:
            fd = sys.stdin.fileno()
        except (AttributeError, ValueError, OSError):
            return False
        if not os.isatty(fd):
            return False
        import termios
        import tty

        self._fd = fd
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)
        atexit.register(self.stop)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="reflow-pause-keys", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        """Stop listening and restore the terminal exactly as it was."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1.0)
        if self._saved is not None and self._fd is not None:
            import termios

            try:
                termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
            except termios.error:
                pass
            self._saved = None
        atexit.unregister(self.stop)

    def _run(self) -> None:
        assert self._fd is not None
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._fd], [], [], 0.1)
                if not ready:
                    continue
                data = os.read(self._fd, 1)
            except (OSError, ValueError):
                return
            if not data:
                return
            handler = self._handlers.get(data.decode(errors="ignore").lower())
            if handler is not None:
                handler()
