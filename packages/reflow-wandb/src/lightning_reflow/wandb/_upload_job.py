"""Turning a checkpoint file into a background upload job: freeze it now, hash, compress, publish later."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lightning_reflow.wandb._compression import GZIP_SUFFIX, compress_file, sha256_file, snapshot
from lightning_reflow.wandb._metadata import CHECKPOINT_FILE, build_metadata
from lightning_reflow.wandb._run_binding import RunBinding
from lightning_reflow.wandb._upload_worker import UploadJob

SPOOL = ".reflow-upload"


def make_upload_job(
    binding: RunBinding,
    path: Path,
    aliases: Sequence[str],
    *,
    reason: str,
    info: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
    compress: bool = True,
) -> tuple[UploadJob, Path]:
    """Freeze ``path`` (a hard link in ``<its folder>/.reflow-upload``) and return the job and that spool folder.

    Only the link happens on the calling (training) thread; the job, run later on the upload
    thread, computes the sha256 (and gzips) in one streamed pass, publishes, and removes its files.
    """
    spool = path.parent / SPOOL
    spool.mkdir(exist_ok=True)
    frozen = spool / f"{uuid.uuid4().hex}.ckpt"
    snapshot(path, frozen)  # O(1), and immune to ModelCheckpoint replacing or deleting `path`
    unique = tuple(dict.fromkeys(aliases))
    compressed = frozen.with_name(frozen.name + GZIP_SUFFIX)

    def run() -> str:
        try:
            if compress:
                upload, digest, file_name = compressed, compress_file(frozen, compressed), CHECKPOINT_FILE + GZIP_SUFFIX
            else:
                upload, digest, file_name = frozen, sha256_file(frozen), CHECKPOINT_FILE
            metadata = build_metadata(
                run_id=binding.run_id,
                reason=reason,
                epoch=info.get("epoch"),
                global_step=info.get("global_step"),
                sha256=digest,
                size=frozen.stat().st_size,
                file_name=file_name,
                compression="gzip" if compress else None,
                monitor=info.get("monitor"),
                monitor_score=info.get("score"),
                extra={**(extra or {}), "source_file": path.name},
            )
            return binding.publisher.publish(
                binding.artifact_name, {file_name: upload}, aliases=unique, metadata=metadata
            )
        finally:
            frozen.unlink(missing_ok=True)
            compressed.unlink(missing_ok=True)

    return UploadJob(f"{path.name} [{', '.join(unique)}]", frozen.stat().st_size, run), spool


def remove_spools(folders: Iterable[Path]) -> None:
    """Remove the spool folders once no job uses them (left alone if something is still inside)."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            pass
