"""Shared helpers of the reflow-cli benchmarks: interleaved repeated runs, medians, ratios."""

from __future__ import annotations

import os
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


def timed(args: Sequence[str], cwd: Path, measure: Callable[[float], float] | None = None) -> float:
    """Run ``args``; return its wall time, or ``measure(start)`` when given (e.g. time to a stamp)."""
    start = time.time()
    done = subprocess.run(list(args), cwd=cwd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.time() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return measure(start) if measure else elapsed


def compare(
    cases: dict[str, tuple[Sequence[str], Sequence[str]]],
    cwd: Path,
    repeats: int,
    measure: Callable[[float], float] | None = None,
) -> None:
    """For each case run candidate and baseline alternately ``repeats`` times; print medians and ratios."""
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {repeats} interleaved runs each, median seconds")
    print(f"{'case':<44} {'reflow':>8} {'baseline':>9} {'ratio':>6}")
    for name, (candidate, baseline) in cases.items():
        timed(candidate, cwd, measure), timed(baseline, cwd, measure)  # warm the file cache
        ours, theirs = [], []
        for _ in range(repeats):
            ours.append(timed(candidate, cwd, measure))
            theirs.append(timed(baseline, cwd, measure))
        a, b = statistics.median(ours), statistics.median(theirs)
        print(f"{name:<44} {a:8.3f} {b:9.3f} {a / b:6.2f}x", flush=True)
