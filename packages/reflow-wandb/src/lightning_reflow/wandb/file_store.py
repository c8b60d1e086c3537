"""A folder that behaves like a W&B artifact registry: versions v0..vN, aliases that move.

Layout: ``ROOT/<entity>/<project>/<name>/index.json`` lists the versions (metadata, files) and the
aliases; ``ROOT/<entity>/<project>/<name>/vN/<file>`` holds the files. Publishing holds an
exclusive lock on the artifact and replaces ``index.json`` atomically, so readers never see a
half-published version.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lightning_reflow.utils.files import atomic_write_text
from lightning_reflow.wandb.artifact_ref import ArtifactRef
from lightning_reflow.wandb.artifact_store import ArtifactNotFoundError, ArtifactStoreError, ArtifactVersion

_INDEX = "index.json"


class FileArtifactStore:
    """Artifacts in a folder, with W&B's naming, versioning and alias semantics.

    Args:
        root: the folder; created on first publish.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().absolute()

    @classmethod
    def from_url(cls, url: str) -> FileArtifactStore:
        """Build from ``file:///path``.

        Raises:
            ArtifactStoreError: the URL is not a ``file://`` URL with an absolute path.
        """
        parsed = urlparse(url)
        if parsed.scheme != "file" or not parsed.path.startswith("/"):
            raise ArtifactStoreError(
                f"REFLOW_ARTIFACT_STORE={url!r} is not supported: use `file:///absolute/path` for a folder store, "
                "or unset it to use W&B."
            )
        return cls(unquote(parsed.path))

    def fetch(self, ref: ArtifactRef) -> ArtifactVersion:
        """Return the version ``ref`` names (an alias or ``vN``)."""
        folder = self._folder(ref.entity, ref.project, ref.name)
        index = self._read_index(folder)
        if index is None:
            raise ArtifactNotFoundError(f"artifact {ref.project_path}/{ref.name} does not exist in {self.root}")
        version = (
            ref.alias if ref.alias in {v["version"] for v in index["versions"]} else index["aliases"].get(ref.alias)
        )
        if version is None:
            raise ArtifactNotFoundError(f"artifact {ref.project_path}/{ref.name} has no version or alias {ref.alias!r}")
        entry = next(v for v in index["versions"] if v["version"] == version)
        aliases = tuple(sorted(alias for alias, target in index["aliases"].items() if target == version))
        return ArtifactVersion(
            ref=ref,
            version=version,
            aliases=aliases,
            metadata=dict(entry["metadata"]),
            files=tuple(entry["files"]),
            handle=folder / version,
        )

    def download(self, version: ArtifactVersion, file: str, target_dir: Path) -> Path:
        """Copy one file of ``version`` into ``target_dir``."""
        if file not in version.files:
            raise ArtifactNotFoundError(f"{version.qualified_name} has no file {file!r}")
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / Path(file).name
        shutil.copyfile(Path(version.handle) / file, target)
        return target

    def publisher(self, entity: str, project: str) -> FilePublisher:
        """A publisher of new versions into ``entity/project``."""
        return FilePublisher(self, entity, project)

    def publish(
        self,
        entity: str,
        project: str,
        name: str,
        files: Mapping[str, Path],
        *,
        aliases: Sequence[str],
        metadata: Mapping[str, Any],
    ) -> ArtifactVersion:
        """Add a version holding copies of ``files``; the aliases and ``latest`` move to it."""
        folder = self._folder(entity, project, name)
        folder.mkdir(parents=True, exist_ok=True)
        with self._locked(folder):
            index = self._read_index(folder) or {"versions": [], "aliases": {}}
            version = f"v{len(index['versions'])}"
            staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=folder))
            for file_name, local in files.items():
                shutil.copyfile(local, staging / file_name)
            os.replace(staging, folder / version)
            index["versions"].append(
                {"version": version, "metadata": json.loads(json.dumps(dict(metadata))), "files": sorted(files)}
            )
            for alias in dict.fromkeys([*aliases, "latest"]):  # like W&B: `latest` is the newest version
                index["aliases"][alias] = version
            self._write_index(folder, index)
        return self.fetch(ArtifactRef(entity, project, name, version))

    def _folder(self, entity: str, project: str, name: str) -> Path:
        return self.root / entity / project / name

    @staticmethod
    def _read_index(folder: Path) -> dict[str, Any] | None:
        try:
            return json.loads((folder / _INDEX).read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:
            raise ArtifactStoreError(f"the artifact index {folder / _INDEX} is unreadable: {err}") from err

    @staticmethod
    def _write_index(folder: Path, index: dict[str, Any]) -> None:
        atomic_write_text(folder / _INDEX, json.dumps(index, indent=1, sort_keys=True))

    @staticmethod
    @contextmanager
    def _locked(folder: Path) -> Iterator[None]:
        with open(folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


class FilePublisher:
    """Publishes versions into one ``entity/project`` of a :class:`FileArtifactStore`."""

    def __init__(self, store: FileArtifactStore, entity: str, project: str) -> None:
        self.store = store
        self.entity = entity
        self.project = project

    def publish(
        self,
        name: str,
        files: Mapping[str, Path],
        *,
        aliases: Sequence[str],
        metadata: Mapping[str, Any],
    ) -> str:
        """Publish a new version and return ``entity/project/name:vN``."""
        version = self.store.publish(self.entity, self.project, name, files, aliases=aliases, metadata=metadata)
        return version.qualified_name
