"""LightningReflow: ``fit`` and ``resume`` from Python, with the same semantics as the ``reflow`` command."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_ARTIFACT = re.compile(r"^[^/\s:.][^/\s:]*/[^/\s:]+/[^/\s:]+:[^/\s]+$")


@dataclass
class ReflowResult:
    """What a ``fit`` or ``resume`` call did.

    Attributes:
        status: ``"finished"`` or ``"paused"``.
        exit_code: what the ``reflow`` command would have exited with (0 or 75).
        checkpoint_path: the pause checkpoint, or the last checkpoint a ModelCheckpoint wrote, if any.
        resume_command: the command that continues a paused run.
        global_step: optimizer steps done.
        epoch: the current epoch when the run stopped.
        config: the fully resolved config (YAML) embedded in the run's checkpoints.
        trainer: the Trainer, for inspection (``trainer.callback_metrics``, ...).
        model: the LightningModule.
        datamodule: the LightningDataModule, if any.
        pause: the PauseOutcome of a pause, else ``None``.
    """

    status: str
    exit_code: int
    checkpoint_path: str | None
    resume_command: str | None
    global_step: int
    epoch: int
    config: str | None
    trainer: Any = None
    model: Any = None
    datamodule: Any = None
    pause: Any = None

    @property
    def paused(self) -> bool:
        return self.status == "paused"


class LightningReflow:
    """Train and resume from Python exactly like ``reflow fit`` and ``reflow resume``.

    Config files, YAML callbacks, environment, embedded config, pause and resume behave as on the
    command line; instead of exiting, each call returns a :class:`ReflowResult` (a pause is a result,
    not an exception) and bad input raises :class:`~lightning_reflow.cli.ReflowUsageError`.

    Args:
        model_class: as in LightningCLI; ``None`` lets the config choose (``model.class_path``).
        datamodule_class: as in LightningCLI; ``None`` lets the config choose (``data.class_path``).
        cli_class: a LightningReflowCLI subclass to run (your own settings and links).
        **cli_kwargs: further LightningReflowCLI arguments (``trainer_defaults``, ``subclass_mode_model``...).
    """

    def __init__(
        self,
        model_class: Any = None,
        datamodule_class: Any = None,
        *,
        cli_class: type | None = None,
        **cli_kwargs: Any,
    ) -> None:
        self.model_class = model_class
        self.datamodule_class = datamodule_class
        self.cli_class = cli_class
        self.cli_kwargs = cli_kwargs

    def fit(
        self,
        config: str | os.PathLike[str] | Mapping[str, Any] | Sequence[str | os.PathLike[str]] | None = None,
        *,
        overrides: Mapping[str, Any] | None = None,
        ckpt_path: str | os.PathLike[str] | None = None,
    ) -> ReflowResult:
        """Train, like ``reflow fit --config CONFIG``.

        Args:
            config: a config file, several (later ones win), or a config dict.
            overrides: nested config values that win over ``config``, e.g. ``{"trainer": {"max_epochs": 3}}``.
            ckpt_path: a Lightning checkpoint to start from, as ``fit --ckpt_path``.

        Raises:
            ReflowUsageError: a config that does not parse, an unknown key, a bad checkpoint path.
        """
        args = ["fit", *_config_args(config), *_config_args(overrides)]
        if ckpt_path is not None:
            args += ["--ckpt_path", os.fspath(ckpt_path)]
        return self._run(args)

    def resume(
        self,
        resume_source: str | os.PathLike[str],
        *,
        additional_config: Mapping[str, Any] | None = None,
        config: str | os.PathLike[str] | Mapping[str, Any] | Sequence[str | os.PathLike[str]] | None = None,
        new_run: bool = False,
    ) -> ReflowResult:
        """Continue a run from a checkpoint, like ``reflow resume``.

        Args:
            resume_source: a local checkpoint path, a URL whose scheme picks the source
                (``s3://bucket/x.ckpt``, ``wandb://entity/project/name:alias``), or a W&B artifact name
                ``entity/project/name:alias`` (when no such local file exists).
            additional_config: nested values that win over the embedded config, e.g.
                ``{"trainer": {"max_epochs": 200}}``.
            config: config file(s) or a dict, applied over the embedded config and under
                ``additional_config``; required when the checkpoint has no embedded config.
            new_run: start a new W&B run instead of continuing the checkpoint's run.

        Raises:
            ReflowUsageError: a bad reference, an unreadable checkpoint, no config, an unknown key.
        """
        reference = os.fspath(resume_source)
        if not _SCHEME.match(reference) and not Path(reference).exists() and _ARTIFACT.match(reference):
            args = ["resume", "--checkpoint-artifact", reference]
        else:
            args = ["resume", "--checkpoint-path", reference]
        if new_run:
            args.append("--new-run")
        args += [*_config_args(config), *_config_args(additional_config)]
        return self._run(args)

    def _run(self, args: list[str]) -> ReflowResult:
        from lightning_reflow.cli import _command
        from lightning_reflow.cli.errors import EXIT_USAGE, ReflowUsageError
        from lightning_reflow.cli.lightning_cli import LightningReflowCLI

        cli_class = self.cli_class or LightningReflowCLI
        kwargs = dict(self.cli_kwargs)
        parser_kwargs = dict(kwargs.pop("parser_kwargs", None) or {})
        parser_kwargs.setdefault("exit_on_error", False)
        try:
            cli = cli_class(
                self.model_class,
                self.datamodule_class,
                args=args,
                parser_kwargs=parser_kwargs,
                resume_prefix=kwargs.pop("resume_prefix", None) or _command.reflow_command(),
                catch_pause=True,
                raise_usage_errors=True,
                **kwargs,
            )
        except argparse.ArgumentError as err:
            raise ReflowUsageError(str(err)) from err
        except SystemExit as exit_:
            if exit_.code == EXIT_USAGE:  # a parser that exits in spite of exit_on_error=False
                raise ReflowUsageError(f"Invalid arguments {args[1:]!r}; see the message above.") from None
            raise
        return _result(cli)


def _config_args(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return ["--config", yaml.safe_dump(_plain(value), sort_keys=False)] if value else []
    if isinstance(value, (str, os.PathLike)):
        return ["--config", os.fspath(value)]
    return [arg for item in value for arg in _config_args(item)]


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def _result(cli: Any) -> ReflowResult:
    trainer = cli.trainer
    outcome = cli.pause_outcome
    if outcome is not None:
        checkpoint, command, status, code = outcome.checkpoint_path, outcome.resume_command, "paused", 75
    else:
        callback = getattr(trainer, "checkpoint_callback", None)
        checkpoint = (getattr(callback, "last_model_path", "") or getattr(callback, "best_model_path", "")) or None
        command, status, code = None, "finished", 0
    return ReflowResult(
        status=status,
        exit_code=code,
        checkpoint_path=checkpoint,
        resume_command=command,
        global_step=int(trainer.global_step),
        epoch=int(trainer.current_epoch),
        config=cli.embedded_config,
        trainer=trainer,
        model=cli.model,
        datamodule=cli.datamodule,
        pause=outcome,
    )
