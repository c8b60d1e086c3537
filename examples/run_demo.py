"""The LightningReflow demo: train, pause by signal, resume with the printed command, compare weights.

Runs ``reflow`` (as ``python -m lightning_reflow.cli`` with this interpreter) on
``examples/configs/demo.yaml`` twice: once uninterrupted, once paused by ``SIGUSR1`` in the middle of
an epoch and resumed with the command the pause printed. Then it checks that both runs ended with
bitwise-identical weights. Usage: ``python examples/run_demo.py [--workdir DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
CONFIG = EXAMPLES / "configs" / "demo.yaml"
EXIT_PAUSED = 75


def _env() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {
        **os.environ,
        "PYTHONPATH": f"{EXAMPLES}{os.pathsep}{path}" if path else str(EXAMPLES),
        "PYTHONWARNINGS": "ignore",
        "PYTHONUNBUFFERED": "1",
    }


def _reflow(*args: str) -> list[str]:
    return [sys.executable, "-m", "lightning_reflow.cli", *args]


def _say(text: str) -> None:
    print(text, flush=True)


def reference_run(workdir: Path) -> Path:
    _say("1. Uninterrupted reference run: reflow fit --config examples/configs/demo.yaml")
    workdir.mkdir(parents=True, exist_ok=True)
    with open(workdir / "fit.log", "w") as log:
        subprocess.run(
            _reflow("fit", "--config", str(CONFIG)), cwd=workdir, env=_env(), stdout=log, stderr=log, check=True
        )
    return workdir / "runs" / "checkpoints" / "last.ckpt"


def paused_run(workdir: Path) -> dict[str, object]:
    _say("2. Same run, slowed down, paused by `kill -USR1 <pid>` once epoch 0 is done")
    workdir.mkdir(parents=True, exist_ok=True)
    first_epoch = workdir / "runs" / "checkpoints" / "epoch=0.ckpt"
    args = _reflow("fit", "--config", str(CONFIG), "--model.init_args.step_delay=0.01")
    with open(workdir / "fit.log", "w") as log:
        proc = subprocess.Popen(args, cwd=workdir, env=_env(), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while not first_epoch.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the demo run ended before it could be paused; see {workdir / 'fit.log'}")
            time.sleep(0.05)
        _say(f"   sending SIGUSR1 to pid {proc.pid}")
        proc.send_signal(signal.SIGUSR1)
        status = proc.wait()
    if status != EXIT_PAUSED:
        raise SystemExit(f"expected exit status {EXIT_PAUSED} (paused), got {status}; see {workdir / 'fit.log'}")
    for line in (workdir / "fit.log").read_text().splitlines():
        if line.startswith(("Paused at", "Resume with")):
            _say(f"   {line}")
    _say(f"   exit status {status} (paused)")
    return json.loads((workdir / "runs" / "pause_checkpoints" / "last-pause.json").read_text())


def resume(workdir: Path, record: dict[str, object]) -> Path:
    _say("3. Resume by running the printed command, as pasted (the config file is not needed)")
    command = shlex.split(str(record["resume_command"]))
    with open(workdir / "resume.log", "w") as log:
        status = subprocess.run(command, cwd=workdir, env=_env(), stdout=log, stderr=subprocess.STDOUT).returncode
    if status != 0:
        raise SystemExit(f"the resume failed with status {status}; see {workdir / 'resume.log'}")
    _say(f"   finished, exit status {status}")
    return workdir / "runs" / "checkpoints" / "last.ckpt"


def compare(expected: Path, actual: Path) -> bool:
    import torch

    a = torch.load(expected, weights_only=True, map_location="cpu")
    b = torch.load(actual, weights_only=True, map_location="cpu")
    same = a["state_dict"].keys() == b["state_dict"].keys() and all(
        torch.equal(a["state_dict"][k], b["state_dict"][k]) for k in a["state_dict"]
    )
    _say(
        f"4. Final weights after {b['global_step']} steps: "
        f"{'bitwise identical to' if same else 'DIFFERENT from'} the uninterrupted run"
    )
    return same and a["global_step"] == b["global_step"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="where the runs go (default: a new temporary folder)")
    workdir = (parser.parse_args().workdir or Path(tempfile.mkdtemp(prefix="reflow-demo-"))).resolve()
    _say(f"Demo runs in {workdir}")
    expected = reference_run(workdir / "reference")
    record = paused_run(workdir / "paused")
    actual = resume(workdir / "paused", record)
    return 0 if compare(expected, actual) else 1


if __name__ == "__main__":
    sys.exit(main())
