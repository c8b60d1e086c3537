"""Reading checkpoints safely, with one clear error per kind of bad input."""

from __future__ import annotations

import os
import pickle
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import yaml

from lightning_reflow.utils.checkpoint.metadata import REFLOW_KEY, ReflowMetadata


class CheckpointError(ValueError):
    """A checkpoint is missing, unreadable, unsafe to unpickle, or does not fit the model."""


def load_checkpoint(
    path: str | os.PathLike[str],
    *,
    map_location: Any = "cpu",
    trusted: bool = False,
) -> dict[str, Any]:
    """Load a checkpoint file into a dict, never unpickling arbitrary objects unless ``trusted``.

    Args:
        path: the checkpoint file.
        map_location: passed to :func:`torch.load`.
        trusted: load with ``weights_only=False`` (only for files you produced yourself).

    Raises:
        CheckpointError: the file is missing, is a directory, is truncated or corrupt, holds objects
            that cannot be loaded safely, or is not a dict.
    """
    file = Path(path)
    if not file.exists():
        raise CheckpointError(f"Checkpoint not found: {file}. Check the path (it is resolved from {Path.cwd()}).")
    if file.is_dir():
        raise CheckpointError(f"{file} is a directory, not a checkpoint file. Pass the path of a `.ckpt` file.")
    if file.stat().st_size == 0:
        raise CheckpointError(f"{file} is empty (0 bytes): the write that produced it did not finish.")
    mmap = zipfile.is_zipfile(file)
    try:
        checkpoint = torch.load(file, map_location=map_location, weights_only=not trusted, mmap=mmap)
    except pickle.UnpicklingError as err:
        text = str(err)
        if "Unsupported global" in text or "not an allowed global" in text:
            blocked = next((line.strip() for line in text.splitlines() if "global" in line), _first_line(err))
            raise CheckpointError(
                f"{file} holds Python objects that cannot be loaded safely ({blocked}). "
                "Load it with `trusted=True` only if you produced it yourself."
            ) from err
        raise CheckpointError(
            f"{file} is not a readable checkpoint (truncated or corrupt: {_weights_unpickler_reason(err)})."
        ) from err
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as err:
        raise CheckpointError(
            f"{file} is not a readable checkpoint (truncated or corrupt: {_first_line(err)}). "
            "Use an earlier checkpoint; reflow's own checkpoints are written atomically, so a partial "
            "file means it was copied or produced by another tool."
        ) from err
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f"{file} holds a {type(checkpoint).__name__}, not a Lightning checkpoint dict.")
    return checkpoint


def read_metadata(source: str | os.PathLike[str] | Mapping[str, Any]) -> ReflowMetadata | None:
    """Return the reflow section of a checkpoint (path or loaded dict), or ``None`` if it has none."""
    checkpoint = source if isinstance(source, Mapping) else load_checkpoint(source)
    section = checkpoint.get(REFLOW_KEY)
    if not isinstance(section, Mapping):
        return None
    return ReflowMetadata.from_section(dict(section))


def extract_embedded_config(source: str | os.PathLike[str] | Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the training config embedded in a checkpoint, as a dict, or ``None`` if there is none.

    Args:
        source: a checkpoint path, or a checkpoint already loaded with :func:`torch.load`.

    Raises:
        CheckpointError: the file cannot be read, or the embedded config is not valid YAML.
    """
    metadata = read_metadata(source)
    if metadata is None or metadata.config is None:
        return None
    try:
        config = yaml.safe_load(metadata.config)
    except yaml.YAMLError as err:
        raise CheckpointError(f"The embedded config is not valid YAML: {_first_line(err)}") from err
    if not isinstance(config, dict):
        raise CheckpointError(f"The embedded config is a {type(config).__name__}, expected a mapping.")
    return config


def check_model_compatible(checkpoint: Mapping[str, Any], model: torch.nn.Module, *, source: str = "") -> None:
    """Raise a clear error when ``checkpoint`` was not written for a model of ``model``'s shape.

    Raises:
        CheckpointError: parameters are missing, unexpected, or of another shape.
    """
    saved = checkpoint.get("state_dict")
    origin = f" {source}" if source else ""
    if not isinstance(saved, Mapping):
        raise CheckpointError(f"The checkpoint{origin} has no model `state_dict`; it is not a Lightning checkpoint.")
    expected = model.state_dict()
    missing = sorted(set(expected) - set(saved))
    unexpected = sorted(set(saved) - set(expected))
    reshaped = sorted(
        key
        for key in set(expected) & set(saved)
        if hasattr(saved[key], "shape") and tuple(saved[key].shape) != tuple(expected[key].shape)
    )
    if missing or unexpected or reshaped:
        details = []
        if missing:
            details.append(f"missing {_preview(missing)}")
        if unexpected:
            details.append(f"unexpected {_preview(unexpected)}")
        if reshaped:
            details.append(f"other shapes for {_preview(reshaped)}")
        raise CheckpointError(
            f"The checkpoint{origin} was written for another model ({'; '.join(details)}). "
            f"Resume it with the model class and arguments it was trained with ({type(model).__name__} does not fit)."
        )


def _weights_unpickler_reason(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    for index, line in enumerate(lines):
        if line.startswith("WeightsUnpickler error") and index + 1 < len(lines):
            return lines[index + 1]
    return _first_line(err)


def _preview(keys: list[str], limit: int = 3) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
