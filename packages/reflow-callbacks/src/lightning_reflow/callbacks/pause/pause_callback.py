"""PauseCallback: stop at any moment, resume exactly."""

from __future__ import annotations

import logging
import shlex
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
import torch.distributed as dist
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.utilities import rank_zero_info, rank_zero_warn
from lightning.pytorch.utilities.warnings import PossibleUserWarning
from typing_extensions import override

from lightning_reflow.callbacks.core.protocols import CheckpointUploader, PauseStatus
from lightning_reflow.callbacks.pause import _data_order
from lightning_reflow.callbacks.pause._keyboard import KeyListener
from lightning_reflow.callbacks.pause._rng import capture_rng_state, restore_rng_state
from lightning_reflow.callbacks.pause._saving import save_pause_checkpoint
from lightning_reflow.callbacks.pause._signals import (
    ROUTER,
    PreemptionHandler,
    ignore_pause_signals_from_now_on,
    install_pause_signal,
)
from lightning_reflow.callbacks.pause.pause_exit import EXIT_PAUSED, PauseExit, PauseOutcome
from lightning_reflow.utils.checkpoint.metadata import fill_run_metadata, reflow_section

log = logging.getLogger(__name__)

__all__ = ["EXIT_PAUSED", "PauseCallback", "PauseExit", "PauseOutcome"]

_STATE_VERSION = 1
_NOT_RESUMABLE = (
    "You're resuming from a checkpoint that ended before the epoch ended and your dataloader is not resumable"
)


class PauseCallback(Callback):
    r"""Pause training on request and write a checkpoint that resumes bitwise-exactly.

    A request (the ``pause_key``/``upload_key`` in an interactive terminal, the ``pause_signal``, a
    ``PAUSE`` file in ``checkpoint_dir``, a SIGTERM preemption, or :meth:`request_pause`) only sets
    a flag. At the next safe point (a training batch end on an optimizer-step boundary that is not
    the epoch's last batch and is not followed by validation; at most one optimizer step after the
    request) all ranks agree to stop, the checkpoint is written atomically, the resume command is
    printed once and written beside it, and ``trainer.fit`` raises :class:`PauseExit`
    (exit status 75). A preemption stops at the very next batch end, safe or not.

    Args:
        checkpoint_dir: where pause checkpoints, their ``.resume.txt`` and ``last-pause.json`` go.
        enable_pause: ``False`` turns every trigger off (the callback then only carries RNG and
            data-order state, so checkpoints of other callbacks still resume exactly).
        pause_key: key that pauses, in an interactive terminal.
        upload_key: key that pauses and hands the checkpoint to an uploader (e.g. W&B).
        refresh_rate: seconds between checks of the ``pause_file``.
        bar_colour: colour a progress bar may use for the pause state.
        pause_on_batch_end: pause at the next safe batch end; ``False`` pauses only at the end of the
            current epoch (after its validation).
        upload_to_wandb: upload every pause checkpoint, not only on ``upload_key``.
        pause_signal: the pause signal (default ``$REFLOW_PAUSE_SIGNAL`` or ``SIGUSR1``).
        pause_file: name of the file in ``checkpoint_dir`` whose appearance requests a pause (its
            content ``upload`` also requests an upload); ``None`` disables it.
        resume_command: template of the printed resume command, with ``{checkpoint}``.
        upload_timeout: seconds a pause waits for its upload before exiting (``None``: no limit).

    Raises:
        ValueError: for an empty ``checkpoint_dir``, keys that are not single distinct characters,
            a non-positive ``refresh_rate`` or an unknown signal.
    """

    def __init__(
        self,
        checkpoint_dir: str = "pause_checkpoints",
        enable_pause: bool = True,
        pause_key: str = "p",
        upload_key: str = "w",
        refresh_rate: float = 1,
        bar_colour: str = "#fcac17",
        pause_on_batch_end: bool = True,
        upload_to_wandb: bool = False,
        pause_signal: str | int | None = None,
        pause_file: str | None = "PAUSE",
        resume_command: str | None = None,
        upload_timeout: float | None = None,
    ) -> None:
        super().__init__()
        if not str(checkpoint_dir).strip():
            raise ValueError("PauseCallback(checkpoint_dir='') needs a directory, e.g. 'pause_checkpoints'.")
        for name, key in (("pause_key", pause_key), ("upload_key", upload_key)):
            if not isinstance(key, str) or len(key) != 1:
                raise ValueError(f"PauseCallback({name}={key!r}) must be a single character, e.g. 'p'.")
        if pause_key.lower() == upload_key.lower():
            raise ValueError(f"PauseCallback(pause_key={pause_key!r}, upload_key={upload_key!r}) must differ.")
        if refresh_rate <= 0:
            raise ValueError(f"PauseCallback(refresh_rate={refresh_rate!r}) must be a positive number of seconds.")
        self.checkpoint_dir = Path(checkpoint_dir)
        self.enable_pause = enable_pause
        self.pause_key = pause_key
        self.upload_key = upload_key
        self.refresh_rate = refresh_rate
        self.bar_colour = bar_colour
        self.pause_on_batch_end = pause_on_batch_end
        self.upload_to_wandb = upload_to_wandb
        self.pause_file = pause_file
        self.resume_command = resume_command
        self.upload_timeout = upload_timeout
        self.pause_signal = install_pause_signal(pause_signal) if enable_pause else None
        self.outcome: PauseOutcome | None = None

        self._request: tuple[str, bool] | None = None
        self._preempted = False
        self._keys = KeyListener({pause_key: lambda: self.request_pause("key"), upload_key: self._upload_key})
        self._preemption = PreemptionHandler(self._on_preempt)
        self._next_file_check = 0.0
        self._trainer: pl.Trainer | None = None
        # Data-order bookkeeping, all local to this rank (gathered across ranks when saved).
        self._fit_rng: dict[str, Any] | None = None
        self._iter_rng: tuple[int, dict[str, Any]] | None = None
        self._restored: dict[str, Any] | None = None
        self._boundary_recreate = False
        self._pause_section: dict[str, Any] | None = None

    # ------------------------------------------------------------------ requests

    def request_pause(self, reason: str = "api", upload: bool = False) -> None:
        """Ask for a pause at the next safe point (safe to call from any thread or a signal handler)."""
        if not self.enable_pause:
            return
        previous = self._request
        self._request = (previous[0] if previous else reason, upload or (previous is not None and previous[1]))

    def _upload_key(self) -> None:
        self.request_pause("key", upload=True)

    def _on_request(self, reason: str, upload: bool) -> None:
        self.request_pause(reason, upload)

    def _on_preempt(self) -> None:
        self._preempted = True

    @property
    def pause_scheduled(self) -> bool:
        return self._request is not None or self._preempted

    def pause_status(self) -> PauseStatus:
        """The pause state for a progress bar (see :class:`~lightning_reflow.callbacks.core.PauseStatusProvider`)."""
        reason = "preemption" if self._preempted else (self._request[0] if self._request else None)
        hint = f"{self.pause_key}: pause  {self.upload_key}: pause+upload" if self._keys.active else None
        return PauseStatus(
            scheduled=self.pause_scheduled,
            upload_requested=bool(self._request and self._request[1])
            or (self.pause_scheduled and self.upload_to_wandb),
            reason=reason,
            hint=hint,
        )

    def _poll_file(self) -> None:
        if self.pause_file is None:
            return
        now = time.monotonic()
        if now < self._next_file_check:
            return
        self._next_file_check = now + self.refresh_rate
        marker = self.checkpoint_dir / self.pause_file
        if marker.is_file():
            try:
                upload = "upload" in marker.read_text(errors="ignore").lower()
                marker.unlink()
            except OSError:
                return
            self.request_pause("file", upload=upload)

    # ------------------------------------------------------------------ lifecycle

    @override
    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage != "fit":
            return
        self._trainer = trainer
        self.outcome = None
        # State of an earlier fit with this callback must not leak into this one; a checkpoint's
        # state arrives after setup (load_state_dict), so this never discards a resume.
        self._fit_rng, self._iter_rng, self._restored = None, None, None
        self._boundary_recreate, self._preempted = False, False
        if self.enable_pause:
            install_pause_signal(self.pause_signal)  # again: an earlier pause of this process ignored it
            ROUTER.activate(self._on_request)

    @override
    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        restored = self._restored
        if restored is not None and restored.get("fit_rng") is not None:
            # Replay from the same RNG position as the original fit, so that the dataloaders built
            # in setup_data (datasets drawn at random, the first epoch's shuffling) come out the same.
            self._fit_rng = restored["fit_rng"]
            restore_rng_state(self._fit_rng)
        else:
            self._fit_rng = capture_rng_state()

    @override
    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.enable_pause:
            # After Lightning registered its SIGTERM handler, so that ours runs first and defers it.
            self._preemption = PreemptionHandler(self._on_preempt)
            self._preemption.install()
        if self.enable_pause and trainer.is_global_zero and self._keys.start():
            rank_zero_info(f"Press '{self.pause_key}' to pause, '{self.upload_key}' to pause and upload.")
        _data_order.watch_iterator_creation(trainer, self._record_iterator_rng)
        if self._restored is not None:
            self._restore_position(trainer, self._restored)

    def _record_iterator_rng(self) -> None:
        trainer = self._trainer
        if trainer is not None:
            self._iter_rng = (trainer.current_epoch, capture_rng_state())

    def _restore_position(self, trainer: pl.Trainer, restored: dict[str, Any]) -> None:
        loaders = _data_order.train_loaders(trainer)
        plain = bool(loaders) and not all(_data_order.is_stateful(dl) for dl in loaders)
        skip = int(restored.get("batches_in_epoch", 0))
        mid_epoch = restored.get("epoch") == trainer.current_epoch and 0 < skip < trainer.num_training_batches
        if plain and mid_epoch:
            iter_rng = restored.get("iter_rng")
            recreate = iter_rng is not None and restored.get("iter_epoch") == trainer.current_epoch
            _data_order.set_sampler_epoch(loaders, trainer.current_epoch)
            if recreate:
                restore_rng_state(iter_rng)
            _data_order.recreate_and_skip(trainer, skip, recreate=recreate)
            # The loader is now where the paused run left it; Lightning cannot know and would warn.
            warnings.filterwarnings("ignore", message=_NOT_RESUMABLE, category=PossibleUserWarning)
        elif plain:
            self._boundary_recreate = True
        if restored.get("rng") is not None:
            restore_rng_state(restored["rng"])
        self._restored = None

    @override
    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._boundary_recreate:
            self._boundary_recreate = False
            # Resumed at an epoch boundary: Lightning reuses the iterator it made before the first
            # hook ran; make it again here, where an uninterrupted run makes it.
            if trainer.fit_loop.is_resuming:
                loaders = _data_order.train_loaders(trainer)
                _data_order.set_sampler_epoch(loaders, trainer.current_epoch)
                _data_order.recreate_and_skip(trainer, 0, recreate=True)

    @override
    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if not self.enable_pause:
            return
        self._poll_file()
        request, upload, preempt = self._agree(trainer)
        if not (preempt or (request and self.pause_on_batch_end)):
            return  # the common case: nothing pending on any rank, no safe-point test needed
        epoch_loop = trainer.fit_loop.epoch_loop
        if epoch_loop._is_training_done:
            return  # the run finishes with this step anyway
        safe = (
            not epoch_loop._should_accumulate()
            and not epoch_loop.batch_progress.is_last_batch
            and not epoch_loop._should_check_val_fx(trainer.fit_loop._data_fetcher)
        )
        if preempt:
            self._pause(trainer, "preemption", upload, exact=safe)
        elif safe:
            self._pause(trainer, self._reason(), upload, exact=True)

    @override
    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # Epoch mode pauses here, after the epoch's validation and before the epoch-end hooks of
        # the module and of monitoring callbacks, which Lightning runs again when it resumes.
        if not self.enable_pause or self.pause_on_batch_end or self._last_epoch(trainer):
            return
        request, upload, _ = self._agree(trainer)
        if request:
            self._pause(trainer, self._reason(), upload, exact=True)

    def _reason(self) -> str:
        return self._request[0] if self._request else "signal"

    @staticmethod
    def _last_epoch(trainer: pl.Trainer) -> bool:
        # Pausing after the final epoch would only postpone a run that is about to finish.
        max_epochs = trainer.max_epochs if trainer.max_epochs is not None else -1
        steps_done = 0 < trainer.max_steps <= trainer.global_step
        return steps_done or 0 <= max_epochs <= trainer.current_epoch + 1

    def _agree(self, trainer: pl.Trainer) -> tuple[bool, bool, bool]:
        """Every rank's requests, combined: a request on any rank pauses all of them at this step."""
        local = (
            self._request is not None,
            bool(self._request and self._request[1]) or self.upload_to_wandb,
            self._preempted,
        )
        if trainer.world_size <= 1 or not (dist.is_available() and dist.is_initialized()):
            return local[0], local[0] and local[1], local[2]
        flags = torch.tensor([float(x) for x in local], device=trainer.strategy.root_device)
        flags = trainer.strategy.reduce(flags, reduce_op="sum")
        request, upload, preempt = (bool(x > 0) for x in flags.tolist())
        return request, request and upload, preempt

    # ------------------------------------------------------------------ the pause itself

    def _pause(self, trainer: pl.Trainer, reason: str, upload: bool, *, exact: bool) -> None:
        epoch, step = trainer.current_epoch, trainer.global_step
        path = (self.checkpoint_dir / f"pause-epoch={epoch}-step={step}.ckpt").resolve()
        self._pause_section = {
            "reason": reason,
            "global_step": step,
            "epoch": epoch,
            "exact": exact,
            "upload_requested": upload,
        }
        try:
            save_pause_checkpoint(trainer, path)
        finally:
            self._pause_section = None
        command = self._resume_command(trainer, path)
        outcome = PauseOutcome(True, reason, str(path), command, step, epoch, upload, exact)
        self.outcome = outcome
        if trainer.is_global_zero:
            path.with_suffix(".resume.txt").write_text(command + "\n")
            outcome.write(self.checkpoint_dir)
            note = "" if exact else " (preempted between safe points: the resume is not bitwise exact)"
            rank_zero_info(f"Paused at step {step} (epoch {epoch}){note}. Checkpoint: {path}\nResume with: {command}")
            if upload:
                self._upload(trainer, path, outcome)
        self._request = None
        self._preempted = False
        self._preemption.call_previous()
        ignore_pause_signals_from_now_on()  # a repeated request must not kill the exiting process
        raise PauseExit(outcome)

    def _resume_command(self, trainer: pl.Trainer, path: Path) -> str:
        quoted = shlex.quote(str(path))
        if self.resume_command:
            return self.resume_command.format(checkpoint=quoted)
        if any(type(cb).__name__ == "ConfigEmbeddingCallback" for cb in trainer.callbacks):
            return f"reflow resume --checkpoint-path {quoted}"
        return f"trainer.fit(model, datamodule, ckpt_path={str(path)!r})"

    def _upload(self, trainer: pl.Trainer, path: Path, outcome: PauseOutcome) -> None:
        uploaders = [cb for cb in trainer.callbacks if isinstance(cb, CheckpointUploader)]
        if not uploaders:
            rank_zero_warn(
                "An upload of the pause checkpoint was requested, but no uploader callback is attached; "
                "add `lightning_reflow.callbacks.wandb.WandbArtifactCheckpoint` (pip install reflow-wandb)."
            )
            return
        metadata = {"reason": outcome.reason, "global_step": outcome.global_step, "epoch": outcome.epoch}
        for uploader in uploaders:
            uploader.upload_checkpoint(trainer, str(path), aliases=("paused",), metadata=metadata)
        for uploader in uploaders:
            if not uploader.wait_for_uploads(timeout=self.upload_timeout):
                rank_zero_warn(f"The upload of {path} did not finish within {self.upload_timeout} s.")

    # ------------------------------------------------------------------ state

    @override
    def state_dict(self) -> dict[str, Any]:
        trainer = self._trainer
        local = {
            "rng": capture_rng_state(),
            "fit_rng": self._fit_rng,
            "iter_rng": self._iter_rng[1] if self._iter_rng else None,
        }
        ranks = _gather(local)
        fit_loop = trainer.fit_loop if trainer is not None else None
        return {
            "version": _STATE_VERSION,
            "ranks": ranks,
            "iter_epoch": self._iter_rng[0] if self._iter_rng else -1,
            "epoch": trainer.current_epoch if trainer is not None else 0,
            "batches_in_epoch": fit_loop.epoch_loop.batch_progress.current.ready if fit_loop is not None else 0,
        }

    @override
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if state_dict.get("version") != _STATE_VERSION:
            return
        ranks = state_dict["ranks"]
        rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
        if len(ranks) != (dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1):
            rank_zero_warn(
                f"The checkpoint was written by {len(ranks)} process(es) and is resumed by another number: "
                "model and optimizer state carry over, but RNG streams and data order cannot be exact."
            )
            return
        mine = ranks[rank]
        self._restored = {
            "rng": mine["rng"],
            "fit_rng": mine["fit_rng"],
            "iter_rng": mine["iter_rng"],
            "iter_epoch": state_dict["iter_epoch"],
            "epoch": state_dict["epoch"],
            "batches_in_epoch": state_dict["batches_in_epoch"],
        }
        if mine["iter_rng"] is not None:
            self._iter_rng = (state_dict["iter_epoch"], mine["iter_rng"])

    @override
    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        fill_run_metadata(trainer, checkpoint)
        if self._pause_section is not None:
            reflow_section(checkpoint)["pause"] = dict(self._pause_section)

    # ------------------------------------------------------------------ cleanup (every exit path)

    def _release(self) -> None:
        self._keys.stop()
        ROUTER.deactivate(self._on_request)
        self._preemption.uninstall()
        if self._trainer is not None:
            _data_order.unwatch(self._trainer)

    @override
    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        self._release()

    @override
    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage == "fit":
            self._release()


def _gather(local: Mapping[str, Any]) -> list[dict[str, Any]]:
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        out: list[Any] = [None] * dist.get_world_size()
        dist.all_gather_object(out, dict(local))
        return out
    return [dict(local)]
