"""Helpers of the launcher tests: run the real command, compare checkpoints with torch in the image."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DEMO_PROJECT = REPO / "examples"
DEMO_CONFIG = DEMO_PROJECT / "configs" / "demo.yaml"


# 2 epochs of 192 steps: long enough for a `reflow-launch pause` sent once training started.
# 384 steps; step_delay (a sleep, no effect on the weights) keeps the run going for several seconds
# so that a pause sent once training is seen to run still finds training to pause on a loaded machine.
SHORT_RUN = ("--", "--trainer.max_epochs=2", "--data.init_args.num_samples=6144", "--model.init_args.step_delay=0.015")
TRAINING_STARTED = b"Epoch "
COMPARE = """
import sys, torch
a = torch.load(sys.argv[1], map_location="cpu", weights_only=False)["state_dict"]
b = torch.load(sys.argv[2], map_location="cpu", weights_only=False)["state_dict"]
print("SAME" if a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a) else "DIFFERENT")
"""


def launcher(
    args: list[str], env: dict[str, str] | None = None, signal_at: bytes | None = None, sig: int = signal.SIGUSR1
) -> tuple[int, str, str]:
    """Run the real `reflow-launch` in a subprocess; send ``sig`` (SIGUSR1) to it once ``signal_at`` is printed."""
    full_env = {**os.environ, **(env or {})}
    command = [sys.executable, "-m", "lightning_reflow.launch.cli", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env)
    seen = b""
    if signal_at is not None:
        while signal_at not in seen:
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
        process.send_signal(sig)
    out, err = process.communicate(timeout=600)
    return process.returncode, (seen + out).decode(errors="replace"), err.decode(errors="replace")


def same_weights(engine, image: str, first: str, second: str) -> bool:
    """Compare the model weights of two checkpoints bitwise, with torch inside the trainer image."""
    mounts = {str(Path(p).parent): {"bind": f"/cmp/{i}", "mode": "ro"} for i, p in enumerate((first, second))}
    paths = [f"/cmp/{i}/{Path(p).name}" for i, p in enumerate((first, second))]
    if Path(first).parent == Path(second).parent:
        mounts = {str(Path(first).parent): {"bind": "/cmp/0", "mode": "ro"}}
        paths = [f"/cmp/0/{Path(p).name}" for p in (first, second)]
    output = engine.containers.run(image, ["python", "-c", COMPARE, *paths], volumes=mounts, remove=True)
    return output.decode().strip().splitlines()[-1] == "SAME"
