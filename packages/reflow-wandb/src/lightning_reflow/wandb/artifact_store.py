"""The small interface between reflow and wherever artifacts live (W&B, or a folder in tests).

Semantics are W&B's: an artifact ``entity/project/name`` has versions ``v0..vN`` in the order they
were published; an alias names exactly one version of an artifact and moves when a new version
takes it; ``vN`` always names version N. Two implementations: :class:`~.api_store.WandbApiStore`
over ``wandb.Api()``, and :class:`~.file_store.FileArtifactStore`, a folder with the same semantics,
selected with ``REFLOW_ARTIFACT_STORE=file:///path``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from lightning_reflow.wandb.artifact_ref import ArtifactRef

STORE_ENV = "REFLOW_ARTIFACT_STORE"
ARTIFACT_TYPE = "model"


def artifact_name_for_run(run_id: str) -> str:
    """The name of the one checkpoint artifact that a run publishes."""
    return f"checkpoint-{run_id}"


class ArtifactStoreError(RuntimeError):
    """The store cannot be reached or used (no credentials, bad credentials, I/O failure)."""


class ArtifactNotFoundError(LookupError):
    """No artifact version matches the reference."""


@dataclass(frozen=True)
class ArtifactVersion:
    """One version of an artifact, as a store reports it.

    Attributes:
        ref: the reference it was fetched with.
        version: its version, ``"v0"``, ``"v1"``, ...
        aliases: aliases that name this version right now (without ``vN``).
        metadata: the metadata published with it.
        files: the names of its files.
        handle: the backend's own object (a ``wandb.Artifact``, a folder), for :meth:`ArtifactStore.download`.
    """

    ref: ArtifactRef
    version: str
    aliases: tuple[str, ...]
    metadata: dict[str, Any]
    files: tuple[str, ...]
    handle: Any = field(default=None, compare=False, repr=False)

    @property
    def qualified_name(self) -> str:
        """``entity/project/name:vN``."""
        return f"{self.ref.project_path}/{self.ref.name}:{self.version}"


@runtime_checkable
class ArtifactStore(Protocol):
    """Fetches artifact versions and their files."""

    def fetch(self, ref: ArtifactRef) -> ArtifactVersion:
        """Return the version that ``ref`` names.

        Raises:
            ArtifactNotFoundError: no such artifact, or no version with that alias.
            ArtifactStoreError: the store cannot be used (credentials, network).
        """
        ...

    def download(self, version: ArtifactVersion, file: str, target_dir: Path) -> Path:
        """Download one file of ``version`` into ``target_dir`` and return its local path."""
        ...


@runtime_checkable
class ArtifactPublisher(Protocol):
    """Publishes a new version of an artifact (the upload side)."""

    def publish(
        self,
        name: str,
        files: Mapping[str, Path],
        *,
        aliases: Sequence[str],
        metadata: Mapping[str, Any],
    ) -> str:
        """Publish ``files`` (artifact name -> local file) as a new version; return a description.

        The local files may be deleted once this returns.
        """
        ...


def store_from_env() -> ArtifactStore:
    """The store to download from: ``REFLOW_ARTIFACT_STORE=file:///path`` or, when unset, W&B.

    Raises:
        ArtifactStoreError: the variable holds something other than a ``file://`` URL, or W&B
            cannot be used (no key, bad key, unreachable host).
    """
    location = os.environ.get(STORE_ENV, "").strip()
    if location:
        from lightning_reflow.wandb.file_store import FileArtifactStore

        return FileArtifactStore.from_url(location)
    from lightning_reflow.wandb.api_store import WandbApiStore

    return WandbApiStore()


def file_store_root_from_env() -> Path | None:
    """The folder of ``REFLOW_ARTIFACT_STORE`` when it names a file store, else ``None``."""
    location = os.environ.get(STORE_ENV, "").strip()
    if not location:
        return None
    from lightning_reflow.wandb.file_store import FileArtifactStore

    return FileArtifactStore.from_url(location).root
