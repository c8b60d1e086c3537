"""Plain helpers shared by the reflow-cli tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

BATCHES_PER_EPOCH = 12  # NoisyDataModule(size=48, batch_size=4)


def make_config(root: Path, *, pause_at: int | None = None, max_epochs: int = 3, **trainer: Any) -> dict[str, Any]:
    """A LightningCLI config for NoisyModel on NoisyDataModule, every path under ``root``."""
    callbacks: list[dict[str, Any]] = [
        {
            "class_path": "lightning_reflow.callbacks.PauseCallback",
            "init_args": {"checkpoint_dir": str(root / "pause")},
        },
        {
            "class_path": "lightning.pytorch.callbacks.ModelCheckpoint",
            "init_args": {"dirpath": str(root / "ckpt"), "save_last": True, "save_top_k": 0},
        },
    ]
    if pause_at is not None:
        callbacks.append(
            {"class_path": "lightning_reflow.callbacks.testing.PauseAtBatch", "init_args": {"batch": pause_at}}
        )
    return {
        "seed_everything": 7,
        "trainer": {
            "max_epochs": max_epochs,
            "accelerator": "cpu",
            "logger": False,
            "enable_progress_bar": False,
            "enable_model_summary": False,
            "deterministic": True,
            "callbacks": callbacks,
            **trainer,
        },
        "model": {"class_path": "lightning_reflow.callbacks.testing.NoisyModel"},
        "data": {"class_path": "lightning_reflow.callbacks.testing.NoisyDataModule"},
    }


def last_pause(checkpoint_dir: Path) -> dict[str, Any]:
    return json.loads((checkpoint_dir / "last-pause.json").read_text())


def weights(checkpoint: Path) -> dict[str, torch.Tensor]:
    return torch.load(checkpoint, weights_only=True, map_location="cpu")["state_dict"]


def assert_same_weights(expected: dict[str, torch.Tensor], actual: dict[str, torch.Tensor]) -> None:
    assert expected.keys() == actual.keys()
    different = {
        k: (expected[k] - actual[k]).abs().max().item() for k in expected if not torch.equal(expected[k], actual[k])
    }
    assert not different, f"resumed weights differ from the uninterrupted run: {different}"
