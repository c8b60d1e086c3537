"""The printed resume command: how this process was started, so that pasting it works."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

import pytest

from lightning_reflow.cli import _command


def test_console_script_and_module_runs_print_the_reflow_command() -> None:
    assert _command.program_command("/some/venv/bin/reflow") == _command.reflow_command()
    module_main = str(Path(_command.__file__).with_name("__main__.py"))
    assert _command.program_command(module_main) == _command.reflow_command()


def test_reflow_command_is_runnable() -> None:
    command = _command.reflow_command()
    first = command.split()[0]
    assert command == "reflow" or os.access(first, os.X_OK) or first in ("python", sys.executable)


def test_a_script_prints_python_and_its_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "__main__", types.SimpleNamespace(__spec__=None))
    prefix = _command.program_command("train.py")
    assert prefix.endswith(f" {tmp_path / 'train.py'}")
    assert _command.resume_template(prefix) == f"{prefix} resume --checkpoint-path {{checkpoint}}"


def test_a_module_run_prints_python_dash_m(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = types.SimpleNamespace(name="myproject.train")
    monkeypatch.setitem(sys.modules, "__main__", types.SimpleNamespace(__spec__=spec))
    monkeypatch.setattr(sys, "argv", ["/src/myproject/train.py", "fit"])
    assert _command.program_command().endswith(" -m myproject.train")
