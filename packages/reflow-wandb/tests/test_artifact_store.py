"""One contract for artifact stores: the folder store always, the real W&B service with WANDB_API_KEY.

W&B's semantics: versions v0..vN in publish order, an alias names one version and moves, `latest`
is always the newest version, `vN` names version N, a missing artifact or alias is not found.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lightning_reflow.wandb import (
    ArtifactNotFoundError,
    ArtifactRef,
    ArtifactStore,
    ArtifactStoreError,
    FileArtifactStore,
    WandbApiStore,
    WandbRunPublisher,
)

Publish = Callable[[str, dict[str, Path], list[str], dict], None]


class Backend:
    """A store plus a way to publish into one project of it."""

    def __init__(self, store: ArtifactStore, entity: str, project: str, publish: Publish) -> None:
        self.store, self.entity, self.project, self.publish = store, entity, project, publish

    def ref(self, name: str, alias: str) -> ArtifactRef:
        return ArtifactRef(self.entity, self.project, name, alias)


@pytest.fixture(params=["file", "wandb"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "file":
        store = FileArtifactStore(tmp_path / "store")
        publisher = store.publisher("team", "proj")
        yield Backend(store, "team", "proj", lambda n, f, a, m: publisher.publish(n, f, aliases=a, metadata=m))
        return
    if not os.environ.get("WANDB_API_KEY"):
        pytest.skip("the real W&B service needs WANDB_API_KEY (and network); the folder store ran the same contract")
    import wandb

    project = os.environ.get("WANDB_PROJECT", "reflow-contract")
    api = wandb.Api()
    entity = os.environ.get("WANDB_ENTITY") or api.default_entity

    def publish(name: str, files: dict[str, Path], aliases: list[str], metadata: dict) -> None:
        run = wandb.init(entity=entity, project=project, mode="online", job_type="reflow-contract")
        try:
            WandbRunPublisher(run).publish(name, files, aliases=aliases, metadata=metadata)
        finally:
            run.finish()

    yield Backend(WandbApiStore(api), entity, project, publish)


def _file(tmp_path: Path, text: str) -> dict[str, Path]:
    path = tmp_path / f"{uuid.uuid4().hex}.ckpt"
    path.write_text(text)
    return {"model.ckpt": path}


def test_versions_and_moving_aliases(backend: Backend, tmp_path: Path) -> None:
    name = f"contract-{uuid.uuid4().hex[:8]}"
    backend.publish(name, _file(tmp_path, "zero"), ["epoch-0", "best"], {"step": 0})
    backend.publish(name, _file(tmp_path, "one"), ["epoch-1"], {"step": 1})

    latest = backend.store.fetch(backend.ref(name, "latest"))
    assert latest.version == "v1" and latest.metadata["step"] == 1
    assert set(latest.aliases) == {"epoch-1", "latest"}
    first = backend.store.fetch(backend.ref(name, "v0"))
    assert first.version == "v0" and set(first.aliases) == {"epoch-0", "best"}  # `latest` moved away
    assert backend.store.fetch(backend.ref(name, "best")).version == "v0"
    assert latest.files == ("model.ckpt",)

    backend.publish(name, _file(tmp_path, "two"), ["best"], {"step": 2})
    assert backend.store.fetch(backend.ref(name, "best")).version == "v2"  # the alias moved
    assert "best" not in backend.store.fetch(backend.ref(name, "v0")).aliases

    local = backend.store.download(backend.store.fetch(backend.ref(name, "epoch-1")), "model.ckpt", tmp_path / "dl")
    assert local.read_text() == "one"


@pytest.mark.parametrize("alias", ["v7", "no-such-alias"])
def test_missing_alias_or_version_is_not_found(backend: Backend, tmp_path: Path, alias: str) -> None:
    name = f"contract-{uuid.uuid4().hex[:8]}"
    backend.publish(name, _file(tmp_path, "zero"), [], {})
    with pytest.raises(ArtifactNotFoundError):
        backend.store.fetch(backend.ref(name, alias))


def test_missing_artifact_is_not_found(backend: Backend) -> None:
    with pytest.raises(ArtifactNotFoundError):
        backend.store.fetch(backend.ref(f"never-published-{uuid.uuid4().hex[:8]}", "latest"))


@pytest.mark.parametrize("url", ["s3://bucket/x", "file://relative", "/just/a/path"])
def test_folder_store_url_must_be_file_url(url: str) -> None:
    with pytest.raises(ArtifactStoreError, match="file:///absolute/path"):
        FileArtifactStore.from_url(url)
