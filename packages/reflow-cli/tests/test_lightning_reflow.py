"""The Python API: LightningReflow().fit / .resume with the CLI's semantics, returning results."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from _helpers import assert_same_weights, make_config, weights

from lightning_reflow.cli import ReflowUsageError
from lightning_reflow.core import LightningReflow, ReflowResult


def test_namespace_import() -> None:
    from lightning_reflow import LightningReflow as FromRoot

    assert FromRoot is LightningReflow


def test_fit_pause_resume_returns_results_and_keeps_yaml_callbacks(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    reference = LightningReflow().fit(config=write_config("reference", max_epochs=2))
    assert reference.status == "finished" and reference.exit_code == 0
    assert reference.global_step == 24
    assert reference.checkpoint_path == str(tmp_path / "reference" / "ckpt" / "last.ckpt")

    paused = LightningReflow().fit(config=write_config("paused", pause_at=4), overrides={"trainer": {"max_epochs": 1}})
    assert paused.paused and paused.exit_code == 75
    assert paused.pause.reason == "signal" and Path(paused.checkpoint_path).is_file()
    assert paused.resume_command.endswith(f"resume --checkpoint-path {paused.checkpoint_path}")
    # YAML callbacks are built, not dropped: the config's ModelCheckpoint and PauseAtBatch are there
    names = {type(c).__name__ for c in paused.trainer.callbacks}
    assert {"ModelCheckpoint", "PauseAtBatch", "PauseCallback"} <= names

    callbacks = make_config(tmp_path / "paused")["trainer"]["callbacks"][:2]  # without PauseAtBatch
    resumed = LightningReflow().resume(
        resume_source=paused.checkpoint_path,
        additional_config={"trainer": {"max_epochs": 2, "callbacks": callbacks}},
    )
    assert isinstance(resumed, ReflowResult) and resumed.status == "finished"
    assert resumed.global_step == 24
    assert "max_epochs: 2" in resumed.config
    assert_same_weights(weights(tmp_path / "reference" / "ckpt" / "last.ckpt"), weights(Path(resumed.checkpoint_path)))


def test_model_classes_given_in_python(tmp_path: Path) -> None:
    from lightning_reflow.callbacks.testing import NoisyDataModule, NoisyModel

    reflow = LightningReflow(NoisyModel, NoisyDataModule, trainer_defaults={"logger": False})
    result = reflow.fit(config={"trainer": {"max_steps": 3, "enable_progress_bar": False}, "model": {"hidden": 5}})
    assert result.status == "finished" and result.model.hparams.hidden == 5 and result.global_step == 3


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda r, d: r.fit(config=d / "missing.yaml"), "Config file not found"),
        (lambda r, d: r.fit(config={"trainer": {"max_epochz": 1}}), "max_epochz"),
        (lambda r, d: r.resume(resume_source=d / "missing.ckpt"), "Checkpoint not found"),
        (lambda r, d: r.resume(resume_source="ftp://x/y.ckpt"), "Unknown checkpoint scheme 'ftp'"),
    ],
    ids=["config-file", "unknown-key", "checkpoint", "scheme"],
)
def test_bad_input_raises_usage_errors(tmp_path: Path, call: Callable[..., object], match: str) -> None:
    with pytest.raises(ReflowUsageError, match=match):
        call(LightningReflow(), tmp_path)


def test_artifact_names_go_to_the_artifact_source(monkeypatch: pytest.MonkeyPatch) -> None:
    from lightning_reflow.cli import resume_sources

    installed = {k: v for k, v in resume_sources.installed_schemes().items() if k != "wandb"}
    monkeypatch.setattr(resume_sources, "installed_schemes", lambda: installed)
    with pytest.raises(ReflowUsageError, match="pip install reflow-wandb"):
        LightningReflow().resume(resume_source="entity/project/run-1:latest")
