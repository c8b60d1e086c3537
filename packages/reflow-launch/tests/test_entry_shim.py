"""The container entry shim, run as a plain process: secrets from stdin, then exec, never a shell."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources

import pytest

SHIM = str(resources.files("lightning_reflow.launch").joinpath("_entry.py"))
SHOW = (
    "import os, signal; "
    "print(os.environ.get('TOKEN'), os.environ.get('REFLOW_SECRET_NAMES'), "
    "signal.getsignal(signal.SIGUSR1) == signal.SIG_IGN)"
)


def _run(stdin: bytes, names: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("TOKEN", "REFLOW_SECRET_NAMES")}
    if names is not None:
        env["REFLOW_SECRET_NAMES"] = names
    return subprocess.run([sys.executable, SHIM, sys.executable, "-c", SHOW], input=stdin, capture_output=True, env=env)


def test_secrets_are_exported_and_the_names_removed() -> None:
    done = _run(json.dumps({"TOKEN": "v4lue"}).encode() + b"\n", "TOKEN")
    assert done.returncode == 0, done.stderr
    # the value reached the exec'd program; the pause signal stays ignored until the trainer installs its handler
    assert done.stdout.decode().split() == ["v4lue", "None", "True"]


def test_without_secrets_stdin_is_not_read() -> None:
    done = _run(b"", None)
    assert done.returncode == 0 and done.stdout.decode().split()[0] == "None"


@pytest.mark.parametrize(
    ("stdin", "message"), [(b"{}\n", b"TOKEN were not handed over"), (b"garbage\n", b"one JSON line")]
)
def test_missing_or_bad_secrets_fail_with_usage_status(stdin: bytes, message: bytes) -> None:
    done = _run(stdin, "TOKEN")
    assert done.returncode == 2 and message in done.stderr and done.stdout == b""
