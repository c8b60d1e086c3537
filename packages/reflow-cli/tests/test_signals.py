"""Pause by a real signal from outside the process, then paste the printed resume command."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import yaml
from _helpers import last_pause

ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONWARNINGS": "ignore"}


def _wait_for(predicate: Callable[[], bool], proc: subprocess.Popen[str], limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        assert proc.poll() is None, f"the trainer exited early ({proc.returncode}): {proc.communicate()}"
        assert time.monotonic() < deadline, "the trainer never reached its first checkpoint"
        time.sleep(0.05)


def test_sigusr1_pauses_and_the_printed_command_resumes(tmp_path: Path, write_config: Callable[..., Path]) -> None:
    config = write_config("run", max_epochs=1)
    data = yaml.safe_load(config.read_text())
    data["data"]["init_args"] = {"size": 40000}  # long enough that the signal lands mid-epoch
    data["trainer"]["callbacks"][1]["init_args"].update(every_n_train_steps=20, save_top_k=-1, save_last=False)
    config.write_text(yaml.safe_dump(data))
    ckpt_dir = tmp_path / "run" / "ckpt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "lightning_reflow.cli", "fit", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENV,
        cwd=tmp_path,
    )
    _wait_for(lambda: ckpt_dir.is_dir() and any(ckpt_dir.glob("*.ckpt")), proc)
    proc.send_signal(signal.SIGUSR1)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 75, out
    record = last_pause(tmp_path / "run" / "pause")
    assert record["reason"] == "signal" and 0 < record["global_step"] < 10000
    assert f"Resume with: {record['resume_command']}" in out
    command = shlex.split(record["resume_command"])
    assert command[-2:] == ["--checkpoint-path", record["checkpoint"]]

    stop = (record["global_step"] // 20 + 2) * 20  # a step where ModelCheckpoint saves
    done = subprocess.run(
        [*command, f"--trainer.max_steps={stop}"], capture_output=True, text=True, env=ENV, cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    final = torch.load(ckpt_dir / f"epoch=0-step={stop}.ckpt", weights_only=True)
    assert final["global_step"] == stop
    assert final["lightning_reflow"]["cli"]["subcommand"] == "resume"


EARLY = """
import os, signal, sys
from lightning_reflow.cli.__main__ import _install_early_signal_handlers, main
_install_early_signal_handlers()
assert "lightning" not in sys.modules and "torch" not in sys.modules, "the handler must not wait for Lightning"
os.kill(os.getpid(), signal.SIGUSR1)  # arrives while nothing is built yet
sys.exit(main(sys.argv[1:]))
"""


def test_a_signal_before_lightning_is_imported_is_kept(tmp_path: Path, write_config: Callable[..., Path]) -> None:
    config = write_config("run", max_epochs=1)
    done = subprocess.run(
        [sys.executable, "-c", EARLY, "fit", "--config", str(config)], capture_output=True, text=True, env=ENV
    )
    assert done.returncode == 75, done.stdout + done.stderr
    record = last_pause(tmp_path / "run" / "pause")
    assert record["reason"] == "signal" and record["global_step"] <= 2
