"""Artifact metadata: what a version carries, and nothing secret."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lightning_reflow.utils.checkpoint import reflow_versions
from lightning_reflow.utils.config import is_secret_name

METADATA_FORMAT = 1
CHECKPOINT_FILE = "model.ckpt"


def plain(value: Any, depth: int = 0) -> Any:
    """``value`` reduced to JSON types, dropping secret-looking keys; ``None`` for anything else.

    Secret-looking means :func:`lightning_reflow.utils.config.is_secret_name`, the one rule every
    reflow component uses.
    """
    if depth > 4:
        return None
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # a 0-d tensor or numpy scalar
        return plain(value.item(), depth)
    if isinstance(value, Mapping):
        return {str(k): plain(v, depth + 1) for k, v in value.items() if not is_secret_name(str(k))}
    if isinstance(value, (list, tuple)):
        return [plain(v, depth + 1) for v in value]
    return None


def build_metadata(
    *,
    run_id: str,
    reason: str,
    epoch: int | None,
    global_step: int | None,
    sha256: str,
    size: int,
    file_name: str,
    compression: str | None,
    monitor: str | None = None,
    monitor_score: Any = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The metadata of one checkpoint version.

    Args:
        run_id: the W&B run that produced the checkpoint.
        reason: why it was uploaded (``epoch``, ``end``, ``pause``, ``emergency``).
        epoch: the epoch stored in the checkpoint.
        global_step: the optimizer step stored in the checkpoint.
        sha256: hex digest of the uncompressed checkpoint file.
        size: bytes of the uncompressed checkpoint file.
        file_name: the checkpoint's file name inside the artifact.
        compression: ``"gzip"`` or ``None``.
        monitor: the monitored metric, if any.
        monitor_score: its value for this checkpoint.
        extra: more details (e.g. from the pause callback); secret-looking keys are dropped.
    """
    metadata: dict[str, Any] = {
        "reflow_format": METADATA_FORMAT,
        "run_id": run_id,
        "reason": reason,
        "epoch": epoch,
        "global_step": global_step,
        "monitor": monitor,
        "monitor_score": plain(monitor_score),
        "sha256": sha256,
        "size": size,
        "checkpoint_file": file_name,
        "compression": compression,
        "versions": reflow_versions(),
    }
    if extra:
        metadata["details"] = plain(dict(extra))
    return metadata
