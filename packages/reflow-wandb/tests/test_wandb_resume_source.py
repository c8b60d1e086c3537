"""The `wandb` resume source on the folder store: references, download, digest, and one message per bad input."""

from __future__ import annotations

import gzip
import hashlib
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import torch
from wandb_helpers import ValLossModel, make_trainer

from lightning_reflow.callbacks import ConfigEmbeddingCallback
from lightning_reflow.utils.checkpoint import extract_embedded_config, read_metadata
from lightning_reflow.wandb import (
    ArtifactRef,
    ArtifactReferenceError,
    ArtifactResolveError,
    FileArtifactStore,
    WandbApiStore,
    WandbArtifactCheckpoint,
    WandbResumeSource,
)

CONFIG = "trainer:\n  max_epochs: 2\nmodel:\n  class_path: ValLossModel\n"


@pytest.fixture
def trained(wandb_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[FileArtifactStore, str]:
    """A real 2-epoch fit whose checkpoints went to a folder store; returns the store and the run id."""
    monkeypatch.setenv("REFLOW_ARTIFACT_STORE", f"file://{tmp_path / 'store'}")
    callbacks = [ConfigEmbeddingCallback(CONFIG), WandbArtifactCheckpoint()]
    trainer = make_trainer(tmp_path, callbacks, max_epochs=2)
    trainer.fit(ValLossModel())
    run_id = trainer.logger.experiment.id
    trainer.logger.experiment.finish()
    return FileArtifactStore(tmp_path / "store"), run_id


def test_registered_under_the_wandb_scheme() -> None:
    (entry,) = [ep for ep in entry_points(group="lightning_reflow.resume_sources") if ep.name == "wandb"]
    assert entry.load() is WandbResumeSource and WandbResumeSource.scheme == "wandb"


@pytest.mark.parametrize(
    ("form", "version", "epoch"),
    [
        ("{run}:latest", "v1", 1),
        ("{run}:epoch-0", "v0", 0),
        ("checkpoint-{run}:v0", "v0", 0),
        ("{run}:best", None, None),
    ],
)
def test_resolves_run_id_and_artifact_names(trained, tmp_path: Path, form: str, version: str | None, epoch) -> None:
    store, run_id = trained
    reference = "local/reflow-test/" + form.format(run=run_id)
    resolved = WandbResumeSource().resolve(reference, download_dir=tmp_path / "dl")  # store from the environment

    alias = reference.rsplit(":", 1)[1]
    meta = store.fetch(ArtifactRef("local", "reflow-test", f"checkpoint-{run_id}", alias)).metadata
    assert resolved.run_id == run_id
    assert resolved.path.suffix == ".ckpt" and resolved.path.is_relative_to(tmp_path / "dl")
    assert hashlib.sha256(resolved.path.read_bytes()).hexdigest() == meta["sha256"]
    if version:
        assert f"checkpoint-{run_id}:{version}" in resolved.description
    checkpoint = torch.load(resolved.path, weights_only=True, map_location="cpu")
    assert (checkpoint["epoch"], checkpoint["global_step"]) == (meta["epoch"], meta["global_step"])
    if epoch is not None:
        assert checkpoint["epoch"] == epoch
    # The config comes from the checkpoint itself, with the run it belongs to.
    assert extract_embedded_config(resolved.path) == {
        "trainer": {"max_epochs": 2},
        "model": {"class_path": "ValLossModel"},
    }
    assert read_metadata(resolved.path).wandb_run_id == run_id


@pytest.mark.parametrize(
    "reference",
    ["run-1:latest", "proj/run-1:latest", "ent/proj/run-1", "ent/proj/:latest", "a/b/c/d:latest", "ent/proj/run 1:x"],
)
def test_partial_or_malformed_names_are_refused_with_the_expected_form(reference: str, tmp_path: Path) -> None:
    with pytest.raises(ArtifactReferenceError, match=r"Expected entity/project/name:alias"):
        WandbResumeSource(FileArtifactStore(tmp_path)).resolve(reference, download_dir=tmp_path)


def test_missing_artifact(tmp_path: Path) -> None:
    with pytest.raises(
        ArtifactResolveError, match=r"No artifact version ent/proj/abc123:latest was found.*checkpoint-abc123"
    ):
        WandbResumeSource(FileArtifactStore(tmp_path)).resolve("ent/proj/abc123:latest", download_dir=tmp_path)


def test_artifact_without_a_checkpoint(tmp_path: Path) -> None:
    store = FileArtifactStore(tmp_path / "store")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a checkpoint")
    store.publish("ent", "proj", "checkpoint-abc", {"notes.txt": notes}, aliases=[], metadata={})
    with pytest.raises(ArtifactResolveError, match=r"holds no checkpoint \(notes.txt\)"):
        WandbResumeSource(store).resolve("ent/proj/abc:latest", download_dir=tmp_path / "dl")


@pytest.mark.parametrize("compressed", [True, False])
def test_digest_mismatch_is_refused_and_the_file_removed(tmp_path: Path, compressed: bool) -> None:
    store = FileArtifactStore(tmp_path / "store")
    payload = tmp_path / "payload"
    data = b"pretend checkpoint bytes"
    payload.write_bytes(gzip.compress(data) if compressed else data)
    name = "model.ckpt.gz" if compressed else "model.ckpt"
    wrong = hashlib.sha256(b"something else").hexdigest()
    store.publish("ent", "proj", "checkpoint-abc", {name: payload}, aliases=[], metadata={"sha256": wrong})
    with pytest.raises(ArtifactResolveError, match=r"does not match its recorded digest"):
        WandbResumeSource(store).resolve("ent/proj/abc:latest", download_dir=tmp_path / "dl")
    assert not list((tmp_path / "dl").rglob("*.ckpt"))


def test_corrupt_gzip_is_refused(tmp_path: Path) -> None:
    store = FileArtifactStore(tmp_path / "store")
    payload = tmp_path / "payload"
    payload.write_bytes(gzip.compress(b"x" * 1000)[:20])
    store.publish("ent", "proj", "checkpoint-abc", {"model.ckpt.gz": payload}, aliases=[], metadata={})
    with pytest.raises(ArtifactResolveError, match=r"not a valid gzip stream"):
        WandbResumeSource(store).resolve("ent/proj/abc:latest", download_dir=tmp_path / "dl")


@pytest.fixture
def no_wandb_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(tmp_path / "wandb-config"))
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("REFLOW_ARTIFACT_STORE", raising=False)


def test_no_api_key(no_wandb_login: None, tmp_path: Path) -> None:
    with pytest.raises(ArtifactResolveError, match=r"No W&B API key is configured. Run `wandb login`"):
        WandbResumeSource().resolve("ent/proj/abc:latest", download_dir=tmp_path)


def test_bad_api_key(no_wandb_login: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_API_KEY", "0" * 40)
    with pytest.raises(ArtifactResolveError, match=r"W&B did not accept the API key .*wandb login --relogin"):
        WandbResumeSource(WandbApiStore(timeout=3)).resolve("ent/proj/abc:latest", download_dir=tmp_path)


def test_bad_store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFLOW_ARTIFACT_STORE", "s3://bucket")
    with pytest.raises(ArtifactResolveError, match=r"REFLOW_ARTIFACT_STORE='s3://bucket' is not supported"):
        WandbResumeSource().resolve("ent/proj/abc:latest", download_dir=tmp_path)
