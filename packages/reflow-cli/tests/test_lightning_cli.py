"""`reflow fit` and `reflow resume` through the real entry point, with real Trainer runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import yaml
from _helpers import BATCHES_PER_EPOCH, assert_same_weights, last_pause, weights

from lightning_reflow.utils.checkpoint import extract_embedded_config, read_metadata

Runner = Callable[..., tuple[int, str]]


def test_fit_finishes_and_embeds_the_resolved_config(
    tmp_path: Path, write_config: Callable[..., Path], reflow: Runner
) -> None:
    config = write_config("run", max_epochs=1)
    code, err = reflow("fit", "--config", config, "--model.init_args.lr=0.02")
    assert code == 0, err
    last = tmp_path / "run" / "ckpt" / "last.ckpt"
    embedded = extract_embedded_config(last)
    assert embedded["model"]["init_args"]["lr"] == 0.02  # the command-line override, not the file
    assert embedded["trainer"]["max_epochs"] == 1
    assert embedded["seed_everything"] == 7
    assert "config" not in embedded and "ckpt_path" not in embedded
    cli = read_metadata(last).extra["cli"]
    assert cli["subcommand"] == "fit"
    assert cli["cli_class"] == "lightning_reflow.cli.lightning_cli:LightningReflowCLI"
    assert cli["resume_command"].endswith("resume --checkpoint-path {checkpoint}")


def test_pause_resume_twice_without_the_config_file_matches_an_uninterrupted_run(
    tmp_path: Path, write_config: Callable[..., Path], reflow: Runner
) -> None:
    assert reflow("fit", "--config", write_config("reference"))[0] == 0
    expected = weights(tmp_path / "reference" / "ckpt" / "last.ckpt")

    # PauseAtBatch counts batches per process, so every resumed process pauses again 8 batches later.
    config = write_config("paused", pause_at=7)
    code, err = reflow("fit", "--config", config)
    assert code == 75, err
    config.unlink()  # the embedded config is all a resume needs
    pause_dir = tmp_path / "paused" / "pause"
    resumes, steps = 0, []
    while code == 75:
        record = last_pause(pause_dir)
        steps.append(record["global_step"])
        code, err = reflow("resume", "--checkpoint-path", record["checkpoint"])
        resumes += 1
    assert code == 0, err
    assert resumes >= 2 and steps == sorted(steps) and len(set(steps)) == len(steps)
    assert_same_weights(expected, weights(tmp_path / "paused" / "ckpt" / "last.ckpt"))


def test_resume_with_a_max_epochs_override(tmp_path: Path, write_config: Callable[..., Path], reflow: Runner) -> None:
    code, _ = reflow("fit", "--config", write_config("run", pause_at=3, max_epochs=1))
    assert code == 75
    checkpoint = last_pause(tmp_path / "run" / "pause")["checkpoint"]
    override = tmp_path / "no-pauser.yaml"  # a user --config wins over the embedded one: drop PauseAtBatch
    callbacks = extract_embedded_config(checkpoint)["trainer"]["callbacks"][:2]
    override.write_text(yaml.safe_dump({"trainer": {"callbacks": callbacks}}))
    code, err = reflow("resume", "--checkpoint-path", checkpoint, "--config", override, "--trainer.max_epochs=2")
    assert code == 0, err
    final = torch.load(tmp_path / "run" / "ckpt" / "last.ckpt", weights_only=True)
    assert final["global_step"] == 2 * BATCHES_PER_EPOCH
    embedded = extract_embedded_config(final)
    assert embedded["trainer"]["max_epochs"] == 2
    assert [c["class_path"].rsplit(".", 1)[-1] for c in embedded["trainer"]["callbacks"]] == [
        "PauseCallback",
        "ModelCheckpoint",
    ]
    assert read_metadata(final).extra["cli"]["subcommand"] == "resume"


def test_callbacks_added_when_the_config_has_none(tmp_path: Path, reflow: Runner) -> None:
    from lightning_reflow.core import LightningReflow

    config = {
        "seed_everything": 1,
        "trainer": {"max_steps": 2, "logger": False, "enable_model_summary": False, "enable_checkpointing": False},
        "model": {"class_path": "lightning_reflow.callbacks.testing.NoisyModel"},
        "data": {"class_path": "lightning_reflow.callbacks.testing.NoisyDataModule"},
    }
    result = LightningReflow().fit(config=config)
    from lightning.pytorch.callbacks import ProgressBar

    from lightning_reflow.callbacks import ConfigEmbeddingCallback, PauseCallback

    callbacks = result.trainer.callbacks
    pauses = [c for c in callbacks if isinstance(c, PauseCallback)]
    assert len(pauses) == 1 and pauses[0].resume_command.endswith("resume --checkpoint-path {checkpoint}")
    assert sum(isinstance(c, ConfigEmbeddingCallback) for c in callbacks) == 1
    try:
        from lightning_reflow.callbacks import FlowProgressBarCallback
    except ImportError:
        FlowProgressBarCallback = None
    bars = [
        c
        for c in callbacks
        if isinstance(c, ProgressBar) or (FlowProgressBarCallback and isinstance(c, FlowProgressBarCallback))
    ]
    assert len(bars) == 1
    if FlowProgressBarCallback is not None:
        assert isinstance(bars[0], FlowProgressBarCallback)


def test_environment_applied_and_secrets_never_embedded(
    tmp_path: Path, write_config: Callable[..., Path], reflow: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REFLOW_CLI_TEST_MODE", raising=False)
    monkeypatch.setenv("REFLOW_CLI_TEST_TOKEN", "tok-from-shell")
    config = write_config("run", pause_at=2, max_epochs=1)
    data = yaml.safe_load(config.read_text())
    data["trainer"]["callbacks"].append(
        {
            "class_path": "lightning_reflow.callbacks.EnvironmentCallback",
            "init_args": {"env_vars": {"REFLOW_CLI_TEST_MODE": "fast", "REFLOW_CLI_TEST_TOKEN": "s3cr3t-value"}},
        }
    )
    config.write_text(yaml.safe_dump(data))
    code, err = reflow("fit", "--config", config)
    assert code == 75, err
    import os

    assert os.environ["REFLOW_CLI_TEST_MODE"] == "fast"  # applied before the classes were built
    checkpoint = Path(last_pause(tmp_path / "run" / "pause")["checkpoint"])
    raw = checkpoint.read_bytes()
    assert b"s3cr3t-value" not in raw and b"tok-from-shell" not in raw
    env = extract_embedded_config(checkpoint)["trainer"]["callbacks"][-1]["init_args"]["env_vars"]
    assert env == {"REFLOW_CLI_TEST_MODE": "fast"}
    assert read_metadata(checkpoint).extra["cli"]["secret_env_names"] == ["REFLOW_CLI_TEST_TOKEN"]

    # resumed with a config that has no EnvironmentCallback: the checkpoint's environment applies
    from lightning_reflow.callbacks.environment import restore_environment

    restore_environment()
    assert "REFLOW_CLI_TEST_MODE" not in os.environ
    override = tmp_path / "plain-callbacks.yaml"
    override.write_text(yaml.safe_dump({"trainer": {"callbacks": data["trainer"]["callbacks"][:2]}}))
    code, err = reflow("resume", "--checkpoint-path", checkpoint, "--config", override)
    assert code == 0, err
    assert os.environ["REFLOW_CLI_TEST_TOKEN"] == "tok-from-shell"  # a secret comes from the shell
    # the resumed run ran with that environment and its own checkpoints record it again (the secret
    # by name only); the environment from before the run is back once it ended
    assert "REFLOW_CLI_TEST_MODE" not in os.environ
    resumed_env = read_metadata(tmp_path / "run" / "ckpt" / "last.ckpt").environment
    assert resumed_env.get("REFLOW_CLI_TEST_MODE") == "fast"
    assert "REFLOW_CLI_TEST_TOKEN" in resumed_env and resumed_env["REFLOW_CLI_TEST_TOKEN"] is None


def test_help_lists_resume(reflow: Runner, capsys: pytest.CaptureFixture[str]) -> None:
    from lightning_reflow.cli import main

    assert main(["--help"]) == 0
    assert "resume" in capsys.readouterr().out
    assert main(["resume", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--checkpoint-path" in out and "--checkpoint-artifact" in out and "--new-run" in out


def test_validate_and_fit_from_a_reflow_checkpoint(
    tmp_path: Path, write_config: Callable[..., Path], reflow: Runner
) -> None:
    config = write_config("run", max_epochs=1)
    assert reflow("fit", "--config", config)[0] == 0
    last = tmp_path / "run" / "ckpt" / "last.ckpt"
    code, err = reflow("validate", "--config", config, "--ckpt_path", last)
    assert code == 0, err
    code, err = reflow("fit", "--config", config, "--ckpt_path", last, "--trainer.max_epochs=2")
    assert code == 0, err
    assert torch.load(last, weights_only=True)["global_step"] == 2 * BATCHES_PER_EPOCH


def test_print_config_of_a_resume_shows_the_merged_config(
    tmp_path: Path, write_config: Callable[..., Path], reflow: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    assert reflow("fit", "--config", write_config("run", pause_at=2, max_epochs=1))[0] == 75
    checkpoint = last_pause(tmp_path / "run" / "pause")["checkpoint"]
    from lightning_reflow.cli import main

    assert main(["resume", "--checkpoint-path", checkpoint, "--trainer.max_epochs=9", "--print_config"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["trainer"]["max_epochs"] == 9
    assert printed["model"]["class_path"] == "lightning_reflow.callbacks.testing.NoisyModel"
