"""MemoryCleanupCallback: cleans when asked, frees cycle-held objects, never initialises CUDA itself."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import pytest
import torch
from lightning.pytorch.demos.boring_classes import BoringModel

from lightning_reflow.callbacks import MemoryCleanupCallback


class _Cycle:
    def __init__(self) -> None:
        self.me = self
        self.payload = torch.zeros(256)


class CycleMakingModel(BoringModel):
    """Leaves one unreachable reference cycle per training step and remembers it weakly."""

    def __init__(self) -> None:
        super().__init__()
        self.garbage: list[tuple[int, weakref.ref]] = []

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        self.garbage.append((self.global_step, weakref.ref(_Cycle())))
        return super().training_step(batch, batch_idx)


@pytest.fixture
def no_automatic_gc():
    """Only the callback collects, so what it freed is attributable to it."""
    gc.collect()
    gc.disable()
    yield
    gc.enable()


def _fit(tmp_path: Path, callback: MemoryCleanupCallback, model: pl.LightningModule, **kwargs: Any) -> pl.Trainer:
    options: dict[str, Any] = dict(max_epochs=2, limit_train_batches=4, limit_val_batches=1, num_sanity_val_steps=0)
    options.update(kwargs)
    trainer = pl.Trainer(
        default_root_dir=tmp_path, logger=False, enable_progress_bar=False, enable_model_summary=False,
        enable_checkpointing=False, callbacks=[callback], **options,
    )  # fmt: skip
    trainer.fit(model)
    return trainer


def test_cleans_at_epoch_validation_and_training_end(tmp_path: Path) -> None:
    callback = MemoryCleanupCallback()
    _fit(tmp_path, callback, BoringModel(), val_check_interval=2)
    reasons = [r.reason for r in callback.reports]
    assert reasons == ["validation_end", "validation_end", "train_epoch_end"] * 2 + ["train_end"]
    assert callback.cleanups == 7
    assert [r.global_step for r in callback.reports] == [2, 4, 4, 6, 8, 8, 8]


def test_every_n_steps_counts_optimizer_steps_and_frees_cycles(tmp_path: Path, no_automatic_gc) -> None:
    callback = MemoryCleanupCallback(
        every_n_steps=2, on_train_epoch_end=False, on_validation_end=False, on_train_end=False
    )
    model = CycleMakingModel()
    _fit(tmp_path, callback, model, max_epochs=1, limit_train_batches=8, accumulate_grad_batches=2, limit_val_batches=0)
    # 8 batches, accumulation 2: optimizer steps 1..4, cleanup after steps 2 and 4 (once each, not per batch).
    assert [r.global_step for r in callback.reports] == [2, 4]
    assert callback.collected >= 8 and all(r.collected > 0 for r in callback.reports)
    assert all(ref() is None for _, ref in model.garbage)


def test_without_cleanup_the_cycles_survive(tmp_path: Path, no_automatic_gc) -> None:
    """The control for the test above: the same fit with gc_collect=False leaves the garbage alive."""
    callback = MemoryCleanupCallback(every_n_steps=2, gc_collect=False)
    model = CycleMakingModel()
    _fit(tmp_path, callback, model, max_epochs=1, limit_train_batches=8, accumulate_grad_batches=2, limit_val_batches=0)
    assert callback.cleanups > 0 and callback.collected == 0
    assert all(ref() is not None for _, ref in model.garbage)


def test_never_initialises_cuda(tmp_path: Path) -> None:
    callback = MemoryCleanupCallback(every_n_steps=1)
    _fit(tmp_path, callback, BoringModel(), max_epochs=1)
    assert not torch.cuda.is_initialized()
    assert callback.cuda_released == 0
    assert all(r.cuda_reserved_before is None for r in callback.reports)


def test_keeps_only_the_last_reports() -> None:
    callback = MemoryCleanupCallback(keep_reports=2)
    for step in range(5):
        callback.cleanup("manual", step)
    assert [r.global_step for r in callback.reports] == [3, 4]
    assert callback.cleanups == 5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [(dict(every_n_steps=0), "every_n_steps=0"), (dict(every_n_steps=1.5), "every_n_steps=1.5"),
     (dict(keep_reports=-1), "keep_reports=-1")],
)  # fmt: skip
def test_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        MemoryCleanupCallback(**kwargs)
