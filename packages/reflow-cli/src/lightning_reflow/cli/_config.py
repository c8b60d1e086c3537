"""Plain-dict edits of a parsed config: W&B run continuation and secret removal before embedding."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

_WANDB_LOGGER = "WandbLogger"
_ENVIRONMENT_CALLBACK = "EnvironmentCallback"


def _class_entries(value: Any, class_name: str) -> Iterator[dict[str, Any]]:
    entries = value if isinstance(value, list) else [value]
    for entry in entries:
        if isinstance(entry, dict) and str(entry.get("class_path", "")).rsplit(".", 1)[-1] == class_name:
            yield entry


def wandb_logger_entries(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``trainer.logger`` entries (single or list) whose class is a ``WandbLogger``."""
    trainer = config.get("trainer")
    return list(_class_entries(trainer.get("logger"), _WANDB_LOGGER)) if isinstance(trainer, dict) else []


def continue_wandb_run(config: dict[str, Any], run_id: str | None, *, new_run: bool = False) -> bool:
    """Point every WandbLogger of ``config`` at ``run_id`` (continue that run), or clear it for a new run.

    Nothing imports wandb: the logger is recognised by its ``class_path``. WandbLogger resumes with
    ``resume="allow"`` by default, so setting ``id`` is enough to log into the same run.

    Returns:
        Whether a logger was changed.
    """
    changed = False
    for entry in wandb_logger_entries(config):
        init_args = entry.get("init_args")
        if not isinstance(init_args, dict):
            init_args = entry["init_args"] = {}
        if new_run:
            init_args["id"] = None
            init_args["version"] = None
            changed = True
        elif run_id:
            init_args["id"] = run_id
            init_args["version"] = None  # WandbLogger uses `version or id`
            changed = True
    return changed


def environment_entries(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``trainer.callbacks`` entries whose class is an ``EnvironmentCallback``."""
    trainer = config.get("trainer")
    if not isinstance(trainer, dict):
        return []
    return list(_class_entries(trainer.get("callbacks"), _ENVIRONMENT_CALLBACK))


def remove_secret_values(config: dict[str, Any]) -> list[str]:
    """Drop secret variables (tokens, keys, passwords) from EnvironmentCallback entries, in place.

    A secret travels by name from the environment of whoever resumes, never inside a checkpoint.

    Returns:
        The names removed.
    """
    from lightning_reflow.utils.config.secrets import is_secret

    removed: list[str] = []
    for entry in environment_entries(config):
        env_vars = (entry.get("init_args") or {}).get("env_vars")
        if not isinstance(env_vars, dict):
            continue
        for name in [n for n, v in env_vars.items() if is_secret(str(n), str(v))]:
            del env_vars[name]
            removed.append(str(name))
    return removed


def find_environment(config: dict[str, Any]) -> tuple[dict[str, str], str] | None:
    """The variables and merge strategy of the config's EnvironmentCallback entries, if any.

    Raises:
        ReflowUsageError: an entry's ``env_vars`` or ``merge_strategy`` is malformed.
    """
    from lightning_reflow.callbacks.environment import env_vars_from_config
    from lightning_reflow.cli.errors import ReflowUsageError

    try:
        return env_vars_from_config(config)
    except ValueError as err:
        raise ReflowUsageError(str(err)) from err
