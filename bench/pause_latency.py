"""Pause latency and checkpoint cost of PauseCallback against a bare trainer.save_checkpoint.

Prints, for a 4x1024 MLP with Adam (about 50 MB of checkpoint):
  1. checkpoint size and save time of the pause save vs ``trainer.save_checkpoint`` of the same
     trainer, alternating in one process (ratio, goal <= 1.1x);
  2. over N fresh processes: time from SIGUSR1 to the checkpoint on disk and to process exit,
     p50/p95, next to the step time and the bare save time (goal: p95 to disk within one step
     plus 1.1x the bare save time).

Usage: python bench/pause_latency.py [--runs 20] [--width 1024]
"""

from __future__ import annotations

import argparse
import itertools
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import lightning.pytorch as pl

sys.path.insert(0, str(Path(__file__).parent))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def save_costs(width: int, repeats: int = 7) -> tuple[float, float, int, int]:
    import _pause_child as child

    from lightning_reflow.callbacks import PauseCallback
    from lightning_reflow.callbacks.pause._saving import save_pause_checkpoint

    child.WIDTH = width
    pl.seed_everything(0, verbose=False)
    tmp = Path(tempfile.mkdtemp())
    trainer = child.trainer([PauseCallback(checkpoint_dir=str(tmp))], 5)
    trainer.fit(child.Mlp(), child.loader())
    bare, ours = [], []
    for i in range(repeats):
        start = time.perf_counter()
        trainer.save_checkpoint(tmp / f"bare{i}.ckpt")
        bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        save_pause_checkpoint(trainer, tmp / f"pause{i}.ckpt")
        ours.append(time.perf_counter() - start)
    sizes = (tmp / "bare0.ckpt").stat().st_size, (tmp / "pause0.ckpt").stat().st_size
    return statistics.median(bare), statistics.median(ours), *sizes


def one_pause(width: int) -> tuple[float, float, float]:
    ckpt_dir = Path(tempfile.mkdtemp())
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "_pause_child.py"), str(ckpt_dir), str(width)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    stamps: list[float] = []
    for line in proc.stdout:
        if line.startswith("STEP"):
            stamps.append(float(line.split()[2]))
            if len(stamps) == 8:
                break
    step_time = statistics.median(b - a for a, b in itertools.pairwise(stamps[2:]))
    time.sleep(random.uniform(0, step_time))  # land anywhere inside a step
    sent = time.time()
    proc.send_signal(signal.SIGUSR1)
    on_disk = None
    while proc.poll() is None or on_disk is None:
        if on_disk is None and any(p.name.endswith(".ckpt") for p in ckpt_dir.iterdir()):
            on_disk = time.time()
        if proc.poll() is not None and on_disk is None:
            on_disk = time.time()
        time.sleep(0.001)
    exited = time.time()
    for _ in proc.stdout:
        pass
    assert proc.returncode == 75, proc.returncode
    return on_disk - sent, exited - sent, step_time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--width", type=int, default=1024)
    args = parser.parse_args()
    bare, ours, bare_size, our_size = save_costs(args.width)
    ratio = our_size / bare_size
    print(f"checkpoint size: bare {bare_size / 1e6:.1f} MB, pause {our_size / 1e6:.1f} MB, ratio {ratio:.3f}x")
    print(
        f"save time (median of 7): bare trainer.save_checkpoint {bare * 1e3:.1f} ms, pause save {ours * 1e3:.1f} ms, "
        f"ratio {ours / bare:.3f}x"
    )
    disk, exit_, steps = [], [], []
    for i in range(args.runs):
        d, e, s = one_pause(args.width)
        disk.append(d)
        exit_.append(e)
        steps.append(s)
        line = f"signal->disk {d * 1e3:7.1f} ms  signal->exit {e * 1e3:7.1f} ms  step {s * 1e3:6.1f} ms"
        print(f"  run {i + 1:2d}: {line}", flush=True)
    step = statistics.median(steps)
    goal = step + 1.1 * bare
    print(f"step time (median) {step * 1e3:.1f} ms; bare save {bare * 1e3:.1f} ms")
    print(f"goal: p95(signal->disk) <= one step + 1.1x bare save = {goal * 1e3:.1f} ms")
    for name, values in (("signal->checkpoint on disk", disk), ("signal->process exit", exit_)):
        p50, p95 = percentile(values, 50), percentile(values, 95)
        print(f"{name:27s}: p50 {p50 * 1e3:.1f} ms  p95 {p95 * 1e3:.1f} ms")
    print(f"p95(signal->disk) / goal: {percentile(disk, 95) / goal:.2f}x (the exit adds Python's teardown of torch)")


if __name__ == "__main__":
    main()
