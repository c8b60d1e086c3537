"""One background thread that runs uploads in order, so training never waits on hashing or network."""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("lightning_reflow.wandb")
# Like Lightning's own logger: progress is visible by default, unless the application configured logging.
if not logging.getLogger().hasHandlers() and not log.handlers:
    log.setLevel(logging.INFO)
    log.addHandler(logging.StreamHandler())

_STOP = object()
# Hashing and gzip are CPU work: on Linux a thread has its own nice value, so the upload thread
# yields the CPU to training whenever both want it, and still uses any idle core at full speed.
UPLOAD_NICE = 19


@dataclass
class UploadJob:
    """A unit of background work: ``run`` returns a short description of what was published."""

    description: str
    size: int
    run: Callable[[], str]


class UploadWorker:
    """Runs :class:`UploadJob` s on a daemon thread, one at a time, in submission order.

    A failing job is logged and recorded in :attr:`errors`; it never stops training.
    """

    def __init__(self, name: str = "reflow-wandb-upload", *, nice: int = UPLOAD_NICE) -> None:
        self.nice = nice
        self._queue: queue.Queue[UploadJob | object] = queue.Queue()
        self._cond = threading.Condition()
        self._pending: list[UploadJob] = []
        self._current: UploadJob | None = None
        self.completed: list[str] = []
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: UploadJob) -> None:
        """Queue ``job``; returns at once."""
        with self._cond:
            self._pending.append(job)
        self._queue.put(job)

    @property
    def pending(self) -> int:
        """Jobs queued or running."""
        with self._cond:
            return len(self._pending)

    def wait(self, timeout: float | None = None, *, report_every: float = 10.0) -> bool:
        """Block until every queued job finished, logging progress; ``False`` if ``timeout`` ran out."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            if not self._pending:
                return True
            if timeout is not None and timeout <= 0:
                return False
            total = len(self._pending)
            size = sum(job.size for job in self._pending)
            log.info("Waiting for %d checkpoint upload(s) (%.1f MB) to finish...", total, size / 1e6)
            last_report = time.monotonic()
            while self._pending:
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    log.warning(
                        "Gave up waiting for %d checkpoint upload(s) after %.0f s: %s",
                        len(self._pending),
                        timeout,
                        "; ".join(job.description for job in self._pending),
                    )
                    return False
                step = report_every if deadline is None else min(report_every, deadline - now)
                self._cond.wait(step)
                if self._pending and time.monotonic() - last_report >= report_every:
                    last_report = time.monotonic()
                    running = self._current.description if self._current else "starting"
                    log.info("Uploads: %d of %d done, now %s", total - len(self._pending), total, running)
            return True

    def close(self, timeout: float | None = None) -> bool:
        """Wait for the queue (bounded) and stop the thread."""
        finished = self.wait(timeout)
        self._queue.put(_STOP)
        if finished:
            self._thread.join(timeout=5)
        return finished

    def _loop(self) -> None:
        _lower_thread_priority(self.nice)
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            assert isinstance(job, UploadJob)
            with self._cond:
                self._current = job
            try:
                result = job.run()
            except Exception as err:  # an upload failure must never take training down
                message = f"{job.description}: {type(err).__name__}: {err}"
                log.warning("Checkpoint upload failed: %s", message)
                with self._cond:
                    self.errors.append(message)
            else:
                log.info("Uploaded %s", result)
                with self._cond:
                    self.completed.append(result)
            finally:
                with self._cond:
                    self._current = None
                    self._pending.remove(job)
                    self._cond.notify_all()


def _lower_thread_priority(nice: int) -> None:
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, max(nice, os.getpriority(os.PRIO_PROCESS, tid)))
    except OSError:  # not permitted or not per-thread on this platform: run at the normal priority
        pass
