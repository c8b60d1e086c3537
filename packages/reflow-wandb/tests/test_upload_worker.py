"""The background worker: submitting never blocks, waiting is bounded, a failed upload does not stop the rest."""

from __future__ import annotations

import logging
import os
import sys
import threading

import pytest

from lightning_reflow.wandb._upload_worker import UPLOAD_NICE, UploadJob, UploadWorker


def test_submit_returns_before_the_job_runs_and_wait_is_bounded(caplog: pytest.LogCaptureFixture) -> None:
    release, started = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait()
        return "slow done"

    worker = UploadWorker()
    worker.submit(UploadJob("slow", 10, slow))
    worker.submit(UploadJob("quick", 10, lambda: "quick done"))
    assert started.wait(5) and worker.pending == 2  # both still pending: the caller was not held up
    with caplog.at_level(logging.INFO, logger="lightning_reflow.wandb"):
        assert worker.wait(timeout=0.05) is False
    assert "Waiting for 2 checkpoint upload(s)" in caplog.text and "Gave up waiting" in caplog.text
    release.set()
    assert worker.wait(timeout=None) is True
    assert worker.completed == ["slow done", "quick done"] and worker.pending == 0
    assert worker.close(timeout=5)


def test_a_failed_job_is_recorded_and_the_next_one_still_runs() -> None:
    def broken() -> str:
        raise OSError("disk full")

    worker = UploadWorker()
    worker.submit(UploadJob("broken", 1, broken))
    worker.submit(UploadJob("fine", 1, lambda: "fine done"))
    assert worker.close(timeout=10)
    assert worker.errors == ["broken: OSError: disk full"] and worker.completed == ["fine done"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are a Linux feature")
def test_uploads_run_at_low_priority_without_touching_the_training_thread() -> None:
    def niceness() -> str:
        return str(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    worker = UploadWorker()
    worker.submit(UploadJob("nice", 1, niceness))
    assert worker.close(timeout=10)
    assert worker.completed == [str(max(UPLOAD_NICE, before))]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
