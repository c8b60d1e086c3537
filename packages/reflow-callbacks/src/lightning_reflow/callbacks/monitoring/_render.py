"""Drawing the progress: tqdm bars in a terminal, plain rate-limited lines anywhere else."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO

from tqdm import tqdm

from lightning_reflow.callbacks.core.protocols import PauseStatus


@dataclass
class Progress:
    """A counter the bar shows: ``n`` of ``total`` (``None``: unknown), with a label."""

    n: int = 0
    total: int | None = None
    label: str = ""

    @property
    def remaining(self) -> int | None:
        return None if self.total is None else self.total - self.n


@dataclass
class Frame:
    """Everything drawn at one refresh."""

    global_: Progress
    interval: Progress
    global_metrics: str
    interval_metrics: str
    status: str


_FALLBACK_SIZE = (100, 24)


def _terminal_reports_size(file: TextIO) -> bool:
    """Whether the terminal behind ``file`` reports a non-zero size."""
    try:
        size = os.get_terminal_size(file.fileno())
    except (AttributeError, OSError, ValueError):
        return False
    return size.columns > 0 and size.lines > 0


def describe_pause(statuses: list[PauseStatus]) -> str:
    """``"pause scheduled + upload (signal)"``, else the first key hint, else ``""``."""
    for status in statuses:
        if status.scheduled:
            text = "pause scheduled" + (" + upload" if status.upload_requested else "")
            return text + (f" ({status.reason})" if status.reason else "")
    return next((status.hint for status in statuses if status.hint), "")


def _hms(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


class BarsRenderer:
    """Two tqdm bars (optimizer steps, batches to the next validation) and a transient evaluation bar."""

    def __init__(self, colour: str | None, leave: bool, file: TextIO | None = None) -> None:
        self.colour, self.leave, self.file = colour, leave, file or sys.stdout
        self._global: tqdm | None = None
        self._interval: tqdm | None = None
        self._eval: tqdm | None = None

    def _bar(self, position: int, unit: str, leave: bool, colour: str | None, progress: Progress) -> tqdm:
        # A terminal that reports no size (a fresh `docker run -t`, a bare pty) makes tqdm draw nothing
        # at all (it hides bars below the reported 0 rows): fall back to a fixed size there.
        sized = _terminal_reports_size(self.file)
        return tqdm(
            total=progress.total,
            initial=progress.n,
            desc=progress.label,
            position=position,
            unit=unit,
            leave=leave,
            colour=colour,
            file=self.file,
            dynamic_ncols=sized,
            ncols=None if sized else _FALLBACK_SIZE[0],
            nrows=None if sized else _FALLBACK_SIZE[1],
            smoothing=0,
            mininterval=0,
            disable=False,
        )

    def draw(self, frame: Frame) -> None:
        if self._global is None:
            self._global = self._bar(0, "step", self.leave, self.colour, frame.global_)
            self._interval = self._bar(1, "batch", False, None, frame.interval)
        for bar, progress, text in (
            (self._global, frame.global_, " ".join(t for t in (frame.global_metrics, frame.status) if t)),
            (self._interval, frame.interval, frame.interval_metrics),
        ):
            assert bar is not None
            bar.total = progress.total
            bar.n = progress.n
            bar.set_description_str(progress.label, refresh=False)
            bar.set_postfix_str(text, refresh=False)
            bar.refresh()

    def eval_start(self, label: str, total: int | None) -> None:
        self.eval_end()
        position = 2 if self._global is not None else 0
        self._eval = self._bar(position, "batch", False, None, Progress(0, total, label))

    def eval_update(self, n: int) -> None:
        if self._eval is not None:
            self._eval.n = n
            self._eval.refresh()

    def eval_end(self) -> None:
        if self._eval is not None:
            self._eval.close()
            self._eval = None

    def write(self, text: str) -> None:
        tqdm.write(text, file=self.file)

    def close(self) -> None:
        self.eval_end()
        for bar in (self._interval, self._global):
            if bar is not None:
                bar.close()
        self._global = self._interval = None


class LinesRenderer:
    """One plain line per refresh (no carriage returns, no escape codes), for logs and pipes."""

    def __init__(self, file: TextIO | None = None) -> None:
        self.file = file
        self._start: float | None = None
        self._start_step = 0

    def draw(self, frame: Frame, *, final: bool = False) -> None:
        now = time.monotonic()
        g, i = frame.global_, frame.interval
        if self._start is None:
            self._start, self._start_step = now, g.n
        parts = [f"{g.label}: {g.n}/{g.total if g.total is not None else '?'} steps"]
        if g.total:
            parts[0] += f" ({100 * g.n / g.total:.0f}%)"
        if i.remaining is not None and not final:
            parts.append(f"{i.label}: {i.n}/{i.total} batches")
        elapsed = now - self._start
        rate = (g.n - self._start_step) / elapsed if elapsed > 0 else 0.0
        timing = f"{_hms(elapsed)}"
        if rate > 0:
            timing += f", {rate:.0f} step/s" if rate >= 100 else f", {rate:.3g} step/s"
            if g.total is not None and not final:
                timing += f", eta {_hms((g.total - g.n) / rate)}"
        parts.append(timing)
        parts.extend(t for t in (frame.global_metrics, frame.interval_metrics, frame.status) if t)
        self.write(" | ".join(parts))

    def eval_start(self, label: str, total: int | None) -> None:
        pass

    def eval_update(self, n: int) -> None:
        pass

    def eval_end(self) -> None:
        pass

    def write(self, text: str) -> None:
        file: Any = self.file or sys.stdout
        file.write(text + "\n")
        file.flush()

    def close(self) -> None:
        pass
