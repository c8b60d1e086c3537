"""A 2-rank CPU DDP fit that pauses with an upload requested on rank 1 (run as a script: Lightning relaunches it)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.demos.boring_classes import BoringModel
from lightning.pytorch.loggers import WandbLogger

from lightning_reflow.callbacks import PauseCallback
from lightning_reflow.callbacks.wandb import WandbArtifactCheckpoint


class PauseOnRankOne(pl.Callback):
    def __init__(self, pause: PauseCallback, step: int) -> None:
        self.pause, self.step = pause, step

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if trainer.global_step == self.step and trainer.global_rank == 1:
            self.pause.request_pause("api", upload=True)


if __name__ == "__main__":
    root = Path(sys.argv[1])
    pause = PauseCallback(checkpoint_dir=str(root / "pause"))
    trainer = pl.Trainer(
        default_root_dir=root,
        max_epochs=3,
        limit_train_batches=4,
        limit_val_batches=2,
        accelerator="cpu",
        devices=2,
        strategy="ddp",
        enable_progress_bar=False,
        enable_model_summary=False,
        logger=WandbLogger(project="reflow-ddp", save_dir=str(root)),
        callbacks=[
            ModelCheckpoint(dirpath=root / "ckpt", save_last=True),
            pause,
            PauseOnRankOne(pause, 6),
            WandbArtifactCheckpoint(),
        ],
    )
    trainer.fit(BoringModel())
