"""Resume start-up: from `reflow resume` to the first training step, against `fit --ckpt_path`.

Both start from the same pause checkpoint of the demo and train one step. Baselines: a plain
LightningCLI script and `reflow fit`, each given the config file and `--ckpt_path`.
Goal: at most 1.1x. Usage: ``python bench/cli_resume_startup.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _cli_bench import CONFIG, compare, env, write_script

PLAIN = """from lightning.pytorch.cli import LightningCLI
LightningCLI(save_config_callback=None)
"""
STAMP = "--trainer.callbacks+=_bench_stamp.FirstStepStamp"


def _pause_checkpoint(folder: Path) -> dict[str, object]:
    args = [
        sys.executable,
        "-m",
        "lightning_reflow.cli",
        "fit",
        "--config",
        str(CONFIG),
        STAMP,
        "--trainer.callbacks+=lightning_reflow.callbacks.testing.PauseAtBatch",
        "--trainer.callbacks.batch=100",
        "--trainer.enable_progress_bar=false",
    ]
    done = subprocess.run(args, cwd=folder, env=env(), capture_output=True, text=True)
    if done.returncode != 75:
        raise SystemExit(f"could not make the pause checkpoint ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads((folder / "runs" / "pause_checkpoints" / "last-pause.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    with tempfile.TemporaryDirectory(prefix="reflow-cli-bench-") as tmp:
        run(Path(tmp), repeats)


def run(folder: Path, repeats: int) -> None:
    record = _pause_checkpoint(folder)
    checkpoint, stop = str(record["checkpoint"]), f"--trainer.max_steps={int(record['global_step']) + 1}"
    stamp = folder / "first-step"
    os.environ["BENCH_STAMP_FILE"] = str(stamp)
    plain = str(write_script(folder, "plain_cli.py", PLAIN))
    quiet = "--trainer.enable_progress_bar=false"
    resume = [sys.executable, "-m", "lightning_reflow.cli", "resume", "--checkpoint-path", checkpoint, stop, quiet]
    fit_args = ["fit", "--config", str(CONFIG), STAMP, "--ckpt_path", checkpoint, stop, quiet]

    def to_first_step(start: float) -> float:
        return float(stamp.read_text()) - start

    cases = {
        "reflow resume  vs  LightningCLI fit --ckpt_path": (resume, [sys.executable, plain, *fit_args]),
        "reflow resume  vs  reflow fit --ckpt_path": (
            resume,
            [sys.executable, "-m", "lightning_reflow.cli", *fit_args],
        ),
    }
    print(f"time from process start to the first training step after step {record['global_step']}")
    compare(cases, folder, repeats, measure=to_first_step)


if __name__ == "__main__":
    main()
