"""MemoryCleanupCallback: collect Python garbage and return cached CUDA blocks at chosen moments."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback
from typing_extensions import override

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CleanupReport:
    """What one cleanup did.

    Attributes:
        reason: the moment (``"step"``, ``"train_epoch_end"``, ``"validation_end"``, ``"train_end"``).
        global_step: the optimizer step at the time.
        collected: objects found unreachable by ``gc.collect()`` (0 when ``gc_collect=False``).
        cuda_reserved_before: bytes the CUDA caching allocator held before, ``None`` without CUDA.
        cuda_reserved_after: bytes it held after ``torch.cuda.empty_cache()``, ``None`` without CUDA.
    """

    reason: str
    global_step: int
    collected: int
    cuda_reserved_before: int | None
    cuda_reserved_after: int | None

    @property
    def cuda_released(self) -> int:
        """Bytes given back to the driver (0 without CUDA)."""
        if self.cuda_reserved_before is None or self.cuda_reserved_after is None:
            return 0
        return max(0, self.cuda_reserved_before - self.cuda_reserved_after)


class MemoryCleanupCallback(Callback):
    """Run ``gc.collect()`` and ``torch.cuda.empty_cache()`` at chosen moments of training.

    What it does and does not do: ``gc.collect()`` frees objects kept alive only by reference cycles
    (tensors among them), which otherwise wait for Python's next automatic collection;
    ``torch.cuda.empty_cache()`` returns the caching allocator's *unused* blocks to the driver, which
    helps other processes on the same GPU and fragmentation after validation, but frees no live tensor
    and makes the next allocations slower. CUDA is touched only when this process already initialised
    it (the callback never initialises CUDA itself). Each cleanup costs a full collection (milliseconds
    to tens of milliseconds on a large heap), so per-step cleanup is off by default.

    Counters for monitoring and tests: :attr:`cleanups`, :attr:`collected`, :attr:`cuda_released` and
    :attr:`reports` (the last ``keep_reports`` :class:`CleanupReport`).

    Args:
        every_n_steps: also clean after every this many optimizer steps (``None``: never per step).
        on_train_epoch_end: clean at the end of every training epoch.
        on_validation_end: clean after every validation run during fit (not the sanity check).
        on_train_end: clean when training ends.
        gc_collect: run ``gc.collect()``.
        empty_cuda_cache: run ``torch.cuda.empty_cache()`` when CUDA is initialised.
        verbose: log every cleanup at INFO level (rank 0 only); otherwise at DEBUG.
        keep_reports: how many reports :attr:`reports` keeps.

    Raises:
        ValueError: ``every_n_steps`` is not a positive integer, or ``keep_reports`` is negative.
    """

    def __init__(
        self,
        every_n_steps: int | None = None,
        on_train_epoch_end: bool = True,
        on_validation_end: bool = True,
        on_train_end: bool = True,
        gc_collect: bool = True,
        empty_cuda_cache: bool = True,
        verbose: bool = False,
        keep_reports: int = 100,
    ) -> None:
        super().__init__()
        if every_n_steps is not None and (not isinstance(every_n_steps, int) or every_n_steps < 1):
            raise ValueError(
                f"`MemoryCleanupCallback(every_n_steps={every_n_steps!r})` must be a positive number of optimizer "
                "steps, or None to clean only at epoch/validation/training end."
            )
        if keep_reports < 0:
            raise ValueError(f"`MemoryCleanupCallback(keep_reports={keep_reports})` must be 0 or more.")
        self.every_n_steps = every_n_steps
        self.clean_on_train_epoch_end = on_train_epoch_end
        self.clean_on_validation_end = on_validation_end
        self.clean_on_train_end = on_train_end
        self.gc_collect = gc_collect
        self.empty_cuda_cache = empty_cuda_cache
        self.verbose = verbose
        self.keep_reports = keep_reports
        self.cleanups = 0
        self.collected = 0
        self.cuda_released = 0
        self.reports: list[CleanupReport] = []
        self._last_step = -1

    def cleanup(self, reason: str = "manual", global_step: int = 0, *, rank_zero: bool = True) -> CleanupReport:
        """Clean now and return what was done (also usable outside a Trainer)."""
        collected = gc.collect() if self.gc_collect else 0
        before = after = None
        if self.empty_cuda_cache and torch.cuda.is_available() and torch.cuda.is_initialized():
            before = torch.cuda.memory_reserved()
            torch.cuda.empty_cache()
            after = torch.cuda.memory_reserved()
        report = CleanupReport(reason, global_step, collected, before, after)
        self.cleanups += 1
        self.collected += collected
        self.cuda_released += report.cuda_released
        if self.keep_reports:
            self.reports = [*self.reports[-(self.keep_reports - 1) :], report] if self.keep_reports > 1 else [report]
        if rank_zero:
            level = logging.INFO if self.verbose else logging.DEBUG
            log.log(level, "Memory cleanup (%s, step %d): %d objects collected, %d CUDA bytes released",
                    reason, global_step, collected, report.cuda_released)  # fmt: skip
        return report

    def _clean(self, trainer: pl.Trainer, reason: str) -> None:
        self.cleanup(reason, trainer.global_step, rank_zero=trainer.is_global_zero)

    @override
    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._last_step = -1

    @override
    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        step = trainer.global_step
        if self.every_n_steps and step != self._last_step and step > 0 and step % self.every_n_steps == 0:
            self._last_step = step  # with gradient accumulation, several batches share a step
            self._clean(trainer, "step")

    @override
    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.clean_on_train_epoch_end:
            self._clean(trainer, "train_epoch_end")

    @override
    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.clean_on_validation_end and trainer.state.fn == "fit" and not trainer.sanity_checking:
            self._clean(trainer, "validation_end")

    @override
    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.clean_on_train_end:
            self._clean(trainer, "train_end")
