"""The reflow section embedded in every checkpoint that reflow writes.

Layout of ``checkpoint["lightning_reflow"]`` (format 1); only plain types, so that
``torch.load(weights_only=True)`` reads it::

    {
        "format": 1,
        "config": "<YAML of the fully resolved config>" | None,
        "environment": {"NAME": "value", "HF_TOKEN": None, ...},  # None: a secret, stored without value
        "wandb_run_id": "abc123" | None,
        "versions": {"reflow-callbacks": "0.1.0", "lightning": "2.6.6", "torch": "2.13.0", "python": "3.11.7"},
        "pause": {"reason": "signal", "global_step": 12, "epoch": 1, "exact": True, ...},  # pause checkpoints only
        "cli": {...},  # written by reflow-cli: how the run was started (subcommand, CLI class)
    }
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from typing import Any

REFLOW_KEY = "lightning_reflow"
FORMAT_VERSION = 1

_DISTRIBUTIONS = ("reflow-callbacks", "reflow-cli", "reflow-wandb", "lightning", "torch")


@dataclass(frozen=True)
class ReflowMetadata:
    """The reflow section of a checkpoint, read back.

    Attributes:
        format: the format version of the section.
        config: the fully resolved config as a YAML string, or ``None`` (trainer built in Python).
        environment: the variables that were applied; a secret's value is ``None``.
        wandb_run_id: the W&B run the checkpoint belongs to, if any.
        versions: distribution versions of the producing process.
        pause: details of the pause that wrote the checkpoint, if it was a pause.
        extra: every other key of the section (e.g. ``"cli"``).
    """

    format: int = FORMAT_VERSION
    config: str | None = None
    environment: dict[str, str | None] = field(default_factory=dict)
    wandb_run_id: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    pause: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> ReflowMetadata:
        known = {"format", "config", "environment", "wandb_run_id", "versions", "pause"}
        return cls(
            format=int(section.get("format", FORMAT_VERSION)),
            config=section.get("config"),
            environment=dict(section.get("environment") or {}),
            wandb_run_id=section.get("wandb_run_id"),
            versions=dict(section.get("versions") or {}),
            pause=section.get("pause"),
            extra={k: v for k, v in section.items() if k not in known},
        )


_VERSIONS: dict[str, str] | None = None


def reflow_versions() -> dict[str, str]:
    """Versions of the reflow distributions, Lightning, torch and Python in this process."""
    global _VERSIONS
    if _VERSIONS is None:
        found: dict[str, str] = {}
        for dist in _DISTRIBUTIONS:
            try:
                found[dist] = importlib_metadata.version(dist)
            except importlib_metadata.PackageNotFoundError:
                continue
        found["python"] = platform.python_version()
        _VERSIONS = found
    return dict(_VERSIONS)


def reflow_section(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """Return the reflow section of ``checkpoint``, creating it (with versions) if missing.

    Every reflow callback that adds metadata goes through this, so the section exists once, whoever
    writes first.
    """
    section = checkpoint.get(REFLOW_KEY)
    if not isinstance(section, dict):
        section = {"format": FORMAT_VERSION, "versions": reflow_versions()}
        checkpoint[REFLOW_KEY] = section
    return section


def fill_run_metadata(trainer: Any, checkpoint: dict[str, Any]) -> dict[str, Any]:
    """Add what every reflow checkpoint carries about its run: versions and the W&B run id.

    The run id is read from a ``WandbLogger``'s ``version`` by class name, so this package never
    imports wandb.
    """
    section = reflow_section(checkpoint)
    if section.get("wandb_run_id") is None:
        for logger in getattr(trainer, "loggers", None) or []:
            if type(logger).__name__ == "WandbLogger":
                run_id = getattr(logger, "version", None)
                if run_id:
                    section["wandb_run_id"] = str(run_id)
                break
    return section
