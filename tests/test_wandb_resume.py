"""Fit, pause with upload, resume from the W&B artifact: the same run id, the same weights (offline W&B).

The `reflow` command runs as real subprocesses with wandb offline and the folder artifact store
(`REFLOW_ARTIFACT_STORE`), which has W&B's artifact semantics: the artifact path is tested end to
end, only the W&B server is replaced.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from lightning_reflow.wandb import ArtifactRef, FileArtifactStore
from lightning_reflow.wandb.offline_records import offline_run_dirs

PROJECT = "reflow-e2e"
BATCHES = 36  # NoisyDataModule: 12 batches per epoch, 3 epochs
PAUSE_AFTER = 20  # the resumed process sees only 14 batches, so its own PauseAtBatch never fires


def _config(root: Path, *, pause: bool) -> dict:
    callbacks = [
        {
            "class_path": "lightning_reflow.callbacks.PauseCallback",
            "init_args": {"checkpoint_dir": str(root / "pause"), "upload_to_wandb": True},
        },
        {
            "class_path": "lightning.pytorch.callbacks.ModelCheckpoint",
            "init_args": {"dirpath": str(root / "ckpt"), "save_last": True, "save_top_k": 0},
        },
        {"class_path": "lightning_reflow.callbacks.wandb.WandbArtifactCheckpoint"},
    ]
    if pause:
        callbacks.append(
            {"class_path": "lightning_reflow.callbacks.testing.PauseAtBatch", "init_args": {"batch": PAUSE_AFTER}}
        )
    return {
        "seed_everything": 7,
        "trainer": {
            "max_epochs": 3,
            "accelerator": "cpu",
            "deterministic": True,
            "enable_progress_bar": False,
            "enable_model_summary": False,
            "logger": {
                "class_path": "lightning.pytorch.loggers.WandbLogger",
                "init_args": {"project": PROJECT, "save_dir": str(root / "wandb")},
            },
            "callbacks": callbacks,
        },
        "model": {"class_path": "lightning_reflow.callbacks.testing.NoisyModel"},
        "data": {"class_path": "lightning_reflow.callbacks.testing.NoisyDataModule"},
    }


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    wb = tmp_path / "wb"
    for sub in ("data", "cache", "config"):
        (wb / sub).mkdir(parents=True)
    return {
        **os.environ,
        "WANDB_MODE": "offline",
        "WANDB_SILENT": "true",
        "WANDB_BASE_URL": "http://127.0.0.1:9",
        "WANDB_DISABLE_GIT": "true",
        "WANDB_DATA_DIR": str(wb / "data"),
        "WANDB_CACHE_DIR": str(wb / "cache"),
        "WANDB_CONFIG_DIR": str(wb / "config"),
        "REFLOW_ARTIFACT_STORE": f"file://{tmp_path / 'store'}",
        "REFLOW_CACHE_DIR": str(tmp_path / "downloads"),
        "PYTHONWARNINGS": "ignore",
    }


def _reflow(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "lightning_reflow.cli", *args]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def _fit(
    tmp_path: Path, env: dict[str, str], name: str, *, pause: bool
) -> tuple[subprocess.CompletedProcess[str], Path]:
    root = tmp_path / name
    root.mkdir()
    config = root / "config.yaml"
    config.write_text(yaml.safe_dump(_config(root, pause=pause), sort_keys=False))
    return _reflow(env, root, "fit", "--config", str(config)), root


def _run_ids(root: Path) -> list[str]:
    return [run.name.rsplit("-", 1)[1] for run in offline_run_dirs(root / "wandb")]


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True, map_location="cpu")["state_dict"]


def test_resume_from_the_paused_artifact_continues_the_same_run_exactly(tmp_path: Path, env: dict[str, str]) -> None:
    first, root = _fit(tmp_path, env, "paused", pause=True)
    assert first.returncode == 75, first.stderr[-3000:]
    (run_id,) = _run_ids(root)
    store = FileArtifactStore(tmp_path / "store")
    paused = store.fetch(ArtifactRef("local", PROJECT, f"checkpoint-{run_id}", "paused"))
    assert paused.metadata["reason"] == "pause" and paused.metadata["run_id"] == run_id
    assert "latest" in paused.aliases

    # The pause's local files are gone: the artifact is all the resumed process has.
    for leftover in (root / "pause", root / "ckpt"):
        for file in leftover.glob("*"):
            file.unlink()
    resumed = _reflow(env, root, "resume", "--checkpoint-artifact", f"local/{PROJECT}/{run_id}:paused")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert _run_ids(root) == [run_id, run_id]  # the second offline run logs into the same run id

    final = store.fetch(ArtifactRef("local", PROJECT, f"checkpoint-{run_id}", "latest"))
    assert final.metadata["run_id"] == run_id and final.metadata["reason"] == "end"
    assert final.metadata["global_step"] == BATCHES and final.version > paused.version

    baseline, baseline_root = _fit(tmp_path, env, "baseline", pause=False)
    assert baseline.returncode == 0, baseline.stderr[-3000:]
    expected, actual = _weights(baseline_root / "ckpt" / "last.ckpt"), _weights(root / "ckpt" / "last.ckpt")
    assert expected.keys() == actual.keys()
    assert all(torch.equal(expected[k], actual[k]) for k in expected), "the resumed run drifted from the unpaused one"


def test_new_run_flag_starts_another_run(tmp_path: Path, env: dict[str, str]) -> None:
    first, root = _fit(tmp_path, env, "paused", pause=True)
    assert first.returncode == 75, first.stderr[-3000:]
    (run_id,) = _run_ids(root)
    resumed = _reflow(env, root, "resume", "--checkpoint-artifact", f"local/{PROJECT}/{run_id}:latest", "--new-run")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    ids = _run_ids(root)
    assert len(ids) == 2 and ids[0] == run_id and ids[1] != run_id
    new = FileArtifactStore(tmp_path / "store").fetch(ArtifactRef("local", PROJECT, f"checkpoint-{ids[1]}", "latest"))
    assert new.metadata["run_id"] == ids[1]


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        (f"{PROJECT}/abc:latest", "Expected entity/project/name:alias"),
        (f"local/{PROJECT}/abc:latest", "No artifact version local/reflow-e2e/abc:latest was found"),
    ],
)
def test_bad_references_end_with_one_message(tmp_path: Path, env: dict[str, str], reference: str, message: str) -> None:
    result = _reflow(env, tmp_path, "resume", "--checkpoint-artifact", reference)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_no_wandb_key_ends_with_one_message(tmp_path: Path, env: dict[str, str]) -> None:
    env = {k: v for k, v in env.items() if k not in ("REFLOW_ARTIFACT_STORE", "WANDB_API_KEY", "WANDB_MODE")}
    env["HOME"] = str(tmp_path / "home")
    result = _reflow(env, tmp_path, "resume", "--checkpoint-artifact", f"team/{PROJECT}/abc:latest")
    assert result.returncode == 2
    assert "No W&B API key is configured. Run `wandb login`" in result.stderr and "Traceback" not in result.stderr
