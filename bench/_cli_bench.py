"""Shared helpers of the reflow-cli benchmarks: interleaved repeated runs, medians, ratios."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CONFIG = EXAMPLES / "configs" / "demo.yaml"
BENCH = Path(__file__).resolve().parent


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{EXAMPLES}{os.pathsep}{BENCH}", "PYTHONWARNINGS": "ignore"}


def write_script(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(body)
    return path


def timed(args: Sequence[str], cwd: Path, measure: Callable[[float], float] | None = None) -> tuple[float, float]:
    """Run ``args``; return (wall time or ``measure(start)``, CPU seconds of the process).

    CPU time (user + system) is printed beside wall time because the shared machines these run on
    are busy: wall time carries the other jobs' load, CPU time mostly does not.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.time()
    done = subprocess.run(list(args), cwd=cwd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.time() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return (measure(start) if measure else elapsed), cpu


def compare(
    cases: dict[str, tuple[Sequence[str], Sequence[str]]],
    cwd: Path,
    repeats: int,
    measure: Callable[[float], float] | None = None,
) -> None:
    """For each case run candidate and baseline alternately ``repeats`` times; print medians and ratios."""
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {repeats} interleaved runs each, median seconds")
    print(f"{'case':<50} {'reflow':>7} {'base':>7} {'ratio':>6} | {'cpu':>6} {'base':>6} {'ratio':>6}")
    for name, (candidate, baseline) in cases.items():
        timed(candidate, cwd, measure), timed(baseline, cwd, measure)  # warm the file cache
        ours, theirs = [], []
        for _ in range(repeats):
            ours.append(timed(candidate, cwd, measure))
            theirs.append(timed(baseline, cwd, measure))
        wall_a, wall_b = (statistics.median(r[0] for r in runs) for runs in (ours, theirs))
        cpu_a, cpu_b = (statistics.median(r[1] for r in runs) for runs in (ours, theirs))
        print(
            f"{name:<50} {wall_a:7.3f} {wall_b:7.3f} {wall_a / wall_b:5.2f}x | {cpu_a:6.2f} {cpu_b:6.2f} "
            f"{cpu_a / cpu_b:5.2f}x",
            flush=True,
        )
