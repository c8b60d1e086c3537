"""Embedded config, safe loading, atomic writes and clear errors for bad checkpoints."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from _fit import fit
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.demos.boring_classes import BoringModel

from lightning_reflow.callbacks import CallbackConfigMixin, ConfigEmbeddingCallback
from lightning_reflow.callbacks.testing import NoisyModel
from lightning_reflow.utils.checkpoint import (
    REFLOW_KEY,
    CheckpointError,
    atomic_save,
    check_model_compatible,
    extract_embedded_config,
    load_checkpoint,
    read_metadata,
)

CONFIG = {"model": {"class_path": "my.Model", "init_args": {"lr": 0.01}}, "trainer": {"max_epochs": 3}}


class Tagged(Callback, CallbackConfigMixin):
    def __init__(self, label: str = "a", every: int = 10) -> None:
        super().__init__()
        self.label, self.every = label, every


@pytest.fixture(scope="module")
def paused_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("embedded")
    extra = [ConfigEmbeddingCallback(yaml.safe_dump(CONFIG), extra={"cli": {"subcommand": "fit"}}), Tagged("b", 3)]
    _, outcome = fit(tmp / "p", pause_at=(3, "signal"), extra_callbacks=extra)
    assert outcome is not None
    return Path(outcome.checkpoint_path)


def test_extract_embedded_config_from_path_and_dict(paused_checkpoint: Path) -> None:
    assert extract_embedded_config(paused_checkpoint) == CONFIG
    loaded = torch.load(paused_checkpoint, weights_only=True)
    assert extract_embedded_config(loaded) == CONFIG


def test_metadata_carries_versions_pause_and_extra(paused_checkpoint: Path) -> None:
    meta = read_metadata(paused_checkpoint)
    assert meta is not None and meta.format == 1
    assert {"reflow-callbacks", "lightning", "torch", "python"} <= set(meta.versions)
    assert meta.pause is not None and meta.pause["reason"] == "signal"
    assert meta.extra["cli"] == {"subcommand": "fit"}


def test_callback_config_mixin_round_trip(paused_checkpoint: Path) -> None:
    state = load_checkpoint(paused_checkpoint)["callbacks"]
    saved = next(v for k, v in state.items() if k.startswith("Tagged"))
    assert saved == {"config": {"label": "b", "every": 3}}
    fresh = Tagged()
    fresh.load_state_dict(saved)
    assert (fresh.label, fresh.every) == ("b", 3)


def test_checkpoint_without_reflow_section(tmp_path: Path) -> None:
    path = tmp_path / "plain.ckpt"
    torch.save({"state_dict": {}}, path)
    assert extract_embedded_config(path) is None and read_metadata(path) is None


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"Checkpoint not found: .*nope\.ckpt"):
        load_checkpoint(tmp_path / "nope.ckpt")


def test_truncated_checkpoint(tmp_path: Path, paused_checkpoint: Path) -> None:
    data = paused_checkpoint.read_bytes()
    cut = tmp_path / "cut.ckpt"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="not a readable checkpoint \\(truncated or corrupt"):
        load_checkpoint(cut)


def test_corrupt_and_empty_checkpoint(tmp_path: Path) -> None:
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(junk)
    empty = tmp_path / "empty.ckpt"
    empty.touch()
    with pytest.raises(CheckpointError, match="empty"):
        load_checkpoint(empty)
    with pytest.raises(CheckpointError, match="is a directory"):
        load_checkpoint(tmp_path)


def test_unsafe_pickle_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "unsafe.ckpt"
    torch.save({"state_dict": {}, "object": Tagged()}, path)
    with pytest.raises(CheckpointError, match="cannot be loaded safely"):
        load_checkpoint(path)
    assert isinstance(load_checkpoint(path, trusted=True)["object"], Tagged)


def test_checkpoint_of_another_model(paused_checkpoint: Path) -> None:
    checkpoint = load_checkpoint(paused_checkpoint)
    check_model_compatible(checkpoint, NoisyModel())  # same model: no error
    with pytest.raises(CheckpointError, match=r"written for another model .*other shapes for net\.0\.bias"):
        check_model_compatible(checkpoint, NoisyModel(hidden=32))
    with pytest.raises(CheckpointError, match=r"missing .*net\.0\.weight"):
        check_model_compatible(checkpoint, BoringModel())


def test_embedded_section_is_plain_data(paused_checkpoint: Path) -> None:
    section = torch.load(paused_checkpoint, weights_only=True)[REFLOW_KEY]
    assert isinstance(section["config"], str)


def test_kill_during_write_keeps_previous_checkpoint(tmp_path: Path) -> None:
    target = tmp_path / "model.ckpt"
    atomic_save({"generation": 1}, target)
    script = Path(__file__).parent / "scripts" / "save_forever.py"
    proc = subprocess.Popen([sys.executable, str(script), str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "READY"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # kill while a temporary file is half written
            partial = [p for p in tmp_path.iterdir() if p.name.startswith(".model.ckpt.tmp-") and p.stat().st_size > 0]
            if partial:
                break
            time.sleep(0.005)
        assert partial, "the writer never started writing"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    # the visible checkpoint is whole: the old one or a complete new one, never a torn file
    generation = load_checkpoint(target)["generation"]
    assert generation in (1, 2)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "model.ckpt"]
    assert all(name.startswith(".model.ckpt.tmp-") for name in leftovers), leftovers
