"""Finding the environment a run asks for, in a config dict or in a checkpoint, without building anything."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from lightning_reflow.callbacks.environment.apply_environment import check_merge_strategy, normalise_env_vars

_SUBCOMMANDS = ("fit", "validate", "test", "predict")


def env_vars_from_config(config: Mapping[str, Any] | Any) -> tuple[dict[str, str], str] | None:
    """Return the variables and merge strategy of the ``EnvironmentCallback`` entries in a config.

    Reads ``config["trainer"]["callbacks"]`` (a list, or a single entry) of a LightningCLI-style config
    (a dict, or a jsonargparse ``Namespace``; a config nested under a ``fit``/``validate``/... subcommand
    is looked into). An entry counts when its ``class_path`` ends with ``EnvironmentCallback``.
    Several entries are combined in order (a later entry wins a name); the strategy is that of the last
    entry. Nothing is instantiated, so the CLI can apply the result before building any class.

    Returns:
        ``(env_vars, merge_strategy)``, or ``None`` when the config has no ``EnvironmentCallback``.

    Raises:
        ValueError: an entry's ``env_vars`` or ``merge_strategy`` is malformed.
    """
    config = _as_dict(config)
    trainer = config.get("trainer")
    if not isinstance(trainer, Mapping):
        nested = [config[name] for name in _SUBCOMMANDS if isinstance(_as_dict(config.get(name)), Mapping)]
        trainer = _as_dict(nested[0]).get("trainer") if len(nested) == 1 else None
    if not isinstance(trainer, Mapping):
        return None
    callbacks = _as_dict(trainer).get("callbacks")
    if callbacks is None:
        return None
    if isinstance(callbacks, Mapping) or not isinstance(callbacks, (list, tuple)):
        callbacks = [callbacks]
    found = False
    env_vars: dict[str, str] = {}
    strategy = "override"
    for entry in callbacks:
        entry = _as_dict(entry)
        if not isinstance(entry, Mapping) or not str(entry.get("class_path", "")).endswith("EnvironmentCallback"):
            continue
        found = True
        init_args = _as_dict(entry.get("init_args")) or {}
        env_vars.update(normalise_env_vars(_as_dict(init_args.get("env_vars")), what="EnvironmentCallback env_vars"))
        strategy = check_merge_strategy(init_args.get("merge_strategy") or "override")
    return (env_vars, strategy) if found else None


def checkpoint_environment(checkpoint: Mapping[str, Any] | str | os.PathLike[str]) -> dict[str, str | None]:
    """Return the environment recorded in a checkpoint (a path or a loaded dict); ``{}`` if none.

    Reads ``checkpoint["lightning_reflow"]["environment"]``, falling back to the ``EnvironmentCallback``
    state. Secrets come back as ``None``. Pass the result to ``apply_environment(checkpoint_env=...)``;
    this is how a resume whose config has no ``EnvironmentCallback`` gets the recorded environment.

    Raises:
        lightning_reflow.utils.checkpoint.CheckpointError: the path is not a readable checkpoint.
    """
    if not isinstance(checkpoint, Mapping):
        from lightning_reflow.utils.checkpoint import load_checkpoint

        checkpoint = load_checkpoint(checkpoint)
    section = checkpoint.get("lightning_reflow")
    if isinstance(section, Mapping) and isinstance(section.get("environment"), Mapping):
        return dict(section["environment"])
    for key, state in (checkpoint.get("callbacks") or {}).items():
        if str(key).startswith("EnvironmentCallback") and isinstance(state, Mapping):
            return dict(state.get("environment") or {})
    return {}


def _as_dict(value: Any) -> Any:
    """jsonargparse ``Namespace`` objects become dicts; everything else is returned as is."""
    as_dict = getattr(value, "as_dict", None)
    return as_dict() if callable(as_dict) and not isinstance(value, Mapping) else value
