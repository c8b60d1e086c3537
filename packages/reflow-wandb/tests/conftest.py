"""Fixtures: real wandb in offline mode, isolated per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def wandb_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Offline wandb with every folder in ``tmp_path`` and no reachable server; finishes the run after."""
    root = tmp_path / "wb"
    for name, sub in (
        ("WANDB_DIR", "dir"),
        ("WANDB_DATA_DIR", "data"),
        ("WANDB_CACHE_DIR", "cache"),
        ("WANDB_CONFIG_DIR", "config"),
    ):
        (root / sub).mkdir(parents=True)
        monkeypatch.setenv(name, str(root / sub))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("WANDB_DISABLE_GIT", "true")
    monkeypatch.delenv("REFLOW_ARTIFACT_STORE", raising=False)
    yield root / "dir"
    import wandb

    wandb.finish()
