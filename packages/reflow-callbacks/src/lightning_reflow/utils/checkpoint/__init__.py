"""Checkpoint utilities: the embedded reflow metadata, safe reading and atomic writing."""

from lightning_reflow.utils.checkpoint.atomic_save import atomic_save
from lightning_reflow.utils.checkpoint.loading import (
    CheckpointError,
    check_model_compatible,
    extract_embedded_config,
    load_checkpoint,
    read_metadata,
)
from lightning_reflow.utils.checkpoint.metadata import (
    FORMAT_VERSION,
    REFLOW_KEY,
    ReflowMetadata,
    fill_run_metadata,
    reflow_section,
    reflow_versions,
)
from lightning_reflow.utils.checkpoint.resume_source import ResolvedCheckpoint, ResumeSource

__all__ = [
    "FORMAT_VERSION",
    "REFLOW_KEY",
    "CheckpointError",
    "ReflowMetadata",
    "ResolvedCheckpoint",
    "ResumeSource",
    "atomic_save",
    "check_model_compatible",
    "extract_embedded_config",
    "fill_run_metadata",
    "load_checkpoint",
    "read_metadata",
    "reflow_section",
    "reflow_versions",
]
