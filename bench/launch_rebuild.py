"""Image rebuild cost of `reflow-launch build`: after no change, and after a code-only change.

    python bench/launch_rebuild.py [--runs 3]

Copies the demo project to a temporary folder, builds once (dependencies come from the layer cache
or are built once), then times `reflow-launch build` with nothing changed and after editing one
source file. Baseline, side by side: a plain `docker build` of the same unchanged app context with a
warm layer cache (what the launcher would cost if it always called the builder). Goals: no build at
all when nothing changed, under 10 s after a code-only change.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from _launch_common import DEMO_PROJECT, LAUNCH, percentile, prepare


def _build(options: list[str]) -> tuple[float, bool]:
    started = time.perf_counter()
    done = subprocess.run([*LAUNCH, "build", *options], capture_output=True, text=True, check=True)
    return time.perf_counter() - started, "building" in done.stderr


def _plain_build(project: Path, image: list[str], folder: Path) -> float:
    """`docker build` (the CLI, legacy builder) of the unchanged app context, laid out on disk."""
    from lightning_reflow.launch.image_builder import write_context
    from lightning_reflow.launch.image_recipe import ImageRecipe

    recipe = ImageRecipe(base_image=image[1], project=project, wheelhouse=Path(image[3]), name=project.name)
    _, app = recipe.steps()
    if not folder.exists():
        folder.mkdir()
        with tempfile.TemporaryFile() as stream:
            write_context(app, stream)
            stream.seek(0)
            with tarfile.open(fileobj=stream) as tar:
                tar.extractall(folder, filter="data")
    started = time.perf_counter()
    subprocess.run(["docker", "build", "-q", "-t", app.tag, str(folder)], check=True, capture_output=True,
                   env={**os.environ, "DOCKER_BUILDKIT": "0"})  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    image = prepare()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "bench-project"
        shutil.copytree(DEMO_PROJECT, project, ignore=shutil.ignore_patterns("__pycache__"))
        options = [*image, "--project", str(project), "--state-dir", f"{tmp}/state"]
        first, _ = _build(options)
        unchanged, changed, plain = [], [], []
        for i in range(args.runs):
            plain.append(_plain_build(project, image, Path(tmp) / f"context-{i}"))
            unchanged.append(_build(options))
            with (project / "reflow_demo" / "model.py").open("a") as source:
                source.write(f"\n# bench edit {i} {time.time()}\n")
            changed.append(_build(options))
            print(f"round {i + 1}: no change {unchanged[-1][0]:.2f}s (built: {unchanged[-1][1]}), "
                  f"code change {changed[-1][0]:.2f}s (built: {changed[-1][1]})", flush=True)  # fmt: skip
        tags = subprocess.run(
            ["docker", "images", "-q", "bench-project"], capture_output=True, text=True
        ).stdout.split()
        subprocess.run(["docker", "rmi", "-f", *tags], capture_output=True)
    print(f"\nfirst build (dependencies from cache or built once): {first:.2f}s")
    base = percentile(plain, 50)
    print(f"{'case':<34}{'p50':>8}{'max':>8}{'built':>8}{'vs plain':>10}")
    print(f"{'docker build (CLI), warm cache':<34}{base:>7.2f}s{max(plain):>7.2f}s{'-':>8}{1:>10.2f}")
    for label, rows in (("reflow-launch build, no change", unchanged), ("reflow-launch build, code change", changed)):
        times = [t for t, _ in rows]
        p50 = percentile(times, 50)
        built = f"{sum(b for _, b in rows)}/{len(rows)}"
        print(f"{label:<34}{p50:>7.2f}s{max(times):>7.2f}s{built:>8}{p50 / base:>10.2f}")


if __name__ == "__main__":
    main()
