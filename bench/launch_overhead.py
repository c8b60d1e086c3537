"""Launch overhead and pause latency of `reflow-launch fit`, side by side with the plain `docker run`.

    python bench/launch_overhead.py [--runs 10]

For each round it starts (a) `reflow-launch fit` of the demo with the image present and (b) the plain
`docker run` that `reflow-launch fit --dry-run` prints (same image, mounts, environment), measures the
time from the command's start to the trainer's first progress line ("Epoch "), then sends SIGUSR1 (to
the launcher, which forwards it; and with `docker kill --signal SIGUSR1` to the plain container) and
measures the time until the command exits (kill-to-exit). Prints p50/p95 of both and the differences.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import tempfile
import time

from _launch_common import DEMO_CONFIG, DEMO_PROJECT, LAUNCH, percentile, prepare

MARKER = b"Epoch "


def _until_marker(process: subprocess.Popen, started: float) -> float:
    seen = b""
    while MARKER not in seen:
        chunk = os.read(process.stdout.fileno(), 65536)
        if not chunk:
            raise RuntimeError("the trainer ended before its first step:\n" + seen.decode(errors="replace")[-2000:])
        seen += chunk
    return time.perf_counter() - started


def _launcher_round(options: list[str]) -> tuple[float, float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [*LAUNCH, "fit", str(DEMO_CONFIG), *options], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    first = _until_marker(process, started)
    killed = time.perf_counter()
    process.send_signal(signal.SIGUSR1)
    process.communicate()
    assert process.returncode == 75, process.returncode
    return first, time.perf_counter() - killed


def _docker_round(options: list[str]) -> tuple[float, float]:
    plan = subprocess.run(
        [*LAUNCH, "fit", str(DEMO_CONFIG), *options, "--dry-run"], capture_output=True, text=True, check=True
    )
    text = plan.stdout[plan.stdout.index("\n# container ") :]  # after the build steps' Dockerfiles
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    run = next(shlex.split(line) for line in lines if shlex.split(line)[:2] == ["docker", "run"])
    for line in lines:  # the plan's own preparation (mkdir, cp of the config)
        argv = shlex.split(line)
        if argv[0] in ("mkdir", "cp"):
            subprocess.run(argv, check=True)
    run.remove("--detach")
    name = run[run.index("--name") + 1]
    started = time.perf_counter()
    process = subprocess.Popen(run, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    first = _until_marker(process, started)
    killed = time.perf_counter()
    subprocess.run(["docker", "kill", "--signal", "SIGUSR1", name], check=True, capture_output=True)
    process.communicate()
    elapsed = time.perf_counter() - killed
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    return first, elapsed


def _remove_containers(run_root: str) -> None:
    import docker

    client = docker.from_env()
    for container in client.containers.list(all=True, filters={"label": "lightning-reflow.run-dir"}):
        if container.labels["lightning-reflow.run-dir"].startswith(run_root):
            container.remove(force=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    image = prepare()
    with tempfile.TemporaryDirectory() as tmp:
        build = [*image, "--project", str(DEMO_PROJECT), "--state-dir", f"{tmp}/state"]
        options = [*build, "--runs-dir", f"{tmp}/runs"]
        subprocess.run([*LAUNCH, "build", *build], check=True, capture_output=True)
        launch, plain = [], []
        try:
            for i in range(args.runs):  # interleaved, so load on the machine hits both alike
                launch.append(_launcher_round(options))
                plain.append(_docker_round(options))
                (a1, a2), (b1, b2) = launch[-1], plain[-1]
                print(f"round {i + 1}: reflow-launch first step {a1:.2f}s kill-to-exit {a2:.2f}s | "
                      f"docker run first step {b1:.2f}s kill-to-exit {b2:.2f}s", flush=True)  # fmt: skip
        finally:
            _remove_containers(tmp)
    print(f"\n{'metric':<34}{'reflow-launch':>14}{'docker run':>12}{'diff':>9}{'ratio':>8}")
    for label, index in (("launch to first step", 0), ("kill-to-exit (SIGUSR1 pause)", 1)):
        for q in (50, 95):
            a = percentile([r[index] for r in launch], q)
            b = percentile([r[index] for r in plain], q)
            print(f"{label + f' p{q}':<34}{a:>13.2f}s{b:>11.2f}s{a - b:>+8.2f}s{a / b:>8.2f}")


if __name__ == "__main__":
    main()
