"""Finding the W&B run of a Trainer and the publisher that writes its artifact."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.loggers import WandbLogger

from lightning_reflow.wandb.api_store import WandbRunPublisher
from lightning_reflow.wandb.artifact_store import ArtifactPublisher, artifact_name_for_run, file_store_root_from_env

LOCAL_ENTITY = "local"


@dataclass(frozen=True)
class RunBinding:
    """The run whose artifact receives the checkpoints, and how versions get there."""

    run_id: str
    artifact_name: str
    publisher: ArtifactPublisher
    target: str


def find_wandb_logger(trainer: pl.Trainer) -> WandbLogger | None:
    """The first ``WandbLogger`` of ``trainer``, if any."""
    return next((lg for lg in trainer.loggers if isinstance(lg, WandbLogger)), None)


def bind_run(trainer: pl.Trainer) -> RunBinding | None:
    """Bind to the trainer's W&B run (rank 0 only); ``None`` when there is none.

    With ``REFLOW_ARTIFACT_STORE=file:///path`` versions go to that folder store under the run's
    entity (``WANDB_ENTITY`` or ``local`` when the run has none, as offline runs do) and project.
    """
    logger = find_wandb_logger(trainer)
    if logger is None:
        return None
    run: Any = logger.experiment
    run_id = getattr(run, "id", None)
    if not isinstance(run_id, str) or not run_id:
        return None
    name = artifact_name_for_run(run_id)
    root = file_store_root_from_env()
    if root is not None:
        from lightning_reflow.wandb.file_store import FileArtifactStore

        entity = run.entity or os.environ.get("WANDB_ENTITY") or LOCAL_ENTITY
        publisher: ArtifactPublisher = FileArtifactStore(root).publisher(entity, run.project)
        target = f"{root} ({entity}/{run.project}/{name})"
    else:
        publisher = WandbRunPublisher(run)
        target = f"W&B ({run.entity or '<offline>'}/{run.project}/{name})"
    return RunBinding(run_id=run_id, artifact_name=name, publisher=publisher, target=target)


def is_pause_exit(exception: BaseException) -> bool:
    """Whether ``exception`` is reflow's normal pause exit (not a failure)."""
    try:
        from lightning_reflow.callbacks import PauseExit
    except (ImportError, AttributeError):
        PauseExit = None
    if PauseExit is not None and isinstance(exception, PauseExit):
        return True
    return isinstance(exception, SystemExit) and exception.code == 75 and hasattr(exception, "outcome")
