"""The callbacks the CLI adds to every Trainer: config embedding, a pause callback, one progress bar."""

from __future__ import annotations

import logging
from typing import Any

from lightning.pytorch import Callback
from lightning.pytorch.callbacks import ProgressBar

log = logging.getLogger(__name__)


def _flatten(value: Any) -> list[Callback]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def reflow_callbacks(
    trainer_config: dict[str, Any],
    extra: list[Callback],
    *,
    config_yaml: str | None,
    cli_info: dict[str, Any],
    resume_template: str,
    carry_environment: bool = False,
) -> list[Callback]:
    """Return the callbacks to add, and set ``enable_progress_bar`` in ``trainer_config`` so one bar shows.

    Args:
        trainer_config: the instantiated trainer arguments (changed in place for the progress bar).
        extra: callbacks the trainer will get besides ``trainer_config["callbacks"]``.
        config_yaml: the fully resolved config to embed in every checkpoint.
        cli_info: what a resume needs to rebuild the same CLI (stored as ``extra["cli"]``).
        resume_template: the resume command with a ``{checkpoint}`` placeholder.
        carry_environment: add an ``EnvironmentCallback()`` when there is none, so that an
            environment applied from the checkpoint is recorded again in the new checkpoints.
    """
    from lightning_reflow.callbacks import ConfigEmbeddingCallback, EnvironmentCallback, PauseCallback

    present = [*_flatten(trainer_config.get("callbacks")), *extra]
    added: list[Callback] = [ConfigEmbeddingCallback(config=config_yaml, extra={"cli": cli_info})]
    pauses = [c for c in present if isinstance(c, PauseCallback)]
    if not pauses:
        pauses = [PauseCallback()]
        added.extend(pauses)
    if carry_environment and not any(isinstance(c, EnvironmentCallback) for c in present):
        added.append(EnvironmentCallback())
    for pause in pauses:
        if getattr(pause, "resume_command", None) is None:
            pause.resume_command = resume_template
    added.extend(_progress_bar(trainer_config, present))
    return added


def _flow_bar_class() -> type | None:
    try:
        from lightning_reflow.callbacks import FlowProgressBarCallback
    except (ImportError, AttributeError):  # not in this reflow-callbacks yet: Lightning's own bar stays
        return None
    return FlowProgressBarCallback


def _progress_bar(trainer_config: dict[str, Any], present: list[Callback]) -> list[Callback]:
    flow_class = _flow_bar_class()
    bars = [c for c in present if isinstance(c, ProgressBar) or (flow_class and isinstance(c, flow_class))]
    if trainer_config.get("enable_progress_bar") is False and not bars:
        return []  # the user asked for no bar at all
    added: list[Callback] = []
    if not bars and flow_class is not None:
        bars = added = [flow_class()]
    if bars and not any(isinstance(c, ProgressBar) for c in bars):
        # a bar that is not a Lightning ProgressBar: turn Lightning's own off so only one shows
        trainer_config["enable_progress_bar"] = False
    elif bars:
        trainer_config["enable_progress_bar"] = True
    return added
