"""Applying environment variables with reflow's precedence: config > checkpoint > existing environment.

This module imports neither torch nor Lightning, so the CLI (or a launcher) can call
:func:`apply_environment` before anything that could read the variables is imported or initialised.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from lightning_reflow.callbacks.environment._merge import merge_settings, parse_settings
from lightning_reflow.utils.config.secrets import is_secret

log = logging.getLogger("lightning_reflow.environment")

MERGE_STRATEGIES = ("override", "merge")

# Value of each variable before reflow first changed it in this process (None: it was unset).
_ORIGINAL: dict[str, str | None] = {}
# Checkpoint values seen for each variable, so a later call with the config alone keeps that layer.
_CHECKPOINT_SEEN: dict[str, str | None] = {}
# Messages already reported, so a conflict seen by the CLI and again by the callback is reported once.
_REPORTED: set[str] = set()


def normalise_env_vars(env_vars: Mapping[str, Any] | None, *, what: str = "env_vars") -> dict[str, str]:
    """Check names and turn values into strings (YAML ``false`` becomes ``"false"``, ``128`` ``"128"``).

    Raises:
        ValueError: a name is empty or holds ``=`` or NUL, or a value is ``None``/not a scalar.
    """
    if env_vars is None:
        return {}
    if not isinstance(env_vars, Mapping):
        raise ValueError(
            f"{what} must be a mapping of variable names to values, e.g. "
            f"{{'PYTORCH_CUDA_ALLOC_CONF': 'max_split_size_mb:128'}}; got {type(env_vars).__name__}."
        )
    result: dict[str, str] = {}
    for name, value in env_vars.items():
        if not isinstance(name, str) or not name or "=" in name or "\0" in name:
            raise ValueError(f"{what}: {name!r} is not a valid environment variable name (non-empty, no '=').")
        if isinstance(value, bool):
            result[name] = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            result[name] = str(value)
        else:
            raise ValueError(
                f"{what}[{name!r}] must be a string or number, got {value!r}. Quote it in YAML, or remove the entry "
                "to leave the variable as it is."
            )
        if "\0" in result[name]:
            raise ValueError(f"{what}[{name!r}] contains a NUL character, which no environment variable can hold.")
    return result


def check_merge_strategy(merge_strategy: str) -> str:
    """Return ``merge_strategy`` if valid, else raise a ``ValueError`` naming the choices."""
    if merge_strategy not in MERGE_STRATEGIES:
        raise ValueError(
            f"`EnvironmentCallback(merge_strategy={merge_strategy!r})` is not supported; "
            f"choose one of {', '.join(repr(s) for s in MERGE_STRATEGIES)}."
        )
    return merge_strategy


def apply_environment(
    config_env: Mapping[str, Any] | None,
    *,
    checkpoint_env: Mapping[str, str | None] | None = None,
    merge_strategy: str = "override",
) -> dict[str, str]:
    """Set variables in ``os.environ`` now, with precedence config > checkpoint > existing environment.

    Args:
        config_env: variables from the command line and config (highest precedence).
        checkpoint_env: variables recorded in the checkpoint being resumed; a ``None`` value is a secret
            recorded without its value: it is never invented, and a warning names it if it is unset now.
        merge_strategy: ``"override"`` (the higher-precedence value replaces the lower one whole) or
            ``"merge"`` (``key:value`` lists such as ``PYTORCH_CUDA_ALLOC_CONF`` are joined key by key,
            the higher-precedence value winning each key; other values are replaced whole).

    Returns:
        The variables this call set, with the values they now have.

    Differing values between the layers are logged once per process as a warning (secret values are
    shown as ``***``). The first value of every variable changed is remembered for
    :func:`restore_environment`.
    """
    check_merge_strategy(merge_strategy)
    config = normalise_env_vars(config_env)
    _CHECKPOINT_SEEN.update(checkpoint_env or {})
    checkpoint = {name: _CHECKPOINT_SEEN[name] for name in config if name in _CHECKPOINT_SEEN}
    checkpoint.update(checkpoint_env or {})
    applied: dict[str, str] = {}
    for name in [*config, *(n for n in checkpoint if n not in config)]:
        current = os.environ.get(name)
        # Compute from the environment as it was before reflow touched it, so repeated calls (the CLI
        # before instantiation, then the callback) give the same value and report nothing new.
        existing = _ORIGINAL.get(name, current)
        layers = [("the existing environment", existing), ("the checkpoint", checkpoint.get(name))]
        layers.append(("the config", config.get(name)))
        present = [(source, value) for source, value in layers if value is not None]
        if name not in config and checkpoint.get(name) is None:
            if current is None:
                _report(
                    f"{name} was set when the checkpoint was written, but it is a secret, so its value was not "
                    f"stored, and it is not set now. Export {name} before resuming if the run needs it."
                )
            continue
        source, target = present[0]
        key_sources = dict.fromkeys(_keys(target), source)  # under "merge": the layer each key came from
        for higher_source, higher in present[1:]:
            if merge_strategy == "merge":
                target, conflicts = merge_settings(target, higher)
            else:
                conflicts = [] if target == higher else [("", target, higher)]
                target = higher
            for key, old, new in conflicts:
                _report_conflict(name, key, key_sources.get(key, source), old, higher_source, new)
            key_sources.update(dict.fromkeys(_keys(higher), higher_source))
            source = higher_source
        if current != target:
            _ORIGINAL.setdefault(name, current)
            os.environ[name] = target
        applied[name] = target
    return applied


def restore_environment(names: list[str] | None = None) -> None:
    """Put back the values that variables had before reflow first changed them (all of them by default)."""
    if names is None:
        names = list(_ORIGINAL)
        _CHECKPOINT_SEEN.clear()
    for name in names:
        _CHECKPOINT_SEEN.pop(name, None)
        if name not in _ORIGINAL:
            continue
        original = _ORIGINAL.pop(name)
        if original is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = original


def _keys(value: str) -> list[str]:
    return [key for key, _, _ in parse_settings(value) or []]


def _report_conflict(name: str, key: str, low_source: str, low: str, high_source: str, high: str) -> None:
    secret = is_secret(name, low) or is_secret(name, high)
    shown_low, shown_high = ("***", "***") if secret else (repr(low), repr(high))
    where = f"{name} (setting {key!r})" if key else name
    _report(f"{where}: {high_source} sets {shown_high}, which overrides {shown_low} from {low_source}.")


def _report(message: str) -> None:
    if message in _REPORTED or not _is_rank_zero():
        return
    _REPORTED.add(message)
    log.warning(message)


def _is_rank_zero() -> bool:
    rank_zero = sys.modules.get("lightning.fabric.utilities.rank_zero")
    rank = getattr(getattr(rank_zero, "rank_zero_only", None), "rank", None)
    if rank is None:
        for variable in ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK"):
            if os.environ.get(variable, "").isdigit():
                rank = int(os.environ[variable])
                break
    return not rank
