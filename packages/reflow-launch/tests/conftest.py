"""Fixtures: the real Docker engine and loopback sshd (started by ci/start-services.sh), a local base
image, a wheelhouse of this checkout's reflow wheels, and the demo's trainer image, each made once.

Tests that need a service skip when it is missing, and fail instead when REFLOW_REQUIRE_SERVICES=1
(as `.ci/run` sets it), so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _launching import DEMO_CONFIG, DEMO_PROJECT, REPO, SHORT_RUN, launcher

BASE_IMAGE = os.environ.get("REFLOW_TEST_BASE_IMAGE", "reflow-local-base:bookworm")
SERVICES = Path(os.environ.get("REFLOW_SERVICES_DIR", "/var/lib/reflow-test-services"))
CACHE = Path(os.environ.get("REFLOW_TEST_CACHE", Path.home() / ".cache" / "reflow-launch-tests"))


def need(what: str, ok: bool) -> None:
    """Skip without the service, or fail when the environment demands services."""
    if ok:
        return
    if os.environ.get("REFLOW_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is required (REFLOW_REQUIRE_SERVICES=1) but not available; run ci/start-services.sh")
    pytest.skip(f"{what} not available; run ci/start-services.sh")


@pytest.fixture(scope="session")
def engine():
    """A client of the local Docker engine."""
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException:
        need("a Docker engine", False)
    yield client
    client.close()


@pytest.fixture(scope="session")
def sshd() -> dict[str, str]:
    """The loopback sshd of ci/start-services.sh: port, client key, host public key."""
    folder = SERVICES / "sshd"
    ok = (folder / "port").is_file() and (folder / "client_ed25519_key").is_file()
    port = (folder / "port").read_text().strip() if ok else "2222"
    if ok:
        with socket.socket() as probe:
            probe.settimeout(2)
            ok = probe.connect_ex(("127.0.0.1", int(port))) == 0
    need("the loopback sshd", ok)
    return {
        "port": port,
        "key": str(folder / "client_ed25519_key"),
        "host_key": (folder / "host_ed25519_key.pub").read_text().split()[:2],
        "spec": f"root@127.0.0.1:{port}",
    }


@pytest.fixture
def ssh_home(sshd: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME whose ~/.ssh has the test key and the loopback host's key in known_hosts."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    shutil.copy(sshd["key"], home / ".ssh" / "id_ed25519")
    os.chmod(home / ".ssh" / "id_ed25519", 0o600)
    (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{sshd['port']} {' '.join(sshd['host_key'])}\n")
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture(scope="session")
def base_image(engine) -> str:
    """The debootstrap base (docker/make-local-base.sh), made once per machine."""
    subprocess.run(["bash", str(REPO / "docker" / "make-local-base.sh"), BASE_IMAGE], check=True, capture_output=True)
    return BASE_IMAGE


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="session")
def wheelhouse() -> Path:
    """This checkout's reflow wheels plus their dependencies (torch pinned to the local CPU build)."""
    folder = CACHE / "wheelhouse"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("reflow_*.whl"):
        old.unlink()
    pip = [sys.executable, "-m", "pip"]
    packages = [str(REPO / "packages" / d) for d in ("reflow-callbacks", "reflow-cli")]
    _run([*pip, "wheel", "-q", "--no-deps", "-w", str(folder), *packages])
    constraints = folder.parent / "constraints.txt"
    constraints.write_text("torch==2.13.0\n")
    _run([*pip, "download", "-q", "-d", str(folder), "--find-links", str(folder), "--only-binary", ":all:",
          "-c", str(constraints), "reflow-callbacks", "reflow-cli"])  # fmt: skip
    return folder


@pytest.fixture(scope="session")
def image_options(base_image: str, wheelhouse: Path) -> list[str]:
    """The reflow-launch options that build the demo's image from this checkout."""
    return ["--project", str(DEMO_PROJECT), "--base-image", base_image, "--wheelhouse", str(wheelhouse)]


@pytest.fixture(scope="session")
def trainer_image(image_options: list[str], tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo's trainer image, built (or found) through `reflow-launch build`."""
    state = tmp_path_factory.mktemp("build-state")
    done = subprocess.run(
        [sys.executable, "-m", "lightning_reflow.launch.cli", "build", "--state-dir", str(state), *image_options],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def cleanup_containers(engine) -> Iterator[list[str]]:
    """Run ids whose containers are removed after the test."""
    runs: list[str] = []
    yield runs
    for run_id in runs:
        for container in engine.containers.list(all=True, filters={"label": f"lightning-reflow.run={run_id}"}):
            container.remove(force=True)


@pytest.fixture(scope="session")
def baseline(engine, trainer_image: str, image_options: list[str], tmp_path_factory: pytest.TempPathFactory) -> str:
    """The final checkpoint of an uninterrupted containerised run of the demo (2 epochs)."""
    root = tmp_path_factory.mktemp("baseline")
    args = [
        "fit",
        str(DEMO_CONFIG),
        *image_options,
        "--state-dir",
        str(root / "state"),
        "--runs-dir",
        str(root / "runs"),
    ]
    code, _out, err = launcher([*args, *SHORT_RUN])
    assert code == 0, err
    (last,) = (root / "runs").glob("*/runs/checkpoints/last.ckpt")
    for container in engine.containers.list(all=True, filters={"label": "lightning-reflow.run"}):
        if container.labels.get("lightning-reflow.run-dir", "").startswith(str(root)):
            container.remove(force=True)
    return str(last)
