"""The ``wandb`` resume source: ``entity/project/name:alias`` to a verified local checkpoint."""

from __future__ import annotations

import logging
from pathlib import Path

from lightning_reflow.utils.checkpoint import ResolvedCheckpoint
from lightning_reflow.wandb._compression import GZIP_SUFFIX, decompress_file, sha256_file
from lightning_reflow.wandb.artifact_ref import ArtifactRef
from lightning_reflow.wandb.artifact_store import (
    ArtifactNotFoundError,
    ArtifactStore,
    ArtifactStoreError,
    ArtifactVersion,
    artifact_name_for_run,
    store_from_env,
)

log = logging.getLogger("lightning_reflow.wandb")


class ArtifactResolveError(ValueError):
    """An artifact reference cannot be turned into a usable checkpoint; the message says how to fix it."""


class WandbResumeSource:
    """Resolves W&B artifact references to local checkpoint files (scheme ``wandb``).

    ``entity/project/NAME:ALIAS`` names an artifact (``checkpoint-<run id>`` for artifacts written by
    :class:`~lightning_reflow.wandb.WandbArtifactCheckpoint`); when ``NAME`` is a run id, the run's
    ``checkpoint-<run id>`` (or ``WandbLogger``'s ``model-<run id>``) artifact is used. The file is
    decompressed if needed and checked against the sha256 in the artifact's metadata before anyone
    unpickles it. The result carries the producing run id so the CLI can continue that W&B run.

    Args:
        store: where artifacts are fetched from; by default :func:`store_from_env` (W&B, or the
            folder named by ``REFLOW_ARTIFACT_STORE=file:///path``).
    """

    scheme = "wandb"

    def __init__(self, store: ArtifactStore | None = None) -> None:
        self._store = store

    def resolve(self, reference: str, *, download_dir: Path) -> ResolvedCheckpoint:
        """Download and verify the checkpoint ``reference`` names.

        Raises:
            ArtifactResolveError: a partial or malformed reference, no or bad credentials, a missing
                artifact or alias, an artifact without a checkpoint, or a digest mismatch.
        """
        ref = ArtifactRef.parse(reference)
        try:
            store = self._store or store_from_env()
            version = self._fetch(store, ref)
            file = _checkpoint_file(version)
            local = self._download(store, version, file, Path(download_dir))
        except ArtifactStoreError as err:
            raise ArtifactResolveError(f"Cannot resume from {ref}: {err}") from err
        run_id = version.metadata.get("run_id")
        return ResolvedCheckpoint(
            path=local,
            description=f"wandb artifact {version.qualified_name} ({', '.join(version.aliases) or 'no alias'})",
            run_id=run_id if isinstance(run_id, str) and run_id else None,
            extra={"artifact": version.qualified_name, "aliases": list(version.aliases), "metadata": version.metadata},
        )

    @staticmethod
    def _fetch(store: ArtifactStore, ref: ArtifactRef) -> ArtifactVersion:
        names = [ref.name]
        if not ref.name.startswith(("checkpoint-", "model-")):
            names += [artifact_name_for_run(ref.name), f"model-{ref.name}"]
        for name in names:
            try:
                return store.fetch(ref.with_name(name))
            except ArtifactNotFoundError:
                continue
        tried = ", ".join(f"`{n}`" for n in names)
        raise ArtifactResolveError(
            f"No artifact version {ref} was found (looked for the artifact names {tried} with alias or version "
            f"`{ref.alias}` in {ref.project_path}). Check the entity, project, run id and alias in the W&B UI "
            "(Artifacts tab of the run); reflow names its artifact `checkpoint-<run id>`."
        )

    @staticmethod
    def _download(store: ArtifactStore, version: ArtifactVersion, file: str, download_dir: Path) -> Path:
        target_dir = download_dir / f"{version.ref.name}-{version.version}"
        fetched = store.download(version, file, target_dir)
        if file.endswith(GZIP_SUFFIX):
            local = fetched.with_name(fetched.name[: -len(GZIP_SUFFIX)])
            try:
                digest = decompress_file(fetched, local)
            except (OSError, EOFError) as err:
                local.unlink(missing_ok=True)
                raise ArtifactResolveError(
                    f"{version.qualified_name}: {file} is not a valid gzip stream ({err}); the download is corrupt. "
                    "Retry, or resume from another version."
                ) from err
            fetched.unlink()
        else:
            local, digest = fetched, sha256_file(fetched)
        expected = version.metadata.get("sha256")
        if expected is None:
            log.warning("%s has no sha256 in its metadata; the download cannot be verified.", version.qualified_name)
        elif digest != expected:
            local.unlink(missing_ok=True)
            raise ArtifactResolveError(
                f"{version.qualified_name}: the downloaded checkpoint does not match its recorded digest "
                f"(sha256 {digest[:12]}..., metadata says {str(expected)[:12]}...). The file was corrupted or "
                "replaced; it was deleted. Retry, or resume from another version."
            )
        return local


def _checkpoint_file(version: ArtifactVersion) -> str:
    named = version.metadata.get("checkpoint_file")
    if isinstance(named, str) and named in version.files:
        return named
    candidates = [f for f in version.files if f.endswith((".ckpt", ".ckpt" + GZIP_SUFFIX))]
    if len(candidates) == 1:
        return candidates[0]
    listed = ", ".join(version.files) or "no files"
    problem = "several checkpoints" if candidates else "no checkpoint"
    raise ArtifactResolveError(
        f"{version.qualified_name} holds {problem} ({listed}); reflow needs exactly one `.ckpt` file. "
        "Pick a version written by WandbArtifactCheckpoint or WandbLogger(log_model=...)."
    )
