"""Container entry shim of reflow-launch (copied into the image as /opt/reflow/entry.py; stdlib only).

docker-init (``--init``) is PID 1 and this script its direct child. It reads the secrets named in
``REFLOW_SECRET_NAMES`` as one JSON line from stdin (the launcher writes them through the Docker
attach stream, so they never appear in ``docker inspect``, the image, the run record or a plan),
exports them, detaches stdin and replaces itself with the trainer (``os.execvp``, never a shell),
so the trainer keeps PID 1's direct-child position and receives forwarded signals.
"""

from __future__ import annotations

import json
import os
import signal
import sys

EXIT_USAGE = 2


def _fail(message: str) -> None:
    sys.stderr.write(f"reflow-launch entry: {message}\n")
    sys.stderr.flush()
    sys.exit(EXIT_USAGE)


def _ignore_pause_signal() -> None:
    # Until the trainer installs its handler, a pause signal would kill the process (its default
    # action). Ignoring it here, and across exec, makes an early pause a no-op instead of a crash.
    name = os.environ.get("REFLOW_PAUSE_SIGNAL") or "SIGUSR1"
    name = name.upper() if name.upper().startswith("SIG") else "SIG" + name.upper()
    sig = getattr(signal, name, None)
    if isinstance(sig, signal.Signals) and sig not in (signal.SIGTERM, signal.SIGINT, signal.SIGKILL):
        signal.signal(sig, signal.SIG_IGN)


def _read_secrets() -> None:
    names = [n for n in os.environ.pop("REFLOW_SECRET_NAMES", "").split(",") if n]
    if not names:
        return
    line = sys.stdin.buffer.readline()
    try:
        values = json.loads(line.decode() or "{}")
    except ValueError:
        _fail("expected the secrets as one JSON line on stdin; start this container with reflow-launch.")
    missing = [n for n in names if not isinstance(values.get(n), str)]
    if missing:
        _fail(f"secret(s) {', '.join(missing)} were not handed over; start this container with reflow-launch.")
    os.environ.update({n: values[n] for n in names})


def main() -> None:
    argv = sys.argv[1:]
    if not argv:
        _fail("no command given.")
    _ignore_pause_signal()
    _read_secrets()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    try:
        os.execvp(argv[0], argv)
    except OSError as err:
        _fail(f"cannot start {argv[0]!r}: {err.strerror}.")


if __name__ == "__main__":
    main()
