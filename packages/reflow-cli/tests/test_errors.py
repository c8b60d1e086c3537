"""Bad input through the real entry point: exit status 2, one clear message, no traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import lightning.pytorch as pl
import pytest
from _helpers import last_pause

from lightning_reflow.callbacks.testing import NoisyDataModule, NoisyModel

Runner = Callable[..., tuple[int, str]]


def _plain_lightning_checkpoint(path: Path) -> Path:
    trainer = pl.Trainer(
        max_steps=1, logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False
    )
    trainer.fit(NoisyModel(), NoisyDataModule())
    trainer.save_checkpoint(path)
    return path


def _check(code: int, err: str, *expected: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, f"{text!r} not in {err!r}"


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "missing.ckpt", ("Checkpoint not found", "missing.ckpt")),
        (
            lambda d: (d / "corrupt.ckpt", (d / "corrupt.ckpt").write_bytes(b"PK\x03\x04 not a zip"))[0],
            ("not a readable checkpoint",),
        ),
        (lambda d: (d / "empty.ckpt", (d / "empty.ckpt").write_bytes(b""))[0], ("empty",)),
        (lambda d: d, ("directory",)),
    ],
    ids=["missing", "corrupt", "empty", "directory"],
)
def test_bad_checkpoint_path(
    tmp_path: Path, reflow: Runner, make: Callable[[Path], Path], expected: tuple[str, ...]
) -> None:
    _check(*reflow("resume", "--checkpoint-path", make(tmp_path)), *expected)


def test_checkpoint_without_embedded_config_requires_config(
    tmp_path: Path, reflow: Runner, write_config: Callable[..., Path]
) -> None:
    checkpoint = _plain_lightning_checkpoint(tmp_path / "plain.ckpt")
    _check(*reflow("resume", "--checkpoint-path", checkpoint), "no embedded config", "--config is required")
    # ...and with --config it resumes, from that config
    code, err = reflow("resume", "--checkpoint-path", checkpoint, "--config", write_config("run", max_epochs=1))
    assert code == 0, err


def test_unknown_override_key(reflow: Runner, write_config: Callable[..., Path]) -> None:
    _check(*reflow("fit", "--config", write_config("run"), "--trainer.max_epochz=3"), "max_epochz")


def test_unknown_override_key_on_resume(tmp_path: Path, reflow: Runner, write_config: Callable[..., Path]) -> None:
    assert reflow("fit", "--config", write_config("run", pause_at=1, max_epochs=1))[0] == 75
    checkpoint = last_pause(tmp_path / "run" / "pause")["checkpoint"]
    _check(*reflow("resume", "--checkpoint-path", checkpoint, "--model.init_args.lrr=1"), "lrr")


def test_config_that_does_not_parse(tmp_path: Path, reflow: Runner) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("trainer: [max_epochs: 1\nmodel: {\n")
    _check(*reflow("fit", "--config", broken), "broken.yaml")


def test_config_file_missing(reflow: Runner) -> None:
    _check(*reflow("fit", "--config", "nowhere.yaml"), "nowhere.yaml")


def test_unknown_scheme_lists_installed_ones(reflow: Runner) -> None:
    _check(*reflow("resume", "--checkpoint-path", "ftp://host/x.ckpt"), "Unknown checkpoint scheme 'ftp'", "file", "s3")


def test_missing_source_package_names_it(reflow: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    from lightning_reflow.cli import resume_sources

    installed = {k: v for k, v in resume_sources.installed_schemes().items() if k != "wandb"}
    monkeypatch.setattr(resume_sources, "installed_schemes", lambda: installed)  # as without reflow-wandb
    _check(*reflow("resume", "--checkpoint-artifact", "ent/proj/run-1:latest"), "pip install reflow-wandb")


@pytest.mark.parametrize(
    "args",
    [["resume"], ["resume", "--checkpoint-path", "a.ckpt", "--checkpoint-artifact", "e/p/n:latest"]],
    ids=["none", "both"],
)
def test_resume_needs_exactly_one_reference(reflow: Runner, args: list[str]) -> None:
    _check(*reflow(*args), "exactly one of --checkpoint-path")


def test_training_failure_is_status_1_with_traceback(reflow: Runner, write_config: Callable[..., Path]) -> None:
    code, err = reflow("fit", "--config", write_config("run"), "--model.init_args.in_features=3")
    assert code == 1 and "Traceback" in err


def test_fit_with_a_missing_ckpt_path(reflow: Runner, write_config: Callable[..., Path]) -> None:
    _check(*reflow("fit", "--config", write_config("run"), "--ckpt_path", "gone.ckpt"), "gone.ckpt")


def test_invalid_argument_value_is_a_usage_error(reflow: Runner, write_config: Callable[..., Path]) -> None:
    # NoisyDataModule validates nothing, but Lightning's Trainer does: an unknown accelerator
    _check(*reflow("fit", "--config", write_config("run"), "--trainer.accelerator=tpu-v9"), "tpu-v9")
