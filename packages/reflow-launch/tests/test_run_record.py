from __future__ import annotations

from pathlib import Path

import pytest

from lightning_reflow.launch.errors import RunNotFound, RunStateError
from lightning_reflow.launch.planner import resume_checkpoint
from lightning_reflow.launch.run_record import Attempt, RunRecord, RunStore

PAUSED = {"status": "paused", "checkpoint": "/reflow/run/p/pause-epoch=0-step=5.ckpt", "global_step": 5}


def _record(run_id: str = "20260101-000000-abcd") -> RunRecord:
    return RunRecord(run_id, 1.0, ["local"], "img:1", {"local": "/runs/" + run_id})


def test_roundtrip_and_prefix_lookup(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    record = _record()
    record.attempts.append(Attempt(1, "fit", 2.0, [{"host": "local", "name": "c", "rank": 0, "id": "x"}], 75, PAUSED))
    store.save(record)
    assert store.load("20260101").to_dict() == record.to_dict()
    assert [r.run_id for r in store.all()] == [record.run_id]
    store.save(_record("20260101-000001-ef01"))
    with pytest.raises(RunNotFound, match="matches several runs"):
        store.load("20260101")
    with pytest.raises(RunNotFound, match=r"is not a known run .*reflow-launch ps"):
        store.load("nope")


def test_resume_picks_the_latest_pause() -> None:
    record = _record()
    with pytest.raises(RunStateError, match="never started"):
        resume_checkpoint(record, None)
    record.attempts.append(Attempt(1, "fit", 2.0, [], 75, PAUSED))
    assert resume_checkpoint(record, None) == PAUSED["checkpoint"]
    assert resume_checkpoint(record, "/runs/20260101-000000-abcd/x.ckpt") == "/reflow/run/x.ckpt"
    record.attempts.append(Attempt(2, "resume", 3.0, [], 1, None))
    assert resume_checkpoint(record, None) == PAUSED["checkpoint"]  # a failed resume: retry from the same pause
    record.attempts.append(Attempt(3, "resume", 4.0, [], 0, None))
    with pytest.raises(RunStateError, match="finished"):
        resume_checkpoint(record, None)
