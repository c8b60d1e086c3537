"""Pause and exact resume through real Trainer.fit runs (in one process; see test_pause_processes.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from _fit import assert_same_weights, fit

from lightning_reflow.callbacks import EXIT_PAUSED, PauseCallback
from lightning_reflow.utils.checkpoint import load_checkpoint, read_metadata

_BASELINES: dict[str, dict[str, torch.Tensor]] = {}


def _baseline(tmp_path: Path, settings: dict[str, Any]) -> dict[str, torch.Tensor]:
    key = repr(sorted(settings.items()))
    if key not in _BASELINES:
        weights, outcome = fit(tmp_path / "baseline", **settings)
        assert outcome is None and weights is not None
        _BASELINES[key] = weights
    return _BASELINES[key]


# 48 samples / batch 4 = 12 batches per epoch, 3 epochs.
CASES = [
    pytest.param(3, "signal", {}, id="signal-epoch0"),
    pytest.param(15, "signal", {}, id="signal-epoch1"),
    pytest.param(16, "file", {"pause_kwargs": {"refresh_rate": 0.001}}, id="file"),
    pytest.param(9, "sigterm", {}, id="sigterm-preemption"),
    pytest.param(17, "signal", {"validation": False}, id="no-validation"),
    pytest.param(20, "signal", {"accumulate_grad_batches": 2}, id="accumulate-2"),
    pytest.param(13, "signal", {"accumulate_grad_batches": 3, "validation": False}, id="accumulate-3-no-val"),
    pytest.param(14, "signal", {"val_check_interval": 0.5}, id="two-validations-per-epoch"),
    pytest.param(16, "during_validation", {"val_check_interval": 0.5}, id="during-validation"),
    pytest.param(10, "signal", {"val_check_interval": 0.5}, id="right-after-validation"),
    pytest.param(15, "signal", {"stateful": True}, id="stateful-loader"),
    pytest.param(4, "signal", {"stateful": True, "accumulate_grad_batches": 2}, id="stateful-accumulate"),
    pytest.param(15, "signal", {"num_workers": 2}, id="loader-workers"),
]


@pytest.mark.parametrize(("at", "how", "settings"), CASES)
def test_pause_then_resume_matches_uninterrupted_run(
    tmp_path: Path, at: int, how: str, settings: dict[str, Any]
) -> None:
    settings = dict(settings)
    pause_kwargs = settings.pop("pause_kwargs", None)
    expected = _baseline(tmp_path, settings)
    ckpt_dir = tmp_path / "pause"

    weights, outcome = fit(ckpt_dir, pause_at=(at, how), pause_kwargs=pause_kwargs, **settings)

    assert weights is None and outcome is not None, "the run should have paused"
    assert outcome.exact and outcome.reason == {"during_validation": "signal", "sigterm": "preemption"}.get(how, how)
    # at most one optimizer step (plus the batches of one accumulation window) after the request
    accumulate = settings.get("accumulate_grad_batches", 1)
    assert outcome.global_step * accumulate <= at + 2 * accumulate + 12
    path = Path(outcome.checkpoint_path)
    assert path.is_file() and path.name == f"pause-epoch={outcome.epoch}-step={outcome.global_step}.ckpt"
    pause = read_metadata(path).pause
    assert pause is not None and pause["global_step"] == outcome.global_step and pause["exact"]

    resumed, second = fit(ckpt_dir, ckpt_path=str(path), **settings)

    assert second is None and resumed is not None
    assert_same_weights(expected, resumed)


def test_pause_twice_then_resume_matches(tmp_path: Path) -> None:
    expected = _baseline(tmp_path, {})
    _, first = fit(tmp_path / "p", pause_at=(5, "signal"))
    assert first is not None
    _, second = fit(tmp_path / "p", pause_at=(9, "signal"), ckpt_path=first.checkpoint_path)
    assert second is not None and second.global_step > first.global_step
    resumed, outcome = fit(tmp_path / "p", ckpt_path=second.checkpoint_path)
    assert outcome is None and resumed is not None
    assert_same_weights(expected, resumed)


def test_outcome_records_and_resume_command(tmp_path: Path) -> None:
    _, outcome = fit(
        tmp_path / "p",
        pause_at=(2, "signal"),
        pause_kwargs={"resume_command": "reflow resume --checkpoint-path {checkpoint}"},
    )
    assert outcome is not None
    path = Path(outcome.checkpoint_path)
    assert outcome.resume_command == f"reflow resume --checkpoint-path {path}"
    assert path.with_suffix(".resume.txt").read_text().strip() == outcome.resume_command
    record = json.loads((tmp_path / "p" / "last-pause.json").read_text())
    assert record["status"] == "paused" and record["checkpoint"] == str(path)
    assert record["global_step"] == outcome.global_step and record["reason"] == "signal"
    assert EXIT_PAUSED == 75
    # no temporary file is left next to the checkpoint
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(
        [path.name, path.with_suffix(".resume.txt").name, "last-pause.json"]
    )


def test_outcome_file_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "records" / "outcome.json"
    monkeypatch.setenv("REFLOW_OUTCOME_FILE", str(target))
    _, outcome = fit(tmp_path / "p", pause_at=(2, "file"), pause_kwargs={"refresh_rate": 0.001})
    assert outcome is not None
    assert json.loads(target.read_text())["checkpoint"] == outcome.checkpoint_path


def test_checkpoint_loads_with_weights_only(tmp_path: Path) -> None:
    _, outcome = fit(tmp_path / "p", pause_at=(2, "signal"))
    assert outcome is not None
    checkpoint = load_checkpoint(outcome.checkpoint_path)  # weights_only=True: plain types only
    state = next(v for k, v in checkpoint["callbacks"].items() if k.startswith("PauseCallback"))
    assert len(state["ranks"]) == 1 and state["batches_in_epoch"] > 0


def test_disabled_pause_ignores_requests(tmp_path: Path) -> None:
    weights, outcome = fit(tmp_path / "p", pause_at=(2, "file"), max_epochs=1, pause_kwargs={"enable_pause": False})
    assert outcome is None and weights is not None
    assert (tmp_path / "p" / "PAUSE").exists()  # left untouched, nothing written
    assert not list((tmp_path / "p").glob("*.ckpt"))


def test_pause_request_at_the_end_of_training_lets_it_finish(tmp_path: Path) -> None:
    # 12 batches, 1 epoch: a request at the last batch has no safe point left; the run finishes.
    weights, outcome = fit(tmp_path / "p", pause_at=(10, "signal"), max_epochs=1)
    assert outcome is None and weights is not None


def test_epoch_mode_waits_for_the_epoch_to_end(tmp_path: Path) -> None:
    expected = _baseline(tmp_path, {})
    _, outcome = fit(tmp_path / "p", pause_at=(3, "signal"), pause_kwargs={"pause_on_batch_end": False})
    assert outcome is not None and (outcome.epoch, outcome.global_step) == (0, 12)  # after the whole first epoch
    resumed, _ = fit(tmp_path / "p", ckpt_path=outcome.checkpoint_path)
    assert resumed is not None
    assert_same_weights(expected, resumed)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"checkpoint_dir": ""}, "needs a directory"),
        ({"pause_key": "pp"}, "single character"),
        ({"pause_key": "w"}, "must differ"),
        ({"refresh_rate": 0}, "positive"),
        ({"pause_signal": "SIGNOPE"}, "not a signal"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        PauseCallback(**kwargs)


def test_epoch_mode_request_in_the_last_epoch_lets_it_finish(tmp_path: Path) -> None:
    weights, outcome = fit(tmp_path / "p", pause_at=(27, "signal"), pause_kwargs={"pause_on_batch_end": False})
    assert outcome is None and weights is not None


def test_nccl_proxy_dump_signal_conflict_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    import signal as signals

    monkeypatch.setenv("NCCL_PROXY_DUMP_SIGNAL", str(int(signals.SIGUSR2)))
    with pytest.warns(RuntimeWarning, match="NCCL_PROXY_DUMP_SIGNAL=.* is the pause signal SIGUSR2"):
        PauseCallback(pause_signal="SIGUSR2")


def test_sigterm_composes_with_lightning_and_handlers_are_restored(tmp_path: Path) -> None:
    import signal as signals

    import lightning.pytorch as pl

    from lightning_reflow.callbacks import PauseExit
    from lightning_reflow.callbacks.testing import QUIET_TRAINER, NoisyDataModule, NoisyModel, PauseAtBatch

    before = signals.getsignal(signals.SIGTERM)
    trainer = pl.Trainer(
        max_epochs=1,
        accelerator="cpu",
        **QUIET_TRAINER,
        callbacks=[PauseCallback(checkpoint_dir=str(tmp_path)), PauseAtBatch(2, "sigterm")],
    )
    with pytest.raises(PauseExit) as stop:
        trainer.fit(NoisyModel(), NoisyDataModule())
    assert stop.value.code == 75 and stop.value.outcome.reason == "preemption"
    assert trainer.received_sigterm, "Lightning's own SIGTERM handler must still run (after the checkpoint)"
    assert signals.getsignal(signals.SIGTERM) == before
