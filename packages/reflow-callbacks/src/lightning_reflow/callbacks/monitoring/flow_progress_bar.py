"""FlowProgressBarCallback: optimizer steps to the end, batches to the next validation, metrics as logged."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks.progress.progress_bar import ProgressBar
from typing_extensions import override

from lightning_reflow.callbacks.core.protocols import PauseStatusProvider
from lightning_reflow.callbacks.monitoring._metrics import MetricSelector, format_metrics, logged_metrics
from lightning_reflow.callbacks.monitoring._render import BarsRenderer, Frame, LinesRenderer, Progress, describe_pause
from lightning_reflow.callbacks.monitoring._schedule import INF, Position, Schedule

_OUTPUTS = ("auto", "bars", "lines")
_BAR_MIN_INTERVAL_S = 0.1


class FlowProgressBarCallback(ProgressBar):
    """Lightning's progress bar, replaced by two counters that tell the truth.

    - The **global** counter (:attr:`global_progress`) counts optimizer steps (``trainer.global_step``,
      the unit of ``max_steps``) against ``max_steps``, or against the real number of steps when
      ``max_epochs`` ends training first (with gradient accumulation, an epoch of ``N`` batches is
      ``ceil(N / accumulate_grad_batches)`` steps: Lightning steps on an epoch's last batch).
    - The **interval** counter (:attr:`interval_progress`) counts training batches (the unit of an int
      ``val_check_interval``) since the last validation and until the next one, exactly where Lightning
      2.6 schedules it (int or float ``val_check_interval``, ``check_val_every_n_epoch`` including
      ``None``, ``limit_train_batches``, several epochs, resumed runs), or until the end of training if
      that comes first. Without validation (or with a time-based ``val_check_interval``) it counts the
      batches of the epoch.

    Metrics are shown as logged (``trainer.callback_metrics`` and ``progress_bar_metrics``, no
    rescaling by gradient accumulation), plus the current learning rates named like
    ``LearningRateMonitor`` does (``lr-Adam``, ``lr-SGD/pg2``). In a terminal two tqdm bars are drawn
    (at most every 0.1 s); anywhere else (CI, container logs, ``nohup``) one plain line is written every
    ``line_interval`` seconds and ``line_steps`` optimizer steps at most (so at most 50 lines per 1,000
    steps at the defaults), at the start and at the end, without carriage returns or escape codes. When a callback
    in ``trainer.callbacks`` is a :class:`~lightning_reflow.callbacks.core.PauseStatusProvider` (the
    ``PauseCallback``), its state is shown: a scheduled pause, a requested upload, and the key hint
    only when a key can pause.

    Args:
        refresh_rate: look at the clock every this many batches (0 disables drawing; counters still run).
        global_bar_metrics: metric names or glob patterns shown on the global bar; ``None``: the metrics
            logged with ``prog_bar=True``.
        interval_bar_metrics: names or glob patterns shown on the interval bar (e.g. ``["lr-*"]``).
        leave: keep the global bar on screen when training ends.
        bar_colour: colour of the global bar (a name or ``#rrggbb``, quoted in YAML); ``""``: the terminal's.
        output: ``"auto"`` (bars when stdout is a terminal, else lines), ``"bars"`` or ``"lines"``.
        line_interval: least seconds between plain lines.
        line_steps: least optimizer steps between plain lines.

    Raises:
        ValueError: ``refresh_rate``, ``line_interval`` or ``line_steps`` is negative, or ``output`` is unknown.
    """

    def __init__(
        self,
        refresh_rate: int = 1,
        global_bar_metrics: Sequence[str] | None = None,
        interval_bar_metrics: Sequence[str] | None = None,
        leave: bool = True,
        bar_colour: str = "#fcac17",  # not `str | None`: jsonargparse would read this default as a YAML comment
        output: str = "auto",
        line_interval: float = 30.0,
        line_steps: int = 20,
    ) -> None:
        super().__init__()
        if refresh_rate < 0:
            raise ValueError(f"`FlowProgressBarCallback(refresh_rate={refresh_rate})` must be 0 or more batches.")
        if output not in _OUTPUTS:
            raise ValueError(
                f"`FlowProgressBarCallback(output={output!r})` is not supported; choose one of "
                f"{', '.join(repr(o) for o in _OUTPUTS)}."
            )
        if line_interval < 0:
            raise ValueError(f"`FlowProgressBarCallback(line_interval={line_interval})` must be 0 or more seconds.")
        if line_steps < 0:
            raise ValueError(f"`FlowProgressBarCallback(line_steps={line_steps})` must be 0 or more steps.")
        self.refresh_rate = refresh_rate
        self.leave = leave
        self.bar_colour = bar_colour or None
        self.output = output
        self.line_interval = line_interval
        self.line_steps = line_steps
        self._last_line_step = 0
        self._uses_bars: bool | None = None
        self._global_selector = MetricSelector(global_bar_metrics)
        self._interval_selector = MetricSelector(interval_bar_metrics if interval_bar_metrics is not None else [])
        self.global_progress = Progress(label="Epoch 0")
        self.interval_progress = Progress(label="Until val")
        self._enabled = True
        self._renderer: BarsRenderer | LinesRenderer | None = None
        self._pause_providers: list[PauseStatusProvider] = []
        self._dirty = True
        self._batches = 0
        self._last_draw = -INF
        self._eval_n = 0

    # -- Lightning's ProgressBar interface ------------------------------------------------------

    @override
    def disable(self) -> None:
        self._enabled = False

    @override
    def enable(self) -> None:
        self._enabled = True

    @property
    def is_enabled(self) -> bool:
        return self._enabled and self.refresh_rate > 0

    @override
    def print(self, *args: Any, sep: str = " ", **kwargs: Any) -> None:
        if self._renderer is not None:
            self._renderer.write(sep.join(map(str, args)))
        else:
            print(*args, sep=sep, **kwargs)

    @property
    def uses_bars(self) -> bool:
        """Whether tqdm bars are drawn (a terminal) rather than plain lines; decided once per run."""
        if self._uses_bars is None:
            self._uses_bars = self.output == "bars" or (self.output == "auto" and sys.stdout.isatty())
        return self._uses_bars

    # -- training ---------------------------------------------------------------------------------

    @override
    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._pause_providers = [c for c in trainer.callbacks if c is not self and isinstance(c, PauseStatusProvider)]
        # A validation due where a resumed run starts already ran (or Lightning skips it on restart).
        self._recompute(trainer, validated=True)
        self._dirty = True  # the first batch recomputes from the loop state the epoch actually starts with
        self._draw(trainer, force=True)

    @override
    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._dirty = True

    @override
    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        interval, global_ = self.interval_progress, self.global_progress
        interval.n += 1
        global_.n = trainer.global_step
        if self._dirty or (interval.total is not None and interval.n > interval.total):
            self._recompute(trainer, validated=False)
        self._batches += 1
        if self.refresh_rate and self._batches % self.refresh_rate == 0:
            self._draw(trainer)

    @override
    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._draw(trainer, force=True, final=True)
        self._close()

    # -- evaluation -------------------------------------------------------------------------------

    @override
    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            self._eval_start("Sanity check", sum(trainer.num_sanity_val_batches))
        else:
            self._eval_start("Validation", self.total_val_batches)

    @override
    def on_validation_batch_end(self, trainer: pl.Trainer, *args: Any, **kwargs: Any) -> None:
        self._eval_step()

    @override
    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._eval_end()
        if trainer.state.fn == "fit" and not trainer.sanity_checking:
            self._recompute(trainer, validated=True)
            self._draw(trainer, force=self.uses_bars)

    @override
    def on_test_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._eval_start("Testing", sum(trainer.num_test_batches))

    @override
    def on_test_batch_end(self, trainer: pl.Trainer, *args: Any, **kwargs: Any) -> None:
        self._eval_step()

    @override
    def on_test_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._eval_end()

    @override
    def on_predict_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._eval_start("Predicting", sum(trainer.num_predict_batches))

    @override
    def on_predict_batch_end(self, trainer: pl.Trainer, *args: Any, **kwargs: Any) -> None:
        self._eval_step()

    @override
    def on_predict_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._eval_end()

    @override
    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        self._close()

    @override
    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self._close()

    # -- internals --------------------------------------------------------------------------------

    def _recompute(self, trainer: pl.Trainer, *, validated: bool) -> None:
        schedule = Schedule.from_trainer(trainer)
        pos = Position.from_trainer(trainer)
        end_batches, end_steps = schedule.until_end(pos)
        global_ = self.global_progress
        global_.n = pos.global_step
        global_.total = None if end_steps == INF else int(pos.global_step + end_steps)
        global_.label = f"Epoch {pos.epoch}"
        until = schedule.until_validation(pos, validated=validated)
        if schedule.validation and not (until is None and end_batches == INF):
            since = schedule.since_validation(pos, validated=validated)
            ahead = end_batches if until is None else min(until, end_batches)
            label = "Until val" if until is not None and until <= end_batches else "Until end"
        else:
            done = pos.done_in_epoch if pos.done_in_epoch < schedule.batches else 0
            since, ahead, label = done, min(schedule.batches - done, end_batches), "Epoch batches"
        interval = self.interval_progress
        interval.n, interval.total, interval.label = int(since), None if ahead == INF else int(since + ahead), label
        self._dirty = False

    def _draw(self, trainer: pl.Trainer, *, force: bool = False, final: bool = False) -> None:
        if not self.is_enabled:
            return
        bars = self.uses_bars
        if not force:
            # Cheapest test first: in lines mode most batches stop at the step count, before the clock.
            if not bars and self.global_progress.n - self._last_line_step < self.line_steps:
                return
            if time.monotonic() - self._last_draw < (_BAR_MIN_INTERVAL_S if bars else self.line_interval):
                return
        now = time.monotonic()
        self._last_draw = now
        self._last_line_step = self.global_progress.n
        if self._renderer is None:
            self._renderer = BarsRenderer(self.bar_colour, self.leave) if bars else LinesRenderer()
        metrics = logged_metrics(trainer)
        frame = Frame(
            global_=self.global_progress,
            interval=self.interval_progress,
            global_metrics=self._global_metrics(trainer, metrics),
            interval_metrics=format_metrics(self._interval_selector, metrics),
            status=self.pause_text(),
        )
        if isinstance(self._renderer, LinesRenderer):
            self._renderer.draw(frame, final=final)
        else:
            self._renderer.draw(frame)

    def _global_metrics(self, trainer: pl.Trainer, metrics: dict[str, Any]) -> str:
        if self._global_selector.patterns is None:
            return format_metrics(self._global_selector, dict(trainer.progress_bar_metrics))
        return format_metrics(self._global_selector, metrics)

    def pause_text(self) -> str:
        """What the bar says about pausing: a scheduled pause, a requested upload, or the key hint."""
        return describe_pause([provider.pause_status() for provider in self._pause_providers])

    def _eval_start(self, label: str, total: Any) -> None:
        self._eval_n = 0
        if self.is_enabled and self.uses_bars:
            if self._renderer is None:
                self._renderer = BarsRenderer(self.bar_colour, self.leave)
            self._renderer.eval_start(label, None if total in (INF, None) else int(total))

    def _eval_step(self) -> None:
        self._eval_n += 1
        if self._renderer is not None and self.refresh_rate and self._eval_n % self.refresh_rate == 0:
            self._renderer.eval_update(self._eval_n)

    def _eval_end(self) -> None:
        if self._renderer is not None:
            self._renderer.eval_end()

    def _close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        self._uses_bars = None
        self._last_draw = -INF
