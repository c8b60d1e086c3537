"""The ``reflow`` command (also ``python -m lightning_reflow.cli``).

Exit statuses: 0 finished, 75 paused with a checkpoint (``EXIT_PAUSED``), 1 failed, 2 usage error.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from lightning_reflow.cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, ReflowUsageError

EXIT_PAUSED = 75  # same value as lightning_reflow.callbacks.EXIT_PAUSED, without importing Lightning here


def _install_early_signal_handlers() -> None:
    from lightning_reflow.cli._early_signals import install_early_signal_handlers

    install_early_signal_handlers()


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _cli_for(plan: Any) -> tuple[type, dict[str, Any]]:
    """The CLI class and arguments that wrote the checkpoint, so ``reflow resume`` rebuilds the same CLI."""
    from lightning_reflow.cli.lightning_cli import LightningReflowCLI

    info = plan.cli_info if plan is not None else {}
    recorded = info.get("cli_class")
    wanted = {k: info.get(k) for k in ("cli_class", "model_class", "datamodule_class")}
    default = f"{LightningReflowCLI.__module__}:{LightningReflowCLI.__qualname__}"
    if recorded in (None, default) and not (wanted["model_class"] or wanted["datamodule_class"]):
        return LightningReflowCLI, {}
    unimportable = [v for v in wanted.values() if v and v.startswith("__main__:")]
    command = info.get("resume_command")
    if unimportable:
        hint = (
            f" with the script that trained it: {command.format(checkpoint=plan.reference.reference)}"
            if command
            else ""
        )
        raise ReflowUsageError(
            f"This checkpoint was written by a training script's own classes ({', '.join(unimportable)}), which "
            f"`reflow` cannot import. Resume it{hint}"
        )
    try:
        cli_class = _load(recorded) if recorded else LightningReflowCLI
        kwargs = {
            "model_class": _load(wanted["model_class"]) if wanted["model_class"] else None,
            "datamodule_class": _load(wanted["datamodule_class"]) if wanted["datamodule_class"] else None,
            "subclass_mode_model": bool(info.get("subclass_mode_model")),
            "subclass_mode_data": bool(info.get("subclass_mode_data")),
        }
    except (ImportError, AttributeError) as err:
        raise ReflowUsageError(
            f"The CLI that wrote this checkpoint cannot be imported here ({err}); install the project that "
            "defines it, or pass --config with the model and data classes."
        ) from err
    if not isinstance(cli_class, type) or not issubclass(cli_class, LightningReflowCLI):
        cli_class = LightningReflowCLI
    return cli_class, kwargs


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``reflow`` command with ``argv`` (default ``sys.argv[1:]``) and return its exit status."""
    _install_early_signal_handlers()
    try:
        return _run(list(sys.argv[1:] if argv is None else argv))
    finally:
        # The run is over: a late pause signal (a launcher repeating it) must not kill the process
        # during interpreter teardown, which resets handled signals to their default action.
        from lightning_reflow.callbacks.pause import ignore_pause_signals

        ignore_pause_signals()


def _run(args: list[str]) -> int:
    try:
        from lightning_reflow.cli import _command
        from lightning_reflow.cli.resume_plan import prepare_resume

        plan = prepare_resume(args)
        cli_class, kwargs = _cli_for(plan)
        cli_class(
            args=args,
            resume_plan=plan,
            resume_prefix=_command.reflow_command(),
            parser_kwargs={"prog": "reflow"},
            **kwargs,
        )
    except ReflowUsageError as err:
        print(f"reflow: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exit_:
        status = _status(exit_)
        if status == EXIT_PAUSED:
            _close_process_group()
        return status
    except KeyboardInterrupt:
        return 130
    except Exception:
        traceback.print_exc()
        return EXIT_FAILED
    _close_process_group()
    return EXIT_OK


def _close_process_group() -> None:
    # Every rank finished or paused at the same step, so no collective is pending: close the group
    # explicitly. A process that exits with it still open can die in the backend's threads at
    # interpreter shutdown ("terminate called without an active exception", seen once in ten 2-node
    # runs), failing a good run. No barrier: a peer that crashed must not make this rank wait.
    torch = sys.modules.get("torch")
    if torch is None:
        return
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        try:
            dist.destroy_process_group()
        except Exception as err:  # a broken group must not turn a finished run into a failure
            print(f"reflow: warning: could not close the process group cleanly: {err}", file=sys.stderr)


def _status(exit_: SystemExit) -> int:
    code = exit_.code
    if type(exit_).__name__ == "SIGTERMException":  # Lightning's own SIGTERM path; not "finished"
        return EXIT_FAILED
    if code is None:
        return EXIT_OK
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
