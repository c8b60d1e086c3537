"""Shared set-up of the launch benchmarks: the local base image and a wheelhouse of this checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO_PROJECT = REPO / "examples"
DEMO_CONFIG = DEMO_PROJECT / "configs" / "demo.yaml"
BASE_IMAGE = os.environ.get("REFLOW_TEST_BASE_IMAGE", "reflow-local-base:bookworm")
CACHE = Path(os.environ.get("REFLOW_TEST_CACHE", Path.home() / ".cache" / "reflow-launch-tests"))
LAUNCH = [sys.executable, "-m", "lightning_reflow.launch.cli"]


def prepare() -> list[str]:
    """Make the base image and the wheelhouse (as the launch tests do); return the image options."""
    subprocess.run(["bash", str(REPO / "docker" / "make-local-base.sh"), BASE_IMAGE], check=True)
    wheelhouse = CACHE / "wheelhouse"
    wheelhouse.mkdir(parents=True, exist_ok=True)
    for old in wheelhouse.glob("reflow_*.whl"):
        old.unlink()
    pip = [sys.executable, "-m", "pip"]
    packages = [str(REPO / "packages" / d) for d in ("reflow-callbacks", "reflow-cli")]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", "-w", str(wheelhouse), *packages], check=True)
    constraints = CACHE / "constraints.txt"
    constraints.write_text("torch==2.13.0\n")
    subprocess.run(
        [*pip, "download", "-q", "-d", str(wheelhouse), "--find-links", str(wheelhouse), "--only-binary", ":all:",
         "-c", str(constraints), "reflow-callbacks", "reflow-cli"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return ["--base-image", BASE_IMAGE, "--wheelhouse", str(wheelhouse)]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]
