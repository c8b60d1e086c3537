"""Scenario across packages: `reflow fit` under 2-process CPU DDP, paused by SIGUSR1 sent to rank 0
only, resumed with the printed command, ends bitwise identical to an uninterrupted DDP run."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "examples" / "configs" / "demo.yaml"
DDP = ["--trainer.strategy=ddp", "--trainer.devices=2", "--trainer.enable_progress_bar=false"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "examples"), "PYTHONWARNINGS": "ignore"}


def _reflow(*args: str) -> list[str]:
    return [sys.executable, "-m", "lightning_reflow.cli", *args]


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True, map_location="cpu")["state_dict"]


def test_ddp_pause_on_rank_zero_and_resume_matches(tmp_path: Path) -> None:
    reference, paused = tmp_path / "reference", tmp_path / "paused"
    reference.mkdir(), paused.mkdir()
    done = subprocess.run(_reflow("fit", "--config", str(CONFIG), *DDP), cwd=reference, env=ENV, capture_output=True)
    assert done.returncode == 0, done.stderr[-3000:]

    args = _reflow("fit", "--config", str(CONFIG), *DDP, "--model.init_args.step_delay=0.02")
    proc = subprocess.Popen(args, cwd=paused, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first_epoch = paused / "runs" / "checkpoints" / "epoch=0.ckpt"
    deadline = time.monotonic() + 300
    while not first_epoch.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[0][-3000:]
        time.sleep(0.05)
    proc.send_signal(signal.SIGUSR1)  # rank 0 only; rank 1 learns it through the collective decision
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 75, out[-3000:]
    record = json.loads((paused / "runs" / "pause_checkpoints" / "last-pause.json").read_text())
    assert out.count("Paused at step") == 1  # printed once, by rank 0

    done = subprocess.run(shlex.split(record["resume_command"]), cwd=paused, env=ENV, capture_output=True)
    assert done.returncode == 0, done.stderr[-3000:]
    expected = _weights(reference / "runs" / "checkpoints" / "last.ckpt")
    actual = _weights(paused / "runs" / "checkpoints" / "last.ckpt")
    assert all(torch.equal(expected[k], actual[k]) for k in expected)
