"""Fixtures for reflow-cli tests: a tiny config on reflow's test model, and a runner for the real entry point."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

# plain helpers live in _helpers.py beside this file (tests import them; importlib mode adds no path)
sys.path.insert(0, str(Path(__file__).parent))
from _helpers import make_config

warnings.filterwarnings("ignore", ".*does not have many workers.*")
warnings.filterwarnings("ignore", ".*is smaller than the logging interval.*")
warnings.filterwarnings("ignore", ".*dataloader is not resumable.*")


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write ``make_config(tmp_path / name, ...)`` to ``tmp_path / name.yaml`` and return the file."""

    def write(name: str = "run", **kwargs: Any) -> Path:
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(make_config(tmp_path / name, **kwargs), sort_keys=False))
        return path

    return write


@pytest.fixture
def reflow(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str]]:
    """Run ``reflow ARGS`` in this process through the real entry point; return (status, stderr)."""
    from lightning_reflow.cli import main

    def run(*args: str | os.PathLike[str]) -> tuple[int, str]:
        capsys.readouterr()
        code = main([os.fspath(a) for a in args])
        return code, capsys.readouterr().err

    return run


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFLOW_CACHE_DIR", str(tmp_path / "cache"))
    yield
    from lightning_reflow.callbacks.environment import restore_environment

    restore_environment()
