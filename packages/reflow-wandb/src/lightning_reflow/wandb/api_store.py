"""The W&B service behind the artifact interfaces: ``wandb.Api()`` to fetch, a run to publish."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lightning_reflow.wandb.artifact_ref import ArtifactRef
from lightning_reflow.wandb.artifact_store import (
    ARTIFACT_TYPE,
    ArtifactNotFoundError,
    ArtifactStoreError,
    ArtifactVersion,
)

_LOGIN_HINT = "Run `wandb login` or set WANDB_API_KEY (and WANDB_BASE_URL for a private server)."


class WandbApiStore:
    """Fetches artifact versions from W&B through ``wandb.Api()``.

    Args:
        api: an existing ``wandb.Api``; by default one is created on first use.
        timeout: seconds for each API request.
    """

    def __init__(self, api: Any = None, *, timeout: int = 30) -> None:
        self._api = api
        self._timeout = timeout

    @property
    def api(self) -> Any:
        """The ``wandb.Api``, created on first use.

        Raises:
            ArtifactStoreError: no API key, a rejected key, or an unreachable host.
        """
        if self._api is None:
            import wandb
            from wandb.errors import AuthenticationError, CommError, UsageError

            try:
                self._api = wandb.Api(timeout=self._timeout)
            except UsageError as err:
                raise ArtifactStoreError(f"No W&B API key is configured. {_LOGIN_HINT}") from err
            except AuthenticationError as err:
                raise ArtifactStoreError(
                    f"W&B did not accept the API key ({_first_line(err)}). Check the key with `wandb login --relogin` "
                    "and the host in WANDB_BASE_URL."
                ) from err
            except CommError as err:
                raise ArtifactStoreError(f"W&B cannot be reached ({_first_line(err)}). {_LOGIN_HINT}") from err
        return self._api

    def fetch(self, ref: ArtifactRef) -> ArtifactVersion:
        """Return the version ``ref`` names."""
        from wandb.errors import AuthenticationError, CommError

        api = self.api
        try:
            artifact = api.artifact(str(ref))
        except AuthenticationError as err:
            raise ArtifactStoreError(f"W&B refused access to {ref} ({_first_line(err)}). {_LOGIN_HINT}") from err
        except CommError as err:
            if _is_not_found(err):
                raise ArtifactNotFoundError(f"W&B has no artifact {ref}") from err
            raise ArtifactStoreError(f"W&B could not look up {ref}: {_first_line(err)}") from err
        except ValueError as err:
            raise ArtifactNotFoundError(f"W&B has no artifact {ref} ({_first_line(err)})") from err
        return ArtifactVersion(
            ref=ref,
            version=artifact.version,
            aliases=tuple(alias for alias in artifact.aliases if not _is_version(alias)),
            metadata=dict(artifact.metadata or {}),
            files=tuple(sorted(artifact.manifest.entries)),
            handle=artifact,
        )

    def download(self, version: ArtifactVersion, file: str, target_dir: Path) -> Path:
        """Download one file of ``version`` into ``target_dir``."""
        target_dir.mkdir(parents=True, exist_ok=True)
        try:
            entry = version.handle.get_entry(file)
        except KeyError as err:
            raise ArtifactNotFoundError(f"{version.qualified_name} has no file {file!r}") from err
        return Path(entry.download(root=str(target_dir)))


class WandbRunPublisher:
    """Publishes artifact versions through a live ``wandb`` run (online, or recorded offline).

    Args:
        run: the ``wandb`` run (``WandbLogger.experiment``).
    """

    def __init__(self, run: Any) -> None:
        self.run = run

    def publish(
        self,
        name: str,
        files: Mapping[str, Path],
        *,
        aliases: Sequence[str],
        metadata: Mapping[str, Any],
    ) -> str:
        """Log a new version (W&B adds ``latest``); online, block until W&B has committed it."""
        import wandb

        artifact = wandb.Artifact(name, type=ARTIFACT_TYPE, metadata=dict(metadata))
        for file_name, local in files.items():
            # The default (mutable) policy copies the file into W&B's staging area, so the caller's
            # spool file can be removed as soon as this returns.
            artifact.add_file(str(local), name=file_name)
        logged = self.run.log_artifact(artifact, aliases=list(dict.fromkeys(aliases)))
        if not _is_offline(self.run):
            logged.wait()  # offline, wait() raises: the version is recorded for `wandb sync`
        return f"{name} ({', '.join(dict.fromkeys([*aliases, 'latest']))})"


def _is_offline(run: Any) -> bool:
    offline = getattr(run, "offline", None)
    if isinstance(offline, bool):
        return offline
    return str(getattr(getattr(run, "settings", None), "mode", "")) in ("offline", "dryrun", "disabled")


def _is_not_found(err: BaseException) -> bool:
    cause = getattr(err, "exc", None) or err.__cause__
    text = str(err).lower()
    return isinstance(cause, ValueError) or "not found" in text or "does not exist" in text


def _is_version(alias: str) -> bool:
    return alias.startswith("v") and alias[1:].isdigit()


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__
