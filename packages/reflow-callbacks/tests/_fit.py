"""Shared driver for pause/resume tests: uninterrupted, paused and resumed fits of the same run."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch

from lightning_reflow.callbacks import PauseCallback, PauseExit, PauseOutcome
from lightning_reflow.callbacks.testing import QUIET_TRAINER, NoisyDataModule, NoisyModel, PauseAtBatch, final_weights

warnings.filterwarnings("ignore", ".*does not have many workers.*")
warnings.filterwarnings("ignore", ".*is smaller than the logging interval.*")

DATA_KEYS = ("stateful", "validation", "num_workers")


def fit(
    checkpoint_dir: Path,
    *,
    pause_at: tuple[int, str] | None = None,
    ckpt_path: str | None = None,
    max_epochs: int = 3,
    extra_callbacks: list[Any] | None = None,
    pause_kwargs: dict[str, Any] | None = None,
    **settings: Any,
) -> tuple[dict[str, torch.Tensor] | None, PauseOutcome | None]:
    """One fit from a fresh seed; returns (final weights, None) or (None, pause outcome)."""
    pl.seed_everything(7, verbose=False)
    data_kwargs = {k: settings.pop(k) for k in DATA_KEYS if k in settings}
    model, data = NoisyModel(), NoisyDataModule(**data_kwargs)
    callbacks: list[Any] = [PauseCallback(checkpoint_dir=str(checkpoint_dir), **(pause_kwargs or {}))]
    if pause_at is not None:
        callbacks.append(PauseAtBatch(pause_at[0], pause_at[1], str(checkpoint_dir)))
    callbacks += extra_callbacks or []
    trainer = pl.Trainer(
        max_epochs=max_epochs,
        accelerator="cpu",
        callbacks=callbacks,
        **QUIET_TRAINER,
        deterministic=True,
        **settings,
    )
    try:
        trainer.fit(model, data, ckpt_path=ckpt_path)
    except PauseExit as stop:
        return None, stop.outcome
    return final_weights(model), None


def assert_same_weights(expected: dict[str, torch.Tensor], actual: dict[str, torch.Tensor]) -> None:
    assert expected.keys() == actual.keys()
    different = {
        k: (expected[k] - actual[k]).abs().max().item() for k in expected if not torch.equal(expected[k], actual[k])
    }
    assert not different, f"resumed weights differ from the uninterrupted run: {different}"
