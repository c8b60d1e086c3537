"""LightningReflowCLI: LightningCLI plus ``resume``, the embedded config, environment and pause wiring."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from jsonargparse import Namespace
from lightning.pytorch import Callback, LightningDataModule, LightningModule, Trainer
from lightning.pytorch.cli import ArgsType, LightningArgumentParser, LightningCLI, SaveConfigCallback
from lightning.pytorch.utilities.exceptions import MisconfigurationException
from typing_extensions import override

from lightning_reflow.cli import _command
from lightning_reflow.cli._config import find_environment, remove_secret_values
from lightning_reflow.cli._parser import ReflowArgumentParser, check_config_files
from lightning_reflow.cli._trainer_callbacks import reflow_callbacks
from lightning_reflow.cli.errors import EXIT_USAGE, ReflowUsageError
from lightning_reflow.cli.resume_plan import RESUME, ResumePlan, prepare_resume, subcommand_index

_RESUME_ONLY = ("checkpoint_path", "checkpoint_artifact", "new_run")
_NOT_EMBEDDED = ("config", "ckpt_path", *_RESUME_ONLY)


def _import_path(obj: Any) -> str | None:
    if obj is None:
        return None
    return f"{obj.__module__}:{obj.__qualname__}"


class LightningReflowCLI(LightningCLI):
    """LightningCLI with a ``resume`` subcommand and checkpoints that carry their own config.

    Use it like LightningCLI (``LightningReflowCLI(model_class=MyModel, datamodule_class=MyData)``);
    on top of ``fit``/``validate``/``test``/``predict`` it adds ``resume --checkpoint-path PATH`` and
    ``resume --checkpoint-artifact REF``, embeds the fully resolved config in every checkpoint, applies
    EnvironmentCallback variables before any class is instantiated, and adds a PauseCallback and one
    progress bar when the config has none.

    Args:
        save_config_callback: as in LightningCLI; ``None`` by default because the config travels
            inside every checkpoint.
        resume_prefix: the command that starts this CLI, used in the printed resume command
            (default: worked out from ``sys.argv[0]``, e.g. ``python /abs/train.py``).
        catch_pause: keep a pause inside the CLI object (``self.pause_outcome``) instead of raising
            ``PauseExit`` (used by the Python API).
        raise_usage_errors: raise :class:`ReflowUsageError` instead of printing it and exiting with 2.
        *cli_args, **kwargs: everything else LightningCLI takes (``args``, ``trainer_defaults``, ...).
    """

    def __init__(
        self,
        model_class: type[LightningModule] | Callable[..., LightningModule] | None = None,
        datamodule_class: type[LightningDataModule] | Callable[..., LightningDataModule] | None = None,
        save_config_callback: type[SaveConfigCallback] | None = None,
        *cli_args: Any,
        resume_prefix: str | None = None,
        catch_pause: bool = False,
        raise_usage_errors: bool = False,
        resume_plan: ResumePlan | None = None,
        **kwargs: Any,
    ) -> None:
        argv: ArgsType = kwargs.pop("args", None)
        kwargs.setdefault("parser_class", ReflowArgumentParser)
        self.resume_prefix = resume_prefix or _command.program_command()
        self.catch_pause = catch_pause
        self.pause_outcome: Any = None
        self.embedded_config: str | None = None
        self._running = False
        _install_early_signal_handlers()
        try:
            raw = sys.argv[1:] if argv is None else argv
            self._wanted_subcommands = _wanted_subcommands(raw)
            if isinstance(raw, list):
                check_config_files(raw)
                if resume_plan is None:
                    resume_plan = prepare_resume(raw)
            self.resume_plan = resume_plan
            if resume_plan is not None:
                argv = resume_plan.args
            super().__init__(model_class, datamodule_class, save_config_callback, *cli_args, args=argv, **kwargs)
        except (ReflowUsageError, MisconfigurationException) as err:
            if raise_usage_errors or self._running:
                raise
            prog = (kwargs.get("parser_kwargs") or {}).get("prog") or Path(sys.argv[0] if sys.argv else "").name
            print(f"{prog or 'reflow'}: error: {err}", file=sys.stderr)
            raise SystemExit(EXIT_USAGE) from None

    @override
    def parse_arguments(self, parser: LightningArgumentParser, args: ArgsType) -> None:
        # LightningCLI warns when `args` and `sys.argv` are both set; `reflow` and the Python API pass
        # `args` on purpose, so parse without that warning.
        if isinstance(args, (dict, Namespace)):
            self.config = parser.parse_object(args)
        else:
            self.config = parser.parse_args(args)

    @staticmethod
    @override
    def subcommands() -> dict[str, set[str]]:
        commands = LightningCLI.subcommands()
        return {**commands, RESUME: {*commands["fit"], "ckpt_path"}}

    @override
    def _add_subcommands(self, parser: LightningArgumentParser, **kwargs: Any) -> None:
        self._subcommand_parsers: dict[str, LightningArgumentParser] = {}
        subcommands = parser.add_subcommands()
        for subcommand in self.subcommands():
            method = "fit" if subcommand == RESUME else subcommand
            if subcommand == RESUME:
                description = "Resume a run from a checkpoint with its embedded config (arguments given here win)."
            else:
                description = (getattr(Trainer, method).__doc__ or "").strip().splitlines()[0]
            sub_kwargs = dict(kwargs.get(subcommand, {}))
            sub_kwargs.setdefault("description", description)
            sub_parser = self.init_parser(**sub_kwargs)
            wanted = getattr(self, "_wanted_subcommands", None)
            if wanted is not None and subcommand not in wanted:
                # Building a subcommand's parser introspects every class signature (most of the start-up
                # time); a command line runs one subcommand, so the others only need a name and a help line.
                subcommands.add_subcommand(subcommand, sub_parser, help=description)
                continue
            self._add_arguments(sub_parser)
            skip: set[str | int] = set(self.subcommands()[subcommand])
            added = sub_parser.add_method_arguments(self.trainer_class, method, skip=skip)
            self._subcommand_method_arguments[subcommand] = added
            if subcommand == RESUME:
                _add_resume_arguments(sub_parser)
            self._subcommand_parsers[subcommand] = sub_parser
            subcommands.add_subcommand(subcommand, sub_parser, help=description)

    @override
    def before_instantiate_classes(self) -> None:
        subcommand = self.subcommand or ""
        config = self.config.get(subcommand, self.config)
        plain = config.clone()
        for key in _NOT_EMBEDDED:
            if key in plain:
                del plain[key]
        as_dict = yaml.safe_load(self._parser(self.subcommand).dump(plain, skip_none=False, skip_validation=True))
        environment = find_environment(as_dict)
        checkpoint_env = self.resume_plan.checkpoint_env if self.resume_plan else _fit_checkpoint_env(config)
        if environment or checkpoint_env:
            from lightning_reflow.callbacks.environment.apply_environment import apply_environment

            env_vars, strategy = environment or ({}, "override")
            apply_environment(env_vars, checkpoint_env=checkpoint_env or None, merge_strategy=strategy)
        # A resume whose config has no EnvironmentCallback still carries the checkpoint's environment
        # into the checkpoints it writes.
        self.carry_environment = bool(checkpoint_env) and not environment
        self.redacted_env = remove_secret_values(as_dict)
        self.embedded_config = yaml.safe_dump(as_dict, sort_keys=False)

    @override
    def instantiate_classes(self) -> None:
        try:
            super().instantiate_classes()
        except ValueError as err:
            # Classes validate their arguments in __init__ with a ValueError that names the fix
            # (see STYLE.md): that is the user's input, reported as a usage error.
            raise ReflowUsageError(_cause(err)) from err

    @override
    def _instantiate_trainer(self, config: dict[str, Any], callbacks: list[Callback]) -> Trainer:
        defaults = self.trainer_defaults.get("callbacks")
        present = [*callbacks, *(defaults if isinstance(defaults, list) else [defaults] if defaults else [])]
        added = reflow_callbacks(
            config,
            present,
            config_yaml=self.embedded_config,
            cli_info=self._cli_info(),
            resume_template=_command.resume_template(self.resume_prefix),
            carry_environment=getattr(self, "carry_environment", False),
        )
        return super()._instantiate_trainer(config, [*callbacks, *added])

    def _cli_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "subcommand": self.subcommand,
            "cli_class": _import_path(type(self)),
            "model_class": _import_path(self.model_class),
            "datamodule_class": _import_path(self.datamodule_class),
            "subclass_mode_model": bool(self.subclass_mode_model),
            "subclass_mode_data": bool(self.subclass_mode_data),
            "resume_command": _command.resume_template(self.resume_prefix),
        }
        if self.redacted_env:
            info["secret_env_names"] = sorted(self.redacted_env)
        if self.resume_plan is not None:
            info["resumed_from"] = self.resume_plan.resolved.description or str(self.resume_plan.checkpoint_path)
        return info

    @override
    def _run_subcommand(self, subcommand: str) -> None:
        self._running = True
        try:
            if subcommand != RESUME:
                super()._run_subcommand(subcommand)
                return
            if self.resume_plan is None:
                raise ReflowUsageError("`resume` needs its arguments as a list: resume --checkpoint-path PATH ...")
            before = getattr(self, "before_fit", None)
            if callable(before):
                before()
            kwargs = self._prepare_subcommand_kwargs(RESUME)
            kwargs["ckpt_path"] = str(self.resume_plan.checkpoint_path)
            getattr(self, "fit", self.trainer.fit)(**kwargs)
            after = getattr(self, "after_fit", None)
            if callable(after):
                after()
        except SystemExit as exit_:
            from lightning_reflow.callbacks import PauseExit

            if self.catch_pause and isinstance(exit_, PauseExit):
                self.pause_outcome = exit_.outcome
                return
            raise


def _wanted_subcommands(args: Any) -> set[str] | None:
    """The subcommands whose full parsers a command line needs; ``None`` for all of them."""
    if not isinstance(args, list):
        return None
    tokens = [str(a) for a in args]
    index = subcommand_index(tokens)
    if index is not None:
        return {tokens[index]}
    return set() if any(t in ("-h", "--help") for t in tokens) else None


def _install_early_signal_handlers() -> None:
    # A pause signal that arrives while the config is parsed and the classes are built is kept.
    from lightning_reflow.cli._early_signals import install_early_signal_handlers

    install_early_signal_handlers()


def _fit_checkpoint_env(config: Namespace) -> dict[str, str | None]:
    """The environment recorded in ``fit --ckpt_path``'s checkpoint, so it applies as on ``resume``."""
    ckpt_path = config.get("ckpt_path") if isinstance(config, Namespace) else None
    if not ckpt_path or str(ckpt_path) in ("last", "best", "hpc") or "://" in str(ckpt_path):
        return {}
    if not Path(str(ckpt_path)).is_file():
        raise ReflowUsageError(f"--ckpt_path {ckpt_path}: no such checkpoint file (resolved from {Path.cwd()}).")
    from lightning_reflow.utils.checkpoint import CheckpointError, read_metadata

    try:
        metadata = read_metadata(str(ckpt_path))
    except CheckpointError as err:
        raise ReflowUsageError(str(err)) from err
    return dict(metadata.environment) if metadata else {}


def _cause(err: ValueError) -> str:
    """The first real reason in a jsonargparse union error, or the error's own message."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    reasons = [line[2:] for line in lines if line.startswith("- ") and "Expected a <class 'NoneType'>" not in line]
    return reasons[0] if reasons else (lines[0] if lines else type(err).__name__)


def _add_resume_arguments(parser: LightningArgumentParser) -> None:
    parser.add_argument(
        "--checkpoint-path",
        type=str | None,
        default=None,
        help="Checkpoint to resume: a local path, or a URL whose scheme picks a source (s3://bucket/key.ckpt).",
    )
    parser.add_argument(
        "--checkpoint-artifact",
        type=str | None,
        default=None,
        help="W&B artifact to resume, ENTITY/PROJECT/NAME:ALIAS (needs reflow-wandb).",
    )
    parser.add_argument(
        "--new-run",
        action="store_true",
        help="Start a new W&B run instead of continuing the run the checkpoint belongs to.",
    )
