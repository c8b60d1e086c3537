"""Finding the resume source for a checkpoint reference, by scheme, through entry points.

Sources are registered in the entry-point group ``lightning_reflow.resume_sources`` under the
scheme users type (``file``, ``s3``, ``wandb``); the entry point names a class (instantiated with no
arguments), a factory, or an object with ``scheme`` and ``resolve``. The CLI never imports the
packages that provide them, so ``reflow-cli`` works without ``wandb`` or ``s3fs``.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from lightning_reflow.cli.errors import ReflowUsageError
from lightning_reflow.utils.checkpoint import ResolvedCheckpoint, ResumeSource
from lightning_reflow.utils.checkpoint.resume_source import ENTRY_POINT_GROUP

log = logging.getLogger(__name__)

ARTIFACT_SCHEME = "wandb"
# Where a source's distribution lives, for the "install it" message when the scheme is missing.
_PROVIDERS = {
    "wandb": "pip install reflow-wandb",
    "s3": "pip install 'reflow-cli[s3]'",
    "file": "pip install reflow-cli",
}
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://")


@dataclass(frozen=True)
class CheckpointReference:
    """What the user pointed at: a scheme and the reference exactly as typed."""

    scheme: str
    reference: str

    @classmethod
    def from_path(cls, value: str) -> CheckpointReference:
        """``--checkpoint-path``: ``scheme://...`` picks that scheme, anything else is a local file."""
        match = _SCHEME.match(value)
        return cls(match["scheme"].lower() if match else "file", value)

    @classmethod
    def from_artifact(cls, value: str) -> CheckpointReference:
        """``--checkpoint-artifact``: a W&B artifact, unless another scheme is written out."""
        match = _SCHEME.match(value)
        return cls(match["scheme"].lower() if match else ARTIFACT_SCHEME, value)


def installed_schemes() -> dict[str, EntryPoint]:
    """The registered resume sources, by scheme."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def load_source(scheme: str) -> ResumeSource:
    """Return the resume source registered for ``scheme``.

    Raises:
        ReflowUsageError: no source is registered for the scheme, or it cannot be loaded.
    """
    found = installed_schemes()
    entry = found.get(scheme)
    if entry is None:
        known = ", ".join(sorted(found)) or "none"
        hint = _PROVIDERS.get(scheme)
        if hint:
            raise ReflowUsageError(
                f"Resuming from a {scheme!r} reference needs a package that is not installed: {hint}"
            )
        raise ReflowUsageError(
            f"Unknown checkpoint scheme {scheme!r}: it is misspelled or its package is not installed. "
            f"Installed schemes: {known}."
        )
    try:
        loaded: Any = entry.load()
    except Exception as err:  # a broken plug-in must name itself, not crash with a traceback
        log.debug("resume source %r failed to load", scheme, exc_info=True)
        hint = _PROVIDERS.get(scheme, f"reinstall the package that provides {entry.value}")
        raise ReflowUsageError(
            f"The resume source for {scheme!r} ({entry.value}) failed to load: {err}. Fix or reinstall it: {hint}"
        ) from err
    source = loaded() if isinstance(loaded, type) or not hasattr(loaded, "resolve") else loaded
    if not hasattr(source, "resolve"):
        raise ReflowUsageError(f"The resume source for {scheme!r} ({entry.value}) has no `resolve` method.")
    return source


def default_download_dir() -> Path:
    """Where remote checkpoints are downloaded: ``$REFLOW_CACHE_DIR/checkpoints``, else
    ``$XDG_CACHE_HOME/lightning_reflow/checkpoints`` (``~/.cache`` when unset)."""
    if os.environ.get("REFLOW_CACHE_DIR"):
        return Path(os.environ["REFLOW_CACHE_DIR"]) / "checkpoints"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "lightning_reflow" / "checkpoints"


def resolve_reference(ref: CheckpointReference, *, download_dir: Path | None = None) -> ResolvedCheckpoint:
    """Turn a reference into a local checkpoint file through its source.

    Raises:
        ReflowUsageError: unknown scheme, missing package, or a reference the source rejects.
    """
    source = load_source(ref.scheme)
    target = download_dir or default_download_dir()
    try:
        resolved = source.resolve(ref.reference, download_dir=target)
    except (ValueError, FileNotFoundError, PermissionError) as err:
        raise ReflowUsageError(str(err)) from err
    if not isinstance(resolved, ResolvedCheckpoint):
        resolved = ResolvedCheckpoint(path=Path(resolved))
    return resolved
