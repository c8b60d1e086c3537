"""Where Lightning will validate and stop, predicted with the same rules as Lightning 2.6's fit loop.

Mirrors ``_TrainingEpochLoop._should_check_val_fx`` (int/float ``val_check_interval``,
``check_val_every_n_epoch`` including ``None``), the optimizer step on the last batch of an epoch even
when gradient accumulation is incomplete, ``max_steps`` (optimizer steps) and ``max_epochs``. Time-based
``val_check_interval`` and early stopping cannot be predicted; the bar then counts to the epoch end.
All counts are in training batches unless named ``steps``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

INF = math.inf


@dataclass(frozen=True)
class Position:
    """Where the fit loop is, after a training batch (or before the first)."""

    epoch: int
    done_in_epoch: int
    done_total: int
    global_step: int

    @classmethod
    def from_trainer(cls, trainer: Any) -> Position:
        progress = trainer.fit_loop.epoch_loop.batch_progress
        return cls(trainer.current_epoch, progress.current.ready, progress.total.ready, trainer.global_step)


@dataclass(frozen=True)
class Schedule:
    """The trainer settings that decide where validation runs and where training ends."""

    batches: float  # per epoch (``num_training_batches``), may be inf
    val_check_batch: float | None  # None: time based, unpredictable
    every_n_epochs: int | None
    validation: bool
    accumulate: int
    max_steps: float  # inf when unbounded
    max_epochs: float  # inf when unbounded

    @classmethod
    def from_trainer(cls, trainer: Any) -> Schedule:
        max_steps = trainer.max_steps if trainer.max_steps is not None and trainer.max_steps >= 0 else INF
        max_epochs = trainer.max_epochs if trainer.max_epochs is not None and trainer.max_epochs >= 0 else INF
        val_check = trainer.val_check_batch
        return cls(
            batches=float(trainer.num_training_batches),
            val_check_batch=None if val_check is None else float(val_check),
            every_n_epochs=trainer.check_val_every_n_epoch,
            validation=bool(trainer.enable_validation) and val_check is not None,
            accumulate=max(1, int(trainer.accumulate_grad_batches)),
            max_steps=max_steps,
            max_epochs=max_epochs,
        )

    def validates_in_epoch(self, epoch: int) -> bool:
        return self.validation and (self.every_n_epochs is None or (epoch + 1) % self.every_n_epochs == 0)

    def steps_in(self, start: int, stop: int) -> int:
        """Optimizer steps taken by the batches ``start..stop-1`` of an epoch."""
        a, n = self.accumulate, self.batches
        last = 1 if stop == n and n % a != 0 and start < stop else 0
        return stop // a - start // a + last

    def until_end(self, pos: Position) -> tuple[float, float]:
        """Batches and optimizer steps left before training ends (``inf`` when unbounded)."""
        n, a = self.batches, self.accumulate
        left = self.max_steps - pos.global_step
        if left <= 0:
            return 0, 0
        if n == INF or n <= 0:
            return (left * a, left) if left != INF else (INF, INF)
        epoch, done = pos.epoch, pos.done_in_epoch
        batches = steps = 0
        if done >= n:
            epoch, done = epoch + 1, 0
        per_epoch = self.steps_in(0, int(n))
        while epoch < self.max_epochs:
            here = self.steps_in(done, int(n))
            if left <= here:
                stop = min((done // a + int(left)) * a, int(n))
                return batches + stop - done, steps + left
            left -= here
            batches, steps, epoch, done = batches + n - done, steps + here, epoch + 1, 0
            # Skip whole epochs arithmetically: a run of 10^5 epochs costs no loop.
            skip = self.max_epochs - epoch if left == INF else min(self.max_epochs - epoch, (left - 1) // per_epoch)
            if skip == INF:
                return INF, INF
            batches, steps, left, epoch = (
                batches + skip * n,
                steps + skip * per_epoch,
                left - skip * per_epoch,
                epoch + int(skip),
            )
        return batches, steps

    def until_validation(self, pos: Position, *, validated: bool) -> float | None:
        """Batches until the batch after which validation runs; ``None``: no validation before the end.

        ``validated`` says whether a validation due at ``pos`` itself already ran (at the end of a
        training batch it has not: Lightning validates after ``on_train_batch_end``).
        """
        if not self.validation:
            return None
        n, v = self.batches, self.val_check_batch
        if self.every_n_epochs is None and v is not None and v != INF:
            t = pos.done_total
            if not validated and t > 0 and t % v == 0:
                return 0
            return (t // v + 1) * v - t
        if n == INF and v == INF:
            return None  # an endless epoch never reaches its last batch
        epoch, done, offset = pos.epoch, pos.done_in_epoch, 0.0
        for _ in range((self.every_n_epochs or 1) + 2):
            if epoch >= self.max_epochs:
                return None
            if self.validates_in_epoch(epoch):
                point = self._point_after(done, inclusive=not validated)
                if point is not None:
                    return offset + point - done
            offset, epoch, done, validated = offset + n - done, epoch + 1, 0, True
        return None

    def since_validation(self, pos: Position, *, validated: bool) -> float:
        """Batches since the last validation that ran (or since training started)."""
        n, v = self.batches, self.val_check_batch
        if not self.validation:
            return pos.done_in_epoch
        if self.every_n_epochs is None and v is not None and v != INF:
            t = pos.done_total
            last = (t // v) * v if validated else max(0, ((t - 1) // v) * v)
            return t - last
        if n == INF and v == INF:
            return pos.done_in_epoch
        epoch, done, offset = pos.epoch, pos.done_in_epoch, 0.0
        for _ in range((self.every_n_epochs or 1) + 2):
            if epoch < 0:
                return offset
            if self.validates_in_epoch(epoch):
                point = self._point_before(done, inclusive=validated)
                if point is not None:
                    return offset + done - point
            offset, epoch, done, validated = offset + done, epoch - 1, n, True
        return offset

    def _point_after(self, done: float, *, inclusive: bool) -> float | None:
        """The first validation point of an epoch at or after (``inclusive``) or after ``done``."""
        n, v = self.batches, self.val_check_batch
        if v == INF or v is None:
            return n if (done <= n if inclusive else done < n) else None
        point = max(1, math.ceil(done / v)) * v if inclusive else (done // v + 1) * v
        point = max(point, v)
        return point if point <= n else None

    def _point_before(self, done: float, *, inclusive: bool) -> float | None:
        """The last validation point of an epoch at or before (``inclusive``) or before ``done``."""
        n, v = self.batches, self.val_check_batch
        if v == INF or v is None:
            return n if inclusive and done >= n else None
        point = (done // v) * v if inclusive else ((done - 1) // v) * v
        return point if point >= 1 else None
