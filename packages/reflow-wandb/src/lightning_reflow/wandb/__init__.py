"""W&B integration of LightningReflow: checkpoints as artifact versions, resume from an artifact.

Public surface: :class:`WandbArtifactCheckpoint` (also at ``lightning_reflow.callbacks.wandb``), the
``wandb`` resume source :class:`WandbResumeSource`, and the artifact store interface with its W&B
and folder implementations.
"""

from __future__ import annotations

from lightning_reflow.utils.lazy_exports import lazy_exports

_EXPORTS = {
    "WandbArtifactCheckpoint": "lightning_reflow.wandb.wandb_artifact_checkpoint",
    "WandbResumeSource": "lightning_reflow.wandb.wandb_resume_source",
    "ArtifactResolveError": "lightning_reflow.wandb.wandb_resume_source",
    "ArtifactRef": "lightning_reflow.wandb.artifact_ref",
    "ArtifactReferenceError": "lightning_reflow.wandb.artifact_ref",
    "ArtifactStore": "lightning_reflow.wandb.artifact_store",
    "ArtifactPublisher": "lightning_reflow.wandb.artifact_store",
    "ArtifactVersion": "lightning_reflow.wandb.artifact_store",
    "ArtifactNotFoundError": "lightning_reflow.wandb.artifact_store",
    "ArtifactStoreError": "lightning_reflow.wandb.artifact_store",
    "FileArtifactStore": "lightning_reflow.wandb.file_store",
    "WandbApiStore": "lightning_reflow.wandb.api_store",
    "WandbRunPublisher": "lightning_reflow.wandb.api_store",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
