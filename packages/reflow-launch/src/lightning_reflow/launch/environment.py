"""The container's environment: ``-e``, ``--env-file``, the config's EnvironmentCallback, and secrets by name."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lightning_reflow.launch.errors import LaunchError, MissingSecret

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MASK = "***"


@dataclass(frozen=True)
class EnvSpec:
    """Plain variables (written in plans and run records) and secret names (values never written).

    Precedence, lowest first: the config's ``EnvironmentCallback`` variables, ``--env-file``, ``-e``.
    A name given with ``--secret`` is never a plain variable.
    """

    variables: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        config_env: Mapping[str, str] | None = None,
        env_files: Iterable[str | Path] = (),
        assignments: Iterable[str] = (),
        secrets: Iterable[str] = (),
    ) -> EnvSpec:
        """Merge the sources; raise :class:`LaunchError` for malformed input."""
        merged: dict[str, str] = {k: str(v) for k, v in (config_env or {}).items()}
        for path in env_files:
            merged.update(read_env_file(path))
        for item in assignments:
            key, sep, value = item.partition("=")
            if not sep or not _NAME.match(key):
                raise LaunchError(
                    f"-e {item!r}: expected KEY=VALUE. To pass a value from your environment without writing it "
                    f"anywhere, use --secret {key or 'NAME'}."
                )
            merged[key] = value
        names: list[str] = []
        for name in secrets:
            if not _NAME.match(name):
                raise LaunchError(f"--secret {name!r}: give the variable's name only (e.g. --secret WANDB_API_KEY).")
            if name not in names:
                names.append(name)
            merged.pop(name, None)
        return cls(merged, tuple(names))

    def secret_values(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """Read the secrets from the caller's environment (at run time only).

        Raises:
            MissingSecret: naming every missing variable.
        """
        environ = os.environ if environ is None else environ
        missing = [name for name in self.secrets if name not in environ]
        if missing:
            names = ", ".join(missing)
            raise MissingSecret(
                f"--secret {names}: not set in your environment. Export it first (export {missing[0]}=...); the value "
                "is handed to the container when it starts and never written to the image, the run record, "
                "the logs or a plan."
            )
        return {name: environ[name] for name in self.secrets}


def read_env_file(path: str | Path) -> dict[str, str]:
    """Read a Docker-style env file: ``KEY=VALUE`` lines, ``#`` comments, blank lines."""
    file = Path(path)
    if not file.is_file():
        raise LaunchError(f"--env-file {path}: no such file.")
    result: dict[str, str] = {}
    for number, line in enumerate(file.read_text().splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("export "):
            text = text[len("export ") :].strip()
        key, sep, value = text.partition("=")
        if not sep or not _NAME.match(key.strip()):
            raise LaunchError(f"--env-file {path}, line {number}: expected KEY=VALUE, got {line!r}.")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        result[key.strip()] = value
    return result


def config_environment(config: Mapping[str, Any] | None) -> dict[str, str]:
    """The variables of every ``EnvironmentCallback`` in the config's ``trainer.callbacks``."""
    if not isinstance(config, Mapping):
        return {}
    trainer = config.get("trainer") or {}
    callbacks = trainer.get("callbacks") if isinstance(trainer, Mapping) else None
    if isinstance(callbacks, Mapping):
        callbacks = [callbacks]
    result: dict[str, str] = {}
    for entry in callbacks or []:
        if not isinstance(entry, Mapping):
            continue
        if not str(entry.get("class_path", "")).endswith("EnvironmentCallback"):
            continue
        init_args = entry.get("init_args") or {}
        env_vars = init_args.get("env_vars") if isinstance(init_args, Mapping) else None
        if isinstance(env_vars, Mapping):
            result.update({str(k): str(v) for k, v in env_vars.items()})
    return result
