"""Turning ``resume --checkpoint-path REF [--config ...] [overrides]`` into a run of ``fit``.

The checkpoint is resolved through its source, its embedded config becomes the lowest layer of the
parsed config (inserted right after ``resume`` as ``--config <yaml>``), then come the source's own
overrides, then whatever the user typed: later arguments win, as everywhere in LightningCLI.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lightning_reflow.cli._config import continue_wandb_run
from lightning_reflow.cli.errors import ReflowUsageError
from lightning_reflow.cli.resume_sources import CheckpointReference, resolve_reference
from lightning_reflow.utils.checkpoint import CheckpointError, ReflowMetadata, ResolvedCheckpoint, read_metadata

RESUME = "resume"
_VALUE_OPTIONS = {
    "--checkpoint-path": "path",
    "--checkpoint-artifact": "artifact",
    "-c": "config",
    "--config": "config",
}


@dataclass
class ResumePlan:
    """Everything ``resume`` decided before parsing.

    Attributes:
        reference: what the user pointed at.
        resolved: the local checkpoint and what its source reported.
        metadata: the checkpoint's reflow section (``None`` for a checkpoint reflow did not write).
        args: the rewritten arguments for the CLI parser.
        new_run: start a new experiment-tracker run instead of continuing the checkpoint's run.
        run_id: the run being continued, if any.
    """

    reference: CheckpointReference
    resolved: ResolvedCheckpoint
    metadata: ReflowMetadata | None
    args: list[str]
    new_run: bool = False
    run_id: str | None = None
    cli_info: dict[str, Any] = field(default_factory=dict)

    @property
    def checkpoint_path(self) -> Path:
        return self.resolved.path

    @property
    def checkpoint_env(self) -> dict[str, str | None]:
        return dict(self.metadata.environment) if self.metadata else {}


def subcommand_index(args: Sequence[str]) -> int | None:
    """Index of the subcommand in ``args`` (the first word that is not an option or an option's value)."""
    skip = False
    for index, token in enumerate(args):
        if skip:
            skip = False
            continue
        if token in ("-c", "--config"):
            skip = True
            continue
        if not token.startswith("-"):
            return index
    return None


def is_resume(args: Sequence[str]) -> bool:
    index = subcommand_index(args)
    return index is not None and args[index] == RESUME


def _scan(args: Sequence[str]) -> dict[str, Any]:
    found: dict[str, Any] = {"path": None, "artifact": None, "config": False, "new_run": False, "help": False}
    tokens = list(args)
    for index, token in enumerate(tokens):
        name, eq, value = token.partition("=")
        if name in _VALUE_OPTIONS:
            key = _VALUE_OPTIONS[name]
            if not eq:
                value = tokens[index + 1] if index + 1 < len(tokens) else ""
            found[key] = True if key == "config" else value
        elif token == "--new-run":
            found["new_run"] = True
        elif token in ("-h", "--help") or token.startswith("--print_config") or token.startswith("--help="):
            found["help"] = True
    return found


def prepare_resume(args: Sequence[str], *, download_dir: Path | None = None) -> ResumePlan | None:
    """Resolve the checkpoint of a ``resume`` command line and rewrite the arguments.

    Returns:
        ``None`` when ``args`` is not a ``resume`` command, or only asks for help.

    Raises:
        ReflowUsageError: no or two references, an unresolvable reference, an unreadable checkpoint, or a
            checkpoint without an embedded config and no ``--config``.
    """
    index = subcommand_index(args)
    if index is None or args[index] != RESUME:
        return None
    tail = list(args[index + 1 :])
    found = _scan(tail)
    if found["help"] and not (found["path"] or found["artifact"]):
        return None
    if bool(found["path"]) == bool(found["artifact"]):
        raise ReflowUsageError(
            "`resume` needs exactly one of --checkpoint-path PATH (a local file or s3://...) or "
            "--checkpoint-artifact ENTITY/PROJECT/NAME:ALIAS."
        )
    if found["path"]:
        reference = CheckpointReference.from_path(found["path"])
    else:
        reference = CheckpointReference.from_artifact(found["artifact"])
    resolved = resolve_reference(reference, download_dir=download_dir)
    try:
        metadata = read_metadata(resolved.path)
    except CheckpointError as err:
        raise ReflowUsageError(str(err)) from err
    embedded = _embedded_config(metadata, resolved)
    if embedded is None and not found["config"]:
        raise ReflowUsageError(
            f"The checkpoint {resolved.path} has no embedded config (it was not written by reflow), so "
            "--config is required: reflow resume --checkpoint-path ... --config config.yaml"
        )
    run_id = (metadata.wandb_run_id if metadata else None) or resolved.run_id
    layers: list[str] = []
    if embedded is not None:
        continue_wandb_run(embedded, None if found["new_run"] else run_id, new_run=found["new_run"])
        layers += ["--config", yaml.safe_dump(embedded, sort_keys=False)]
    for key, value in resolved.config_overrides.items():
        layers.append(f"--{key}={value if isinstance(value, str) else json.dumps(value)}")
    return ResumePlan(
        reference=reference,
        resolved=resolved,
        metadata=metadata,
        args=[*args[: index + 1], *layers, *tail],
        new_run=found["new_run"],
        run_id=None if found["new_run"] else run_id,
        cli_info=dict((metadata.extra.get("cli") if metadata else None) or {}),
    )


def _embedded_config(metadata: ReflowMetadata | None, resolved: ResolvedCheckpoint) -> dict[str, Any] | None:
    if metadata is None or metadata.config is None:
        return None
    try:
        config = yaml.safe_load(metadata.config)
    except yaml.YAMLError as err:
        raise ReflowUsageError(
            f"The config embedded in {resolved.path} is not valid YAML ({err}); pass --config config.yaml."
        ) from err
    if not isinstance(config, dict):
        raise ReflowUsageError(f"The config embedded in {resolved.path} is not a mapping; pass --config config.yaml.")
    return config
