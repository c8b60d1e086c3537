"""A user's own LightningReflowCLI subclass: resumed with its own arguments, links and defaults."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from _helpers import last_pause

from lightning_reflow.utils.checkpoint import extract_embedded_config, read_metadata

CLI_MODULE = """
from pathlib import Path

from lightning_reflow.cli import LightningReflowCLI


class MyCLI(LightningReflowCLI):
    def add_arguments_to_parser(self, parser):
        parser.add_argument("--notes", type=str, default="none")
        parser.link_arguments("data.batch_size", "model.hidden")  # hidden width follows the batch size

    def before_fit(self):
        notes = self.config[self.subcommand]["notes"]
        with open("notes.txt", "a") as out:
            out.write(f"{self.subcommand} notes={notes} hidden={self.model.hparams.hidden}\\n")
"""

SCRIPT = """
import os

from lightning_reflow.callbacks.testing import NoisyDataModule, NoisyModel, PauseAtBatch
{cli_import}

if __name__ == "__main__":
    pauser = [PauseAtBatch(int(os.environ["PAUSE_AT"]))] if os.environ.get("PAUSE_AT") else []
    MyCLI(
        model_class=NoisyModel,
        datamodule_class=NoisyDataModule,
        trainer_defaults=dict(max_epochs=2, logger=False, enable_progress_bar=False, enable_model_summary=False,
                              callbacks=pauser),
    )
"""


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": str(cwd), **env}
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=full_env)


def _fit(tmp_path: Path, in_main: bool) -> dict[str, object]:
    if in_main:
        cli_import = CLI_MODULE
    else:
        (tmp_path / "mycli.py").write_text(CLI_MODULE)
        cli_import = "from mycli import MyCLI"
    (tmp_path / "train.py").write_text(SCRIPT.format(cli_import=cli_import))
    args = [
        sys.executable,
        "train.py",
        "fit",
        "--notes",
        "hello",
        "--data.batch_size=6",
        "--trainer.callbacks+=lightning_reflow.callbacks.PauseCallback",
        f"--trainer.callbacks.checkpoint_dir={tmp_path / 'pause'}",
    ]
    done = _run(args, tmp_path, PAUSE_AT="3")
    assert done.returncode == 75, done.stdout + done.stderr
    return last_pause(tmp_path / "pause")


def test_printed_command_resumes_with_the_scripts_own_settings(tmp_path: Path) -> None:
    record = _fit(tmp_path, in_main=False)
    command = shlex.split(record["resume_command"])
    assert command[1:3] == [str(tmp_path / "train.py"), "resume"]
    done = _run(command, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "notes.txt").read_text().splitlines() == [
        "fit notes=hello hidden=6",
        "resume notes=hello hidden=6",
    ]


def test_reflow_resume_rebuilds_an_importable_user_cli(tmp_path: Path) -> None:
    record = _fit(tmp_path, in_main=False)
    embedded = extract_embedded_config(record["checkpoint"])
    assert embedded["notes"] == "hello" and "hidden" not in embedded["model"]  # a link target is recomputed
    cli = read_metadata(record["checkpoint"]).extra["cli"]
    assert cli["cli_class"] == "mycli:MyCLI"
    assert cli["model_class"] == "lightning_reflow.callbacks.testing.boring:NoisyModel"
    done = _run(
        [sys.executable, "-m", "lightning_reflow.cli", "resume", "--checkpoint-path", record["checkpoint"]], tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "notes.txt").read_text().splitlines()[-1] == "resume notes=hello hidden=6"


@pytest.mark.parametrize("in_main", [True])
def test_reflow_resume_points_at_the_script_when_its_cli_lives_in_main(tmp_path: Path, in_main: bool) -> None:
    record = _fit(tmp_path, in_main=in_main)
    done = _run(
        [sys.executable, "-m", "lightning_reflow.cli", "resume", "--checkpoint-path", record["checkpoint"]], tmp_path
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"train.py resume --checkpoint-path {record['checkpoint']}" in done.stderr
