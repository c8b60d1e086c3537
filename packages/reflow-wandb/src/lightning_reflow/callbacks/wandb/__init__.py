"""W&B callbacks at the seed's import path: ``from lightning_reflow.callbacks.wandb import WandbArtifactCheckpoint``."""

from __future__ import annotations

from lightning_reflow.wandb.wandb_artifact_checkpoint import WandbArtifactCheckpoint

__all__ = ["WandbArtifactCheckpoint"]
