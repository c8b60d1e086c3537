"""The command a user pastes to resume: built from how this process was started."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path


def _same_file(a: str | None, b: str) -> bool:
    try:
        return a is not None and os.path.samefile(a, b)
    except OSError:
        return False


def python_command() -> str:
    """``python`` when that is this interpreter on ``PATH``, else the interpreter's absolute path."""
    return "python" if _same_file(shutil.which("python"), sys.executable) else shlex.quote(sys.executable)


def reflow_command() -> str:
    """``reflow`` when it is on ``PATH`` next to this interpreter, else ``python -m lightning_reflow.cli``."""
    found = shutil.which("reflow")
    sibling = Path(sys.executable).with_name("reflow")
    if found and (_same_file(found, str(sibling)) or not sibling.exists()):
        return "reflow"
    if sibling.exists():
        return shlex.quote(str(sibling))
    return f"{python_command()} -m lightning_reflow.cli"


def program_command(argv0: str | None = None) -> str:
    """How this process was started, as a command prefix (before the subcommand).

    ``reflow`` for the console script, ``python -m lightning_reflow.cli`` for the module, and
    ``python /abs/train.py`` for a user's own script built on LightningReflowCLI.
    """
    arg = argv0 if argv0 is not None else (sys.argv[0] if sys.argv else "")
    name = Path(arg).name
    if name == "reflow":
        return reflow_command()
    if arg in ("", "-c", "-m") or Path(arg).parts[-3:] == ("lightning_reflow", "cli", "__main__.py"):
        return reflow_command()
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if argv0 is None and spec is not None and spec.name not in ("__main__", ""):
        # started as `python -m package.train`: keep it a module run so its relative imports work
        module = spec.name[: -len(".__main__")] if spec.name.endswith(".__main__") else spec.name
        return f"{python_command()} -m {module}"
    return f"{python_command()} {shlex.quote(os.path.abspath(arg))}"


def resume_template(prefix: str) -> str:
    """The resume command with the ``{checkpoint}`` placeholder PauseCallback fills in."""
    return f"{prefix} resume --checkpoint-path {{checkpoint}}"
