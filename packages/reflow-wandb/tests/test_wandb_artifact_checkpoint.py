"""Upload side against real wandb in offline mode: what the run records, for fit, pause, exception, end."""

from __future__ import annotations

from pathlib import Path

import pytest
import wandb
from lightning.pytorch.callbacks import ModelCheckpoint
from wandb_helpers import (
    STEPS_PER_EPOCH,
    PauseAt,
    ValLossModel,
    finish_and_read,
    load_bytes,
    make_trainer,
    sha256,
    staged_checkpoint_bytes,
)

from lightning_reflow.callbacks import EnvironmentCallback, PauseCallback, PauseExit
from lightning_reflow.callbacks.wandb import WandbArtifactCheckpoint

SECRET = "s3cr3t-value-that-must-not-leak"


def _aliases(records):
    return [alias for record in records for alias in record.aliases]


def test_fit_uploads_one_artifact_with_clear_aliases_and_metadata(wandb_env: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_TOKEN", SECRET)
    env = EnvironmentCallback(env_vars={"HF_TOKEN": SECRET, "REFLOW_TEST_FLAG": "1"})
    trainer = make_trainer(tmp_path, [env, WandbArtifactCheckpoint()], max_epochs=3)
    trainer.fit(ValLossModel())
    run_id = trainer.logger.experiment.id
    records = finish_and_read(wandb_env, trainer)

    assert {r.name for r in records} == {f"checkpoint-{run_id}"}
    assert {r.type for r in records} == {"model"}
    for record in records:
        assert len(record.aliases) == len(set(record.aliases)), record.aliases
        assert "latest" in record.aliases  # W&B gives it to every new version: it always names the newest
    aliases = _aliases(records)
    assert [a for a in aliases if a.startswith("epoch-")] == ["epoch-0", "epoch-1", "epoch-2"]
    assert "best" in aliases and "emergency" not in aliases and "paused" not in aliases
    assert [r.metadata["reason"] for r in records] == ["epoch", "epoch", "end"]

    for record in records:
        meta = record.metadata
        data = staged_checkpoint_bytes(record)
        checkpoint = load_bytes(data, tmp_path)
        assert set(record.files) == {"model.ckpt.gz"} and meta["compression"] == "gzip"
        assert meta["sha256"] == sha256(data) and meta["size"] == len(data)
        assert meta["run_id"] == run_id
        assert (meta["epoch"], meta["global_step"]) == (checkpoint["epoch"], checkpoint["global_step"])
        assert meta["global_step"] == STEPS_PER_EPOCH * (meta["epoch"] + 1)
        assert f"epoch-{meta['epoch']}" in record.aliases
        assert meta["monitor"] == "val_loss" and isinstance(meta["monitor_score"], float)
        assert meta["versions"]["reflow-wandb"] and meta["versions"]["reflow-callbacks"]
        # The environment section keeps the secret's name, never its value.
        assert checkpoint["lightning_reflow"]["environment"]["HF_TOKEN"] is None
        assert SECRET.encode() not in data
    best = [r for r in records if "best" in r.aliases][-1]  # the alias moved to the newest best
    assert best.metadata["monitor_score"] == pytest.approx(float(trainer.checkpoint_callback.best_model_score))
    (run_log,) = (wandb_env / "wandb").glob("offline-run-*/run-*.wandb")
    assert SECRET.encode() not in run_log.read_bytes()
    assert not (tmp_path / "ckpt" / ".reflow-upload").exists()


@pytest.mark.parametrize(
    ("every_n", "max_epochs", "expected"),
    [(1, 2, ["epoch-0", "epoch-1"]), (2, 4, ["epoch-1", "epoch-3"]), (0, 3, ["epoch-2"])],
)
def test_upload_every_n_epoch(
    wandb_env: Path, tmp_path: Path, every_n: int, max_epochs: int, expected: list[str]
) -> None:
    callback = WandbArtifactCheckpoint(upload_every_n_epoch=every_n, upload_best_model=False)
    trainer = make_trainer(tmp_path, [callback], max_epochs=max_epochs)
    trainer.fit(ValLossModel())
    records = finish_and_read(wandb_env, trainer)
    assert [a for a in _aliases(records) if a.startswith("epoch-")] == expected
    assert "best" not in _aliases(records)


def test_nothing_new_is_uploaded_in_epochs_where_model_checkpoint_saved_nothing(
    wandb_env: Path, tmp_path: Path
) -> None:
    # Lightning 2.6: with a monitor, ModelCheckpoint refreshes last.ckpt only when it also saved a
    # top-k file; val_loss that never improves after epoch 0 leaves nothing new to upload.
    trainer = make_trainer(tmp_path, [WandbArtifactCheckpoint()], max_epochs=3)
    trainer.fit(ValLossModel(improving=False))
    (record,) = finish_and_read(wandb_env, trainer)
    assert set(record.aliases) == {"epoch-0", "best", "latest"} and record.metadata["global_step"] == STEPS_PER_EPOCH


def test_a_second_model_checkpoint_provides_a_version_every_epoch(wandb_env: Path, tmp_path: Path) -> None:
    every_epoch = ModelCheckpoint(dirpath=tmp_path / "every", save_last=True)
    trainer = make_trainer(tmp_path, [every_epoch, WandbArtifactCheckpoint()], max_epochs=3)
    trainer.fit(ValLossModel(improving=False))
    records = finish_and_read(wandb_env, trainer)
    assert [sorted(r.aliases) for r in records] == [
        ["best", "epoch-0", "latest"],
        ["epoch-1", "latest"],
        ["epoch-2", "latest"],
    ]
    assert [r.metadata["global_step"] for r in records] == [4, 8, 12]
    assert records[-1].metadata["details"]["source_file"] == "last.ckpt"


def test_last_checkpoint_written_at_train_end_is_uploaded(wandb_env: Path, tmp_path: Path) -> None:
    # save_top_k=0: Lightning writes last.ckpt only in ModelCheckpoint.on_train_end, after our hooks.
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "ckpt", save_last=True, save_top_k=0)
    trainer = make_trainer(tmp_path, [WandbArtifactCheckpoint()], max_epochs=2, checkpoint=checkpoint)
    trainer.fit(ValLossModel())
    (record,) = finish_and_read(wandb_env, trainer)
    assert set(record.aliases) == {"epoch-1", "latest"} and record.metadata["reason"] == "end"
    assert record.metadata["global_step"] == 2 * STEPS_PER_EPOCH
    assert staged_checkpoint_bytes(record) == (tmp_path / "ckpt" / "last.ckpt").read_bytes()


def test_uncompressed_upload_stages_the_checkpoint_itself(wandb_env: Path, tmp_path: Path) -> None:
    trainer = make_trainer(tmp_path, [WandbArtifactCheckpoint(use_compression=False)], max_epochs=1)
    trainer.fit(ValLossModel())
    (record,) = finish_and_read(wandb_env, trainer)
    data = staged_checkpoint_bytes(record)
    assert set(record.files) == {"model.ckpt"} and record.metadata["compression"] is None
    assert record.metadata["sha256"] == sha256(data)
    assert data == (tmp_path / "ckpt" / "last.ckpt").read_bytes()


def test_pause_with_upload_goes_through_the_uploader_and_is_not_an_emergency(wandb_env: Path, tmp_path: Path) -> None:
    pause = PauseCallback(checkpoint_dir=str(tmp_path / "pause"), enable_pause=True)
    trainer = make_trainer(tmp_path, [pause, PauseAt(pause, step=6, upload=True), WandbArtifactCheckpoint()])
    with pytest.raises(PauseExit) as info:
        trainer.fit(ValLossModel())
    outcome = info.value.outcome
    run_id = trainer.logger.experiment.id
    records = finish_and_read(wandb_env, trainer)

    assert _aliases(records).count("paused") == 1 and "emergency" not in _aliases(records)
    paused = next(r for r in records if "paused" in r.aliases)
    assert paused is records[-1] and set(paused.aliases) == {"paused", "latest"}
    assert paused.metadata["reason"] == "pause" and paused.metadata["details"]["reason"] == "api"
    assert paused.metadata["run_id"] == run_id
    assert paused.metadata["global_step"] == outcome.global_step > STEPS_PER_EPOCH
    assert paused.metadata["details"]["source_file"] == Path(outcome.checkpoint_path).name
    assert paused.metadata["sha256"] == sha256(Path(outcome.checkpoint_path).read_bytes())
    assert staged_checkpoint_bytes(paused) == Path(outcome.checkpoint_path).read_bytes()
    assert not list((tmp_path / "ckpt").glob("emergency-*"))
    assert not list(tmp_path.rglob(".reflow-upload"))  # no spool left behind, though no teardown hook ran


@pytest.mark.parametrize(("upload", "monitor"), [(False, True), (True, False)])
def test_pause_without_upload_uploads_no_pause_version(
    wandb_env: Path, tmp_path: Path, upload: bool, monitor: bool
) -> None:
    pause = PauseCallback(checkpoint_dir=str(tmp_path / "pause"), enable_pause=True)
    callback = WandbArtifactCheckpoint(monitor_pause_checkpoints=monitor)
    trainer = make_trainer(tmp_path, [pause, PauseAt(pause, step=6, upload=upload), callback])
    with pytest.raises(PauseExit):
        trainer.fit(ValLossModel())
    aliases = _aliases(finish_and_read(wandb_env, trainer))
    assert sorted(set(aliases) - {"best"}) == ["epoch-0", "latest"]
    assert not list((tmp_path / "ckpt").glob("emergency-*"))


def test_exception_writes_and_uploads_an_emergency_checkpoint(wandb_env: Path, tmp_path: Path) -> None:
    trainer = make_trainer(tmp_path, [WandbArtifactCheckpoint()])
    with pytest.raises(RuntimeError, match="boom"):
        trainer.fit(ValLossModel(fail_at_step=6))
    records = finish_and_read(wandb_env, trainer)
    emergency = [r for r in records if "emergency" in r.aliases]
    assert len(emergency) == 1 and set(emergency[0].aliases) == {"emergency", "latest"}
    assert emergency[0] is records[-1]
    meta = emergency[0].metadata
    assert meta["reason"] == "emergency" and meta["details"]["exception"] == "RuntimeError"
    assert meta["global_step"] == 6
    (written,) = (tmp_path / "ckpt").glob("emergency-*.ckpt")
    assert written.name == "emergency-epoch=1-step=6.ckpt"
    assert staged_checkpoint_bytes(emergency[0]) == written.read_bytes()
    assert not list(tmp_path.rglob(".reflow-upload"))


@pytest.mark.parametrize(("enabled", "fail_at_step"), [(False, 6), (True, 0)])
def test_no_emergency_checkpoint_when_disabled_or_nothing_trained(
    wandb_env: Path, tmp_path: Path, enabled: bool, fail_at_step: int
) -> None:
    trainer = make_trainer(tmp_path, [WandbArtifactCheckpoint(create_emergency_checkpoints=enabled)])
    with pytest.raises(RuntimeError, match="boom"):
        trainer.fit(ValLossModel(fail_at_step=fail_at_step))
    assert "emergency" not in _aliases(finish_and_read(wandb_env, trainer))
    assert not list((tmp_path / "ckpt").glob("emergency-*"))


def test_without_wandb_logger_nothing_is_uploaded(tmp_path: Path, caplog) -> None:
    callback = WandbArtifactCheckpoint()
    make_trainer(tmp_path, [callback], max_epochs=1, logger=False).fit(ValLossModel())
    assert "no WandbLogger" in caplog.text
    assert callback.uploads_completed == [] and wandb.run is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"upload_every_n_epoch": -1}, "upload_every_n_epoch=-1"), ({"wait_timeout": 0}, "wait_timeout=0")],
)
def test_invalid_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        WandbArtifactCheckpoint(**kwargs)
