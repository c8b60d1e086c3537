"""The argument parser of reflow: LightningCLI's, with one-line usage errors instead of a page of usage."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import yaml
from lightning.pytorch.cli import LightningArgumentParser

from lightning_reflow.cli.errors import EXIT_USAGE, ReflowUsageError


class ReflowArgumentParser(LightningArgumentParser):
    """LightningArgumentParser whose errors are one message and the hint to run ``--help``."""

    def error(self, message: str, ex: Exception | None = None) -> NoReturn:  # type: ignore[override]
        if not self.exit_on_error:
            super().error(message, ex)
        parser = getattr(ex, "subcommand_parser", None) or self
        prog = parser.prog.replace(" [options]", "")
        sys.stderr.write(f"{prog}: error: {message.strip()}\nRun `{prog} --help` for the accepted options.\n")
        raise SystemExit(EXIT_USAGE)


def check_config_files(args: Sequence[Any]) -> None:
    """Fail early, naming the file, when a ``--config`` file is missing or is not valid YAML.

    Raises:
        ReflowUsageError: the file does not exist or does not parse.
    """
    tokens = [str(a) for a in args]
    for index, token in enumerate(tokens):
        name, eq, value = token.partition("=")
        if name not in ("-c", "--config"):
            continue
        if not eq:
            value = tokens[index + 1] if index + 1 < len(tokens) else ""
        if not value or "\n" in value or value.lstrip().startswith("{"):
            continue  # a config given inline, not a file
        path = Path(value)
        if not path.exists():
            if "://" in value:
                continue  # fsspec URLs are read by the parser itself
            raise ReflowUsageError(f"Config file not found: {value} (resolved from {Path.cwd()}).")
        if path.is_file():
            try:
                yaml.safe_load(path.read_text())
            except (yaml.YAMLError, UnicodeDecodeError) as err:
                raise ReflowUsageError(f"Config file {value} is not valid YAML: {' '.join(str(err).split())}") from err
