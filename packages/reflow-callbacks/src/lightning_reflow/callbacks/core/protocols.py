"""Interfaces through which reflow callbacks find each other without naming classes.

A progress bar shows the pause state of any callback that is a :class:`PauseStatusProvider`; the
pause callback hands its checkpoint to any callback that is a :class:`CheckpointUploader`. Both are
checked with ``isinstance`` on ``trainer.callbacks``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import lightning.pytorch as pl


@dataclass(frozen=True)
class PauseStatus:
    """What a progress bar shows about a pending pause.

    Attributes:
        scheduled: a pause was requested and will happen at the next safe point.
        upload_requested: the pause checkpoint will also be uploaded.
        reason: what asked for the pause (``"key"``, ``"signal"``, ``"file"``, ``"preemption"``), if any.
        hint: the keys that work right now (e.g. ``"p: pause  w: pause+upload"``), or ``None`` when no
            key can pause (no TTY, not rank 0).
    """

    scheduled: bool = False
    upload_requested: bool = False
    reason: str | None = None
    hint: str | None = None


@runtime_checkable
class PauseStatusProvider(Protocol):
    """A callback whose pause state a progress bar can display."""

    def pause_status(self) -> PauseStatus: ...


@runtime_checkable
class CheckpointUploader(Protocol):
    """A callback that can upload a checkpoint that another callback wrote (e.g. a pause checkpoint)."""

    def upload_checkpoint(
        self,
        trainer: pl.Trainer,
        path: str,
        *,
        aliases: tuple[str, ...] = (),
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Queue ``path`` for upload; must not block on the network."""
        ...

    def wait_for_uploads(self, timeout: float | None = None) -> bool:
        """Block until queued uploads finish (showing progress); ``False`` if ``timeout`` ran out."""
        ...
