"""Writing the pause checkpoint: streamed, atomic, one file for all ranks."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO
from lightning.pytorch.strategies import DDPStrategy, SingleDeviceStrategy

from lightning_reflow.utils.checkpoint.atomic_save import atomic_save


def save_pause_checkpoint(trainer: pl.Trainer, path: Path) -> None:
    """Write ``trainer``'s full checkpoint to ``path``; every rank must call this.

    For single-device and DDP runs with the default checkpoint IO, rank 0 streams the checkpoint
    into a temporary file beside ``path`` and renames it (Lightning's own save serialises the whole
    checkpoint into memory first and stages it in ``$TMPDIR``). Other strategies (FSDP, DeepSpeed)
    shard their checkpoints and keep their own ``save_checkpoint``.
    """
    strategy = trainer.strategy
    streamed = (
        isinstance(strategy, (SingleDeviceStrategy, DDPStrategy)) and type(strategy.checkpoint_io) is TorchCheckpointIO
    )
    if not streamed:
        trainer.save_checkpoint(path)
        return
    strategy.barrier("reflow_pause_save")
    checkpoint = trainer._checkpoint_connector.dump_checkpoint(weights_only=False)
    if trainer.is_global_zero:
        atomic_save(checkpoint, path)
    strategy.barrier("reflow_pause_saved")
