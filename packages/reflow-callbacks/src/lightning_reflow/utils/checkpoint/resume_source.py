"""The interface of a resume source: something that turns a reference into a local checkpoint.

``reflow-cli`` finds sources through the entry-point group ``lightning_reflow.resume_sources``,
keyed by scheme (``file``, ``wandb``, ``s3``, ...), so it never imports the packages that provide
them. A source lives in the distribution that owns its dependencies (``reflow-wandb`` provides
``wandb``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

ENTRY_POINT_GROUP = "lightning_reflow.resume_sources"


@dataclass(frozen=True)
class ResolvedCheckpoint:
    """A checkpoint made available on the local filesystem.

    Attributes:
        path: the local checkpoint file.
        description: a human-readable origin, e.g. ``"wandb artifact ent/proj/run-1:latest (v3)"``.
        run_id: the experiment-tracker run the checkpoint belongs to, if the source knows it.
        config_overrides: dotted config keys the source wants set (lower precedence than the
            user's command-line overrides), e.g. ``{"trainer.logger.init_args.id": "abc"}``.
        extra: anything else the source wants to report.
    """

    path: Path
    description: str = ""
    run_id: str | None = None
    config_overrides: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class ResumeSource(Protocol):
    """Resolves references of one scheme to local checkpoint files.

    Errors the user can fix (a malformed reference, a missing artifact, no credentials) are raised
    as ``ValueError`` or ``FileNotFoundError`` with a message that names the problem and the fix.
    """

    scheme: str

    def resolve(self, reference: str, *, download_dir: Path) -> ResolvedCheckpoint: ...
