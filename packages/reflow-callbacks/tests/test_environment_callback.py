"""EnvironmentCallback and the environment functions: precedence, merge, secrets, resume, DDP, teardown."""

from __future__ import annotations

import itertools
import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.demos.boring_classes import BoringModel

from lightning_reflow.callbacks import EnvironmentCallback
from lightning_reflow.callbacks.environment import (
    apply_environment,
    checkpoint_environment,
    env_vars_from_config,
    restore_environment,
)
from lightning_reflow.utils.checkpoint import read_metadata
from lightning_reflow.utils.config import is_secret_name

SECRET_VALUE = "s3cr3t-d0-not-leak-7f3a9"
_COUNTER = itertools.count()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch):
    """Unique variable names for this test, unset before and restored after."""
    # A number, not the test's name: words of a name decide whether a variable is a secret.
    prefix = f"REFLOW_T{next(_COUNTER)}"

    def name(suffix: str) -> str:
        variable = f"{prefix}_{suffix}"
        monkeypatch.delenv(variable, raising=False)
        return variable

    yield name
    restore_environment()


class EnvRecordingModel(BoringModel):
    """Records, at every training step, the values of the watched variables as the step sees them."""

    def __init__(self, watched: list[str]) -> None:
        super().__init__()
        self.watched = watched
        self.seen: list[dict[str, str | None]] = []

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        self.seen.append({name: os.environ.get(name) for name in self.watched})
        return super().training_step(batch, batch_idx)


def _trainer(tmp_path: Path, callbacks: list[pl.Callback], **kwargs: Any) -> pl.Trainer:
    options: dict[str, Any] = dict(
        default_root_dir=tmp_path,
        max_steps=2,
        limit_train_batches=2,
        limit_val_batches=0,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
    )
    options.update(kwargs)
    return pl.Trainer(callbacks=callbacks, **options)


# -- the secret rule -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("HF_TOKEN", True),
        ("WANDB_API_KEY", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("AWS_ACCESS_KEY_ID", True),
        ("DB_PASSWORD", True),
        ("MYSQL_PWD", True),
        ("GITHUB_PAT", True),
        ("wandb_apikey", True),
        ("GOOGLE_APPLICATION_CREDENTIALS", True),
        ("HTTP_AUTHORIZATION", True),
        ("TOKENIZERS_PARALLELISM", False),
        ("PYTORCH_CUDA_ALLOC_CONF", False),
        ("CUDA_VISIBLE_DEVICES", False),
        ("NCCL_DEBUG", False),
        ("PWD", False),
        ("PATH", False),
    ],
)
def test_is_secret_name(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


# -- apply_environment ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "checkpoint", "config", "expected"),
    [
        ("env", "ckpt", "cfg", "cfg"),
        ("env", "ckpt", None, "ckpt"),
        ("env", None, "cfg", "cfg"),
        (None, "ckpt", None, "ckpt"),
        ("env", None, None, "env"),
    ],
)
def test_precedence_config_over_checkpoint_over_environment(env, existing, checkpoint, config, expected) -> None:
    name = env("VAR")
    if existing is not None:
        os.environ[name] = existing
    apply_environment(
        {name: config} if config is not None else None,
        checkpoint_env={name: checkpoint} if checkpoint is not None else None,
    )
    assert os.environ.get(name) == expected
    restore_environment([name])
    assert os.environ.get(name) == existing


def test_merge_joins_settings_key_by_key_and_reports_each_conflict_once(env, caplog) -> None:
    name = env("ALLOC_CONF")
    os.environ[name] = "expandable_segments:True,max_split_size_mb:64"
    config = {name: "max_split_size_mb:128"}
    checkpoint = {name: "garbage_collection_threshold:0.6"}
    with caplog.at_level(logging.WARNING, logger="lightning_reflow.environment"):
        first = apply_environment(config, checkpoint_env=checkpoint, merge_strategy="merge")
        # The CLI applies before instantiation, then the callback applies again: same result, no new report.
        second = apply_environment(config, merge_strategy="merge")
    merged = "expandable_segments:True,max_split_size_mb:128,garbage_collection_threshold:0.6"
    assert first == second == {name: merged}
    assert os.environ[name] == merged
    conflicts = [r.getMessage() for r in caplog.records if name in r.getMessage()]
    assert conflicts == [
        f"{name} (setting 'max_split_size_mb'): the config sets '128', which overrides '64' from the existing "
        "environment."
    ]


def test_merge_replaces_values_that_are_not_key_value_lists(env) -> None:
    name = env("DEVICES")
    os.environ[name] = "0,1"
    apply_environment({name: "2,3"}, merge_strategy="merge")
    assert os.environ[name] == "2,3"


def test_override_replaces_whole_value(env) -> None:
    name = env("ALLOC_CONF")
    os.environ[name] = "expandable_segments:True"
    apply_environment({name: "max_split_size_mb:128"})
    assert os.environ[name] == "max_split_size_mb:128"


def test_secret_recorded_without_value_is_never_invented(env, caplog) -> None:
    absent, present = env("HF_TOKEN"), env("API_KEY")
    os.environ[present] = "mine"
    with caplog.at_level(logging.WARNING, logger="lightning_reflow.environment"):
        applied = apply_environment(None, checkpoint_env={absent: None, present: None})
    assert applied == {}
    assert absent not in os.environ
    assert os.environ[present] == "mine"
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"Export {absent} before resuming" in m for m in messages)
    assert not any(present in m for m in messages)


def test_conflict_on_a_secret_never_logs_its_value(env, caplog) -> None:
    name = env("AUTH_TOKEN")
    os.environ[name] = "old-" + SECRET_VALUE
    with caplog.at_level(logging.WARNING, logger="lightning_reflow.environment"):
        apply_environment({name: SECRET_VALUE})
    assert os.environ[name] == SECRET_VALUE
    assert any(name in r.getMessage() and "***" in r.getMessage() for r in caplog.records)
    assert SECRET_VALUE not in caplog.text


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"merge_strategy": "append"}, r"merge_strategy='append'.*'override', 'merge'"),
        ({"env_vars": {"A=B": "x"}}, "not a valid environment variable name"),
        ({"env_vars": {"A": None}}, "must be a string or number"),
        ({"env_vars": ["A"]}, "must be a mapping"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        EnvironmentCallback(**kwargs)


# -- env_vars_from_config ------------------------------------------------------------------------


def _entry(env_vars: dict[str, Any], **init_args: Any) -> dict[str, Any]:
    return {
        "class_path": "lightning_reflow.callbacks.EnvironmentCallback",
        "init_args": {"env_vars": env_vars, **init_args},
    }


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"trainer": {"callbacks": [_entry({"A": "1"})]}}, ({"A": "1"}, "override")),
        (
            {"trainer": {"callbacks": _entry({"A": 128, "B": False}, merge_strategy="merge")}},
            ({"A": "128", "B": "false"}, "merge"),
        ),
        (
            {"fit": {"trainer": {"callbacks": [{"class_path": "x.Other"}, _entry({"A": "1"})]}}},
            ({"A": "1"}, "override"),
        ),
        (
            {"trainer": {"callbacks": [_entry({"A": "1", "B": "1"}), _entry({"B": "2"})]}},
            ({"A": "1", "B": "2"}, "override"),
        ),
        ({"trainer": {"callbacks": [{"class_path": "EnvironmentCallback"}]}}, ({}, "override")),
        ({"trainer": {"callbacks": [{"class_path": "x.Other"}]}}, None),
        ({"trainer": {"max_steps": 3}}, None),
        ({"model": {}}, None),
    ],
)
def test_env_vars_from_config(config: dict[str, Any], expected: Any) -> None:
    assert env_vars_from_config(config) == expected


def test_env_vars_from_config_reads_a_jsonargparse_namespace() -> None:
    jsonargparse = pytest.importorskip("jsonargparse")
    config = jsonargparse.Namespace(trainer=jsonargparse.Namespace(callbacks=[_entry({"A": "1"})]))
    assert env_vars_from_config(config) == ({"A": "1"}, "override")


def test_env_vars_from_config_rejects_a_bad_strategy() -> None:
    with pytest.raises(ValueError, match="merge_strategy='sideways'"):
        env_vars_from_config({"trainer": {"callbacks": [_entry({"A": "1"}, merge_strategy="sideways")]}})


def test_functions_import_without_torch() -> None:
    code = (
        "import sys, lightning_reflow.callbacks.environment as e; e.apply_environment({}); "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# -- with real fits ------------------------------------------------------------------------------


def test_fit_sees_variables_from_construction_and_teardown_restores(env, tmp_path: Path) -> None:
    new, changed = env("NEW"), env("CHANGED")
    os.environ[changed] = "before"
    callback = EnvironmentCallback(env_vars={new: "on", changed: "during"})
    # Applied at construction: before the Trainer exists, so before Lightning looks for devices.
    assert (os.environ[new], os.environ[changed]) == ("on", "during")
    model = EnvRecordingModel([new, changed])
    _trainer(tmp_path, [callback]).fit(model)
    assert model.seen == [{new: "on", changed: "during"}] * 2
    assert new not in os.environ
    assert os.environ[changed] == "before"


def _fit_with_checkpoint(tmp_path: Path, callbacks: list[pl.Callback], model: pl.LightningModule) -> Path:
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "ckpt", save_last=True, every_n_train_steps=1)
    _trainer(tmp_path, [*callbacks, checkpoint], enable_checkpointing=True).fit(model)
    return tmp_path / "ckpt" / "last.ckpt"


def test_checkpoint_records_environment_and_a_secret_never_reaches_its_bytes(env, tmp_path: Path) -> None:
    plain, secret = env("ALLOC_CONF"), env("HF_TOKEN")
    callback = EnvironmentCallback(env_vars={plain: "max_split_size_mb:128", secret: SECRET_VALUE})
    path = _fit_with_checkpoint(tmp_path, [callback], EnvRecordingModel([secret]))
    assert SECRET_VALUE.encode() not in path.read_bytes()
    recorded = {plain: "max_split_size_mb:128", secret: None}
    assert read_metadata(path).environment == recorded
    state = torch.load(path, weights_only=True)["callbacks"]["EnvironmentCallback"]
    assert state["environment"] == recorded
    assert checkpoint_environment(path) == recorded


def test_resume_applies_checkpoint_below_config(env, tmp_path: Path) -> None:
    both, only_ckpt, secret = env("BOTH"), env("ONLY_CKPT"), env("API_KEY")
    first = EnvironmentCallback(env_vars={both: "first", only_ckpt: "from-ckpt", secret: SECRET_VALUE})
    path = _fit_with_checkpoint(tmp_path / "a", [first], BoringModel())
    assert only_ckpt not in os.environ and secret not in os.environ
    os.environ[secret] = "exported-again"

    model = EnvRecordingModel([both, only_ckpt, secret])
    second = EnvironmentCallback(env_vars={both: "second"})
    _trainer(tmp_path / "b", [second], max_steps=4).fit(model, ckpt_path=path)
    assert model.seen == [{both: "second", only_ckpt: "from-ckpt", secret: "exported-again"}] * 2
    assert both not in os.environ and only_ckpt not in os.environ
    assert os.environ[secret] == "exported-again"


def test_resume_with_a_callback_without_env_vars_restores_the_checkpoint_environment(env, tmp_path: Path) -> None:
    name = env("NCCL_SETTING")
    path = _fit_with_checkpoint(tmp_path / "a", [EnvironmentCallback(env_vars={name: "recorded"})], BoringModel())
    model = EnvRecordingModel([name])
    callback = EnvironmentCallback()
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "b", save_last=True, every_n_train_steps=1)
    _trainer(tmp_path / "b", [callback, checkpoint], max_steps=4, enable_checkpointing=True).fit(model, ckpt_path=path)
    assert model.seen == [{name: "recorded"}] * 2
    # The new checkpoint carries the environment forward for the next resume.
    assert read_metadata(tmp_path / "b" / "last.ckpt").environment == {name: "recorded"}


def test_resume_whose_config_has_no_environment_callback(env, tmp_path: Path) -> None:
    """The CLI path: the checkpoint's environment is applied before any class is built."""
    name = env("ALLOC_CONF")
    path = _fit_with_checkpoint(tmp_path / "a", [EnvironmentCallback(env_vars={name: "recorded"})], BoringModel())
    assert name not in os.environ
    config = {"trainer": {"callbacks": [{"class_path": "x.Other"}]}}
    found = env_vars_from_config(config)
    applied = apply_environment(found[0] if found else None, checkpoint_env=checkpoint_environment(path))
    assert applied == {name: "recorded"}
    model = EnvRecordingModel([name])
    _trainer(tmp_path / "b", [], max_steps=4).fit(model, ckpt_path=path)
    assert model.seen == [{name: "recorded"}] * 2


DDP_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import lightning.pytorch as pl
    from lightning.pytorch.demos.boring_classes import BoringModel
    from lightning_reflow.callbacks import EnvironmentCallback

    out, name = sys.argv[1], sys.argv[2]

    class Model(BoringModel):
        def training_step(self, batch, batch_idx):
            path = os.path.join(out, f"rank{self.global_rank}.json")
            with open(path, "w") as f:
                json.dump({"value": os.environ.get(name), "pid": os.getpid()}, f)
            return super().training_step(batch, batch_idx)

    trainer = pl.Trainer(
        strategy="ddp", devices=2, accelerator="cpu", max_steps=1, limit_val_batches=0, logger=False,
        enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False,
        callbacks=[EnvironmentCallback(env_vars={name: "every-rank"})],
    )
    trainer.fit(Model())
    if trainer.global_rank == 0:
        with open(os.path.join(out, "after.json"), "w") as f:
            json.dump({"value": os.environ.get(name)}, f)
    """
)


def test_every_ddp_rank_gets_the_variables(env, tmp_path: Path) -> None:
    name = env("DDP")
    script = tmp_path / "ddp_env.py"
    script.write_text(DDP_SCRIPT)
    child_env = {k: v for k, v in os.environ.items() if k not in ("LOCAL_RANK", "RANK", "WORLD_SIZE")}
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path), name], env=child_env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["value"] for r in ranks] == ["every-rank", "every-rank"]
    assert ranks[0]["pid"] != ranks[1]["pid"]
    assert json.loads((tmp_path / "after.json").read_text()) == {"value": None}
