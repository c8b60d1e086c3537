"""Test helpers: a tiny Lightning model, a Trainer with WandbLogger, reading back the offline records."""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.demos.boring_classes import BoringModel
from lightning.pytorch.loggers import WandbLogger

from lightning_reflow.wandb.offline_records import RecordedArtifact, offline_run_dirs, recorded_artifacts

STEPS_PER_EPOCH = 4


class ValLossModel(BoringModel):
    """BoringModel that logs ``val_loss`` (for ``monitor``) and can fail at a given step.

    ``val_loss`` is ``1 / (epoch + 1)`` (``improving=True``: every epoch is a new best, so
    ModelCheckpoint saves every epoch) or ``epoch + 1`` (only epoch 0 is ever the best).
    """

    def __init__(self, fail_at_step: int | None = None, improving: bool = True) -> None:
        super().__init__()
        self.fail_at_step = fail_at_step
        self.improving = improving

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        if self.fail_at_step is not None and self.global_step == self.fail_at_step:
            raise RuntimeError("boom: a bug in training_step")
        return super().training_step(batch, batch_idx)

    def validation_step(self, batch: Any, batch_idx: int) -> Any:
        out = super().validation_step(batch, batch_idx)
        epoch = float(self.current_epoch)
        self.log("val_loss", 1.0 / (epoch + 1.0) if self.improving else epoch + 1.0)
        return out


class PauseAt(Callback):
    """Asks a PauseCallback to pause (through its public API) once ``global_step`` reaches ``step``."""

    def __init__(self, pause: Any, step: int, upload: bool) -> None:
        self.pause, self.step, self.upload = pause, step, upload

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if trainer.global_step == self.step:
            self.pause.request_pause("api", upload=self.upload)


def make_trainer(
    root: Path,
    callbacks: list[Callback],
    *,
    max_epochs: int = 3,
    logger: bool = True,
    checkpoint: ModelCheckpoint | None = None,
) -> pl.Trainer:
    """A tiny CPU Trainer with a WandbLogger and ModelCheckpoint(monitor=val_loss, save_last=True)."""
    checkpoint = checkpoint or ModelCheckpoint(dirpath=root / "ckpt", monitor="val_loss", save_last=True)
    return pl.Trainer(
        default_root_dir=root,
        max_epochs=max_epochs,
        limit_train_batches=STEPS_PER_EPOCH,
        limit_val_batches=2,
        logger=WandbLogger(project="reflow-test", save_dir=os.environ.get("WANDB_DIR", str(root))) if logger else False,
        callbacks=[checkpoint, *callbacks],
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        devices=1,
    )


def finish_and_read(wandb_dir: Path, trainer: pl.Trainer) -> list[RecordedArtifact]:
    """Finish the trainer's wandb run and return the artifacts it recorded (once its log is complete)."""
    trainer.logger.experiment.finish()
    runs = offline_run_dirs(wandb_dir)
    assert len(runs) == 1, runs
    return recorded_artifacts(runs[0], wait=30.0)


def staged_checkpoint_bytes(artifact: RecordedArtifact) -> bytes:
    """The checkpoint bytes of a recorded artifact, decompressed when gzipped."""
    ((name, staged),) = artifact.files.items()
    data = staged.read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_bytes(data: bytes, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / f"loaded-{sha256(data)[:8]}.ckpt"
    path.write_bytes(data)
    return torch.load(path, weights_only=False, map_location="cpu")
