"""WandbArtifactCheckpoint: checkpoints become versions of one W&B artifact per run, uploaded in the background."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import Callback
from typing_extensions import override

from lightning_reflow.utils.checkpoint import atomic_save
from lightning_reflow.wandb._run_binding import RunBinding, bind_run, find_wandb_logger, is_pause_exit
from lightning_reflow.wandb._save_tracker import SaveTracker
from lightning_reflow.wandb._upload_job import make_upload_job, remove_spools
from lightning_reflow.wandb._upload_worker import UploadWorker

log = logging.getLogger("lightning_reflow.wandb")


class WandbArtifactCheckpoint(Callback):
    """Upload checkpoints as versions of one W&B artifact per run, without stalling training.

    The artifact is ``checkpoint-<run id>`` in the run's project. Its versions carry the aliases
    ``latest`` (always the newest version, as W&B assigns it), ``best`` (best monitored score), ``epoch-N``,
    ``paused`` (a pause checkpoint handed over by the pause callback) and ``emergency`` (written on a
    crash); each alias names one version and moves to the newest. The metadata holds the producing
    run id, epoch, step, monitored metric and score, the sha256 of the uncompressed checkpoint and
    the reflow versions. Hashing, compression and the upload run on a background thread; the end of
    training, a pause and a crash wait for pending uploads (bounded by ``wait_timeout``).

    Epoch checkpoints are the files written by the Trainer's ``ModelCheckpoint`` callbacks: the
    newest (``last_model_path``, or the newest file, of the one that saved last) and the
    ``best_model_path`` of the first one that monitors a metric. Only global rank 0 uploads; a
    Trainer without ``WandbLogger`` uploads nothing.

    Args:
        upload_best_model: upload the best checkpoint when it changes (alias ``best``).
        upload_last_model: upload the newest checkpoint (aliases ``latest``, ``epoch-N``).
        upload_every_n_epoch: upload every N epochs (``0``: only at the end of training).
        monitor_pause_checkpoints: upload pause checkpoints that the pause callback hands over
            (``w`` key, ``upload_to_wandb=True``, a ``PAUSE`` file saying ``upload``), alias ``paused``.
        use_compression: gzip the checkpoint (streamed, level 1) before upload.
        create_emergency_checkpoints: on an exception (not a pause, not a normal end), write a
            checkpoint next to the others and upload it with alias ``emergency`` (single process only).
        wait_timeout: seconds the end of training, a pause or a crash waits for pending uploads
            (``None``: no limit).

    Raises:
        ValueError: ``upload_every_n_epoch`` is negative or ``wait_timeout`` is not positive.
    """

    def __init__(
        self,
        upload_best_model: bool = True,
        upload_last_model: bool = True,
        upload_every_n_epoch: int = 1,
        monitor_pause_checkpoints: bool = True,
        use_compression: bool = True,
        create_emergency_checkpoints: bool = True,
        wait_timeout: float | None = 900.0,
    ) -> None:
        if not isinstance(upload_every_n_epoch, int) or upload_every_n_epoch < 0:
            raise ValueError(
                f"WandbArtifactCheckpoint(upload_every_n_epoch={upload_every_n_epoch!r}) is invalid: "
                "use an int >= 1 to upload every N epochs, or 0 to upload only at the end of training."
            )
        if wait_timeout is not None and wait_timeout <= 0:
            raise ValueError(
                f"WandbArtifactCheckpoint(wait_timeout={wait_timeout!r}) is invalid: use seconds > 0, or None."
            )
        self.upload_best_model = upload_best_model
        self.upload_last_model = upload_last_model
        self.upload_every_n_epoch = upload_every_n_epoch
        self.monitor_pause_checkpoints = monitor_pause_checkpoints
        self.use_compression = use_compression
        self.create_emergency_checkpoints = create_emergency_checkpoints
        self.wait_timeout = wait_timeout
        self._binding: RunBinding | None = None
        self._worker: UploadWorker | None = None
        self._tracker = SaveTracker()
        self._completed: list[str] = []
        self._spools: set[Path] = set()
        self._gave_up = False
        self._errors: list[str] = []

    @property
    def uploads_completed(self) -> list[str]:
        """Descriptions of the versions published so far in this process."""
        return self._completed + (list(self._worker.completed) if self._worker else [])

    @property
    def upload_errors(self) -> list[str]:
        """Uploads that failed (they are logged; training goes on)."""
        return self._errors + (list(self._worker.errors) if self._worker else [])

    @override
    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage != "fit" or trainer.global_rank != 0 or self._binding is not None:
            return
        self._binding = bind_run(trainer)
        if self._binding is None:
            log.warning("WandbArtifactCheckpoint: the Trainer has no WandbLogger; no checkpoint will be uploaded.")
            return
        self._worker = UploadWorker()
        log.info("WandbArtifactCheckpoint: checkpoints go to %s", self._binding.target)
        logger = find_wandb_logger(trainer)
        if logger is not None and getattr(logger, "_log_model", False):
            log.warning(
                "WandbLogger(log_model=...) uploads the same checkpoints again as `model-<run id>`; "
                "set log_model=False to upload them once, through WandbArtifactCheckpoint."
            )

    @override
    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # After a resume, ModelCheckpoint's restored files were uploaded by the previous process.
        if self._worker is None:
            return
        self._tracker.mark_current_uploaded(trainer)

    @override
    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        self._tracker.on_save(checkpoint)

    @override
    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        if self._worker is not None:
            self._tracker.register(trainer)

    @override
    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._worker is None or trainer.current_epoch == 0:
            return
        self._tracker.register(trainer)
        completed = trainer.current_epoch  # epochs finished so far
        if self.upload_every_n_epoch and completed % self.upload_every_n_epoch == 0:
            self._queue_epoch_uploads(trainer, reason="epoch")

    @override
    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # Not on_train_end: ModelCheckpoint writes a pending `last.ckpt` in its own on_train_end,
        # which runs after every other callback's.
        if self._worker is None:
            return
        self._queue_epoch_uploads(trainer, reason="end")
        self._gave_up = not self._worker.wait(self.wait_timeout)

    @override
    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        if trainer.global_rank != 0:
            return
        if not is_pause_exit(exception) and self.create_emergency_checkpoints:
            self._emergency_checkpoint(trainer, exception)
        # Lightning calls no `teardown` hook after an exception (a pause included): finish here.
        self._shutdown()

    @override
    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self._shutdown()

    def _shutdown(self) -> None:
        if self._worker is None:
            return
        # Wait only once for the same uploads: after a wait that ran out, leave them to the daemon thread.
        if self._worker.close(0.0 if self._gave_up else self.wait_timeout):
            remove_spools(self._spools)
        self._completed += self._worker.completed
        self._errors += self._worker.errors
        self._worker = None
        self._binding = None
        self._gave_up = False
        self._spools.clear()

    def upload_checkpoint(
        self,
        trainer: pl.Trainer,
        path: str,
        *,
        aliases: tuple[str, ...] = (),
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Queue a checkpoint written by another callback (a pause) as a new version; returns at once.

        Like every version, it also takes ``latest`` (W&B gives that alias to the newest version).
        """
        if trainer.global_rank != 0:
            return
        if not self.monitor_pause_checkpoints:
            log.warning("WandbArtifactCheckpoint(monitor_pause_checkpoints=False): not uploading %s", path)
            return
        if self._worker is None:
            log.warning("WandbArtifactCheckpoint: no W&B run to upload %s to (the Trainer has no WandbLogger).", path)
            return
        details = dict(metadata or {})
        info = {
            "epoch": details.get("epoch", trainer.current_epoch),
            "global_step": details.get("global_step", trainer.global_step),
        }
        self._queue(Path(path), aliases, reason="pause", info=info, extra=details)

    def wait_for_uploads(self, timeout: float | None = None) -> bool:
        """Block until every queued upload finished, logging progress; ``False`` if ``timeout`` ran out."""
        return True if self._worker is None else self._worker.wait(timeout)

    def _queue_epoch_uploads(self, trainer: pl.Trainer, reason: str) -> None:
        due = self._tracker.due(trainer, reason, last=self.upload_last_model, best=self.upload_best_model)
        for saved, aliases in due:
            if os.path.exists(saved.path):
                self._queue(Path(saved.path), aliases, reason=reason, info=saved.info)

    def _emergency_checkpoint(self, trainer: pl.Trainer, exception: BaseException) -> None:
        if trainer.global_step == 0:
            return  # nothing trained yet: nothing worth saving
        if trainer.world_size > 1:
            log.warning("No emergency checkpoint: with several processes, writing one after a crash could hang.")
            return
        callback = trainer.checkpoint_callback
        directory = Path(callback.dirpath) if getattr(callback, "dirpath", None) else Path(trainer.default_root_dir)
        path = directory / f"emergency-epoch={trainer.current_epoch}-step={trainer.global_step}.ckpt"
        try:
            checkpoint = trainer._checkpoint_connector.dump_checkpoint(weights_only=False)
            atomic_save(checkpoint, path)
        except Exception as err:  # the original exception matters more than this one
            log.warning("Could not write an emergency checkpoint after %s: %s", type(exception).__name__, err)
            return
        log.warning("%s during training: emergency checkpoint written to %s", type(exception).__name__, path)
        if self._worker is not None:
            info = {"epoch": trainer.current_epoch, "global_step": trainer.global_step}
            extra = {"exception": type(exception).__name__}
            self._queue(path, ("emergency",), reason="emergency", info=info, extra=extra)

    def _queue(
        self,
        path: Path,
        aliases: tuple[str, ...] | list[str],
        *,
        reason: str,
        info: Mapping[str, Any],
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        assert self._worker is not None and self._binding is not None
        job, spool = make_upload_job(
            self._binding, path, aliases, reason=reason, info=info, extra=extra, compress=self.use_compression
        )
        self._spools.add(spool)
        self._worker.submit(job)
