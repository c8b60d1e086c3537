"""What `resume` decides before parsing: layers of config, W&B run continuation, the CLI to rebuild."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from lightning_reflow.cli.errors import ReflowUsageError
from lightning_reflow.cli.resume_plan import prepare_resume, subcommand_index
from lightning_reflow.utils.checkpoint import REFLOW_KEY, atomic_save

WANDB_CONFIG: dict[str, Any] = {
    "trainer": {
        "logger": {"class_path": "lightning.pytorch.loggers.WandbLogger", "init_args": {"project": "p", "id": None}},
    },
    "model": {"class_path": "m.M"},
}


def _checkpoint(path: Path, config: dict[str, Any] | None, **section: Any) -> Path:
    reflow = {"format": 1, "config": None if config is None else yaml.safe_dump(config), **section}
    atomic_save({"state_dict": {}, REFLOW_KEY: reflow}, path)
    return path


def _layer(args: list[str]) -> dict[str, Any]:
    return yaml.safe_load(args[args.index("--config") + 1])


def test_embedded_config_comes_first_and_user_arguments_last(tmp_path: Path) -> None:
    ckpt = _checkpoint(tmp_path / "a.ckpt", {"trainer": {"max_epochs": 3}})
    plan = prepare_resume(["resume", "--checkpoint-path", str(ckpt), "--trainer.max_epochs=9"])
    assert plan is not None
    assert plan.args[:2] == ["resume", "--config"]
    assert _layer(plan.args) == {"trainer": {"max_epochs": 3}}
    assert plan.args[-1] == "--trainer.max_epochs=9"
    assert plan.checkpoint_path == ckpt.resolve()


def test_wandb_logger_continues_the_checkpoint_run(tmp_path: Path) -> None:
    ckpt = _checkpoint(tmp_path / "a.ckpt", WANDB_CONFIG, wandb_run_id="run-abc")
    plan = prepare_resume(["resume", "--checkpoint-path", str(ckpt)])
    assert plan.run_id == "run-abc"
    assert _layer(plan.args)["trainer"]["logger"]["init_args"]["id"] == "run-abc"


def test_new_run_clears_the_run_id(tmp_path: Path) -> None:
    config = yaml.safe_load(yaml.safe_dump(WANDB_CONFIG))
    config["trainer"]["logger"]["init_args"]["id"] = "old"
    ckpt = _checkpoint(tmp_path / "a.ckpt", config, wandb_run_id="old")
    plan = prepare_resume(["resume", "--checkpoint-path", str(ckpt), "--new-run"])
    assert plan.run_id is None
    assert _layer(plan.args)["trainer"]["logger"]["init_args"]["id"] is None


def test_other_loggers_are_left_alone(tmp_path: Path) -> None:
    config = {"trainer": {"logger": {"class_path": "lightning.pytorch.loggers.CSVLogger", "init_args": {}}}}
    ckpt = _checkpoint(tmp_path / "a.ckpt", config, wandb_run_id="run-abc")
    assert _layer(prepare_resume(["resume", "--checkpoint-path", str(ckpt)]).args) == config


def test_source_overrides_sit_between_embedded_config_and_user_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lightning_reflow.cli import resume_plan
    from lightning_reflow.utils.checkpoint import ResolvedCheckpoint

    ckpt = _checkpoint(tmp_path / "a.ckpt", {"trainer": {"max_epochs": 3}})
    resolved = ResolvedCheckpoint(path=ckpt, config_overrides={"trainer.max_epochs": 5, "model.init_args.name": "x"})
    monkeypatch.setattr(resume_plan, "resolve_reference", lambda ref, download_dir=None: resolved)
    plan = prepare_resume(["resume", "--checkpoint-artifact", "e/p/n:v1", "--trainer.max_epochs=7"])
    assert plan.reference.scheme == "wandb"
    tail = plan.args[3:]
    assert tail == [
        "--trainer.max_epochs=5",
        "--model.init_args.name=x",
        "--checkpoint-artifact",
        "e/p/n:v1",
        "--trainer.max_epochs=7",
    ]


def test_not_a_resume_or_only_help(tmp_path: Path) -> None:
    assert prepare_resume(["fit", "--config", "x.yaml"]) is None
    assert prepare_resume(["resume", "--help"]) is None
    assert subcommand_index(["--config", "resume", "fit"]) == 2


def test_embedded_config_that_is_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.ckpt"
    atomic_save({"state_dict": {}, REFLOW_KEY: {"format": 1, "config": "a: [unclosed"}}, path)
    with pytest.raises(ReflowUsageError, match="not valid YAML"):
        prepare_resume(["resume", "--checkpoint-path", str(path)])


def test_file_url(tmp_path: Path) -> None:
    ckpt = _checkpoint(tmp_path / "a b.ckpt", {"trainer": {}})
    plan = prepare_resume(["resume", "--checkpoint-path", ckpt.resolve().as_uri()])
    assert plan.checkpoint_path == ckpt.resolve()
    assert torch.load(plan.checkpoint_path, weights_only=True)[REFLOW_KEY]["format"] == 1
