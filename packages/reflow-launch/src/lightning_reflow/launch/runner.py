"""Execute a :class:`LaunchPlan`: create and start the containers, hand over secrets, follow them."""

from __future__ import annotations

import io
import json
import shutil
import signal
import sys
import tarfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lightning_reflow.launch.errors import LaunchError
from lightning_reflow.launch.launch_plan import RUN_MOUNT

if TYPE_CHECKING:
    import docker
    from lightning_reflow.launch.host import Host
    from lightning_reflow.launch.launch_plan import ContainerSpec, LaunchPlan

EXIT_PAUSED = 75
#: How often a pause signal is repeated while the trainer has not stopped yet.
RESEND_PAUSE_S = 2.0
_FORWARDED = (signal.SIGUSR1, signal.SIGTERM, signal.SIGINT)


def _stderr(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


class Runner:
    """Starts a plan's containers on their engines and follows them in the foreground.

    Args:
        clients: an engine client per host spec.
        log: where status lines go (stderr by default; the trainer's output goes to stdout).
    """

    def __init__(self, clients: dict[str, docker.DockerClient], log: Callable[[str], None] = _stderr) -> None:
        self.clients = clients
        self.log = log
        #: ``(node rank, status)`` of the first node that failed while others still ran, if any.
        self.first_failure: tuple[int, int] | None = None

    def start(self, plan: LaunchPlan, secrets: dict[str, str]) -> list[Any]:
        """Create every container, place the config, start it and hand the secrets over stdin."""
        containers = []
        for spec in plan.containers:
            client = self.clients[spec.host.spec]
            self._prepare_run_dir(spec, client)
            created = client.api.create_container_from_config(spec.container_config(client.api), name=spec.name)
            container = client.containers.get(created["Id"])
            if spec.config is not None and not spec.host.is_local:
                container.put_archive(RUN_MOUNT, _tar_file(Path(spec.config[0]), spec.config[1][len(RUN_MOUNT) + 1 :]))
            sock = client.api.attach_socket(container.id, params={"stdin": 1, "stream": 1}) if spec.secrets else None
            container.start()
            if sock is not None:
                payload = json.dumps({name: secrets[name] for name in spec.secrets}).encode() + b"\n"
                raw = getattr(sock, "_sock", sock)
                raw.sendall(payload)
                del payload
                sock.close()
                if raw is not sock:
                    raw.close()
            containers.append(container)
        return containers

    def _prepare_run_dir(self, spec: ContainerSpec, client: docker.DockerClient) -> None:
        if not spec.host.is_local:
            return  # the engine creates the bind-mount source on the remote host
        run_dir = Path(spec.run_dir)
        (run_dir / ".reflow").mkdir(parents=True, exist_ok=True)
        if spec.config is not None:
            target = run_dir / spec.config[1][len(RUN_MOUNT) + 1 :]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(spec.config[0], target)

    def follow(self, plan: LaunchPlan, containers: list[Any], pause_signal: str) -> list[int]:
        """Stream the logs, forward SIGUSR1/SIGTERM (SIGINT: pause, twice: detach), wait for every container.

        Returns:
            The exit status of each container (``-1`` for containers left running after a detach).
        """
        requests: list[int] = []
        wake = threading.Event()

        def on_signal(signum: int, frame: Any) -> None:
            requests.append(signum)
            wake.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in _FORWARDED}
        prefix = len(containers) > 1
        statuses: list[int | None] = [None] * len(containers)
        streams = [
            threading.Thread(target=_stream_logs, args=(c, f"[{s.host} rank {s.rank}] " if prefix else ""), daemon=True)
            for c, s in zip(containers, plan.containers)
        ]
        waiters = [
            threading.Thread(target=_wait, args=(c, statuses, i, wake), daemon=True) for i, c in enumerate(containers)
        ]
        for thread in (*streams, *waiters):
            thread.start()
        interrupts = 0
        pause_sent: float | None = None
        terminated = False
        try:
            while any(s is None for s in statuses):
                wake.wait(0.5)
                wake.clear()
                if pause_sent is not None and time.monotonic() - pause_sent > RESEND_PAUSE_S:
                    pause_sent = time.monotonic()
                    if not self.paused(plan.containers[0], containers[0]):
                        # A pause signal that arrived before the trainer installed its handler was ignored
                        # (see the entry shim): send it again; a second request is a no-op for the trainer.
                        self._forward(containers[:1], statuses[:1], pause_signal, quiet=True)
                while requests:
                    signum = requests.pop(0)
                    if signum == signal.SIGINT:
                        interrupts += 1
                        if interrupts > 1:
                            self.log(
                                f"reflow-launch: detached; run {plan.run_id} goes on. Follow it with `reflow-launch "
                                f"logs -f {plan.run_id}`, pause it with `reflow-launch pause {plan.run_id}`.\n"
                            )
                            return [-1 if s is None else s for s in statuses]
                    if signum in (signal.SIGUSR1, signal.SIGINT):
                        # Rank 0 only: the ranks add up their requests at the next safe step, so every node
                        # stops there; a signal reaching another node as it exits could kill it instead.
                        self._forward(containers[:1], statuses[:1], pause_signal)
                        pause_sent = time.monotonic()
                    else:
                        self._forward(containers, statuses, "SIGTERM")
                late_kill = 128 + _signum(pause_signal)
                failed = [s for s in statuses if s not in (None, 0, EXIT_PAUSED, late_kill)]
                if failed and any(s is None for s in statuses) and not terminated:
                    # One node failed: the others would hang in their next collective.
                    rank = next(i for i, s in enumerate(statuses) if s in failed)
                    self.first_failure = (rank, int(statuses[rank]))
                    self.log(f"reflow-launch: node {rank} exited with status {statuses[rank]}; stopping the others\n")
                    self._forward(containers, statuses, "SIGTERM")
                    terminated = True
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        for thread in streams:
            thread.join(timeout=5)
        return [int(s) for s in statuses if s is not None]

    def _forward(self, containers: list[Any], statuses: list[int | None], sig: str, quiet: bool = False) -> None:
        import docker

        for container, status in zip(containers, statuses):
            if status is None:
                try:
                    container.kill(signal=sig)
                except docker.errors.APIError:
                    pass  # it exited in the meantime
        if not quiet:
            self.log(f"reflow-launch: sent {sig} to the trainer\n")

    def paused(self, spec: ContainerSpec, container: Any) -> bool:
        """Whether the trainer has written its pause outcome (then it must not get another pause signal:
        Python restores the default action, termination, while the interpreter shuts down)."""
        attempt = int(spec.labels.get("lightning-reflow.attempt", "0"))
        return self.read_outcome(spec.host, spec.run_dir, attempt, container) is not None

    def read_outcome(self, host: Host, run_dir: str, attempt: int, container: Any | None) -> dict[str, Any] | None:
        """The trainer's pause outcome of an attempt (``REFLOW_OUTCOME_FILE``), with host paths, or ``None``."""
        relative = f".reflow/outcome-{attempt}.json"
        data: dict[str, Any] | None = None
        if host.is_local:
            file = Path(run_dir) / relative
            if file.is_file():
                data = json.loads(file.read_text())
        elif container is not None:
            try:
                data = _read_from_container(container, f"{RUN_MOUNT}/{relative}")
            except LaunchError:
                data = None
        if data and isinstance(data.get("checkpoint"), str):
            data["host_checkpoint"] = host_path(run_dir, data["checkpoint"])
            data["host"] = host.spec
        return data


def _signum(name: str) -> int:
    sig = getattr(signal, name.upper() if name.upper().startswith("SIG") else "SIG" + name.upper(), None)
    return int(sig) if sig is not None else -1000


def exit_status(code: int, outcome: dict[str, Any] | None, pause_signal: str) -> int:
    """The trainer's status; a paused trainer killed by a late pause signal while exiting still counts as paused."""
    if outcome and outcome.get("status") == "paused" and code == 128 + _signum(pause_signal):
        return EXIT_PAUSED
    return code


def host_path(run_dir: str, container_path: str) -> str:
    """Map a path under ``/reflow/run`` to the host's run folder."""
    if container_path == RUN_MOUNT or container_path.startswith(RUN_MOUNT + "/"):
        return run_dir.rstrip("/") + container_path[len(RUN_MOUNT) :]
    return container_path


def _stream_logs(container: Any, prefix: str) -> None:
    out = sys.stdout.buffer
    pending = b""
    try:
        for chunk in container.logs(stream=True, follow=True):
            if not prefix:
                out.write(chunk)
                out.flush()
                continue
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                out.write(prefix.encode() + line + b"\n")
            out.flush()
    except Exception:  # the stream ends with the container; errors here must not hide its status
        pass
    if pending:
        out.write(prefix.encode() + pending + b"\n")
        out.flush()


def _wait(container: Any, statuses: list[int | None], index: int, wake: threading.Event) -> None:
    while True:
        try:
            result = container.wait()
            statuses[index] = int(result.get("StatusCode", 1))
            break
        except Exception:  # a dropped connection: ask again
            time.sleep(0.5)
            try:
                container.reload()
                if container.status in ("exited", "dead"):
                    statuses[index] = int(container.attrs["State"]["ExitCode"])
                    break
            except Exception:
                statuses[index] = 1
                break
    wake.set()


def _tar_file(source: Path, name: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        data = source.read_bytes()
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o644
        info.mtime = int(time.time())
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _read_from_container(container: Any, path: str) -> dict[str, Any] | None:
    import docker

    try:
        bits, _ = container.get_archive(path)
    except docker.errors.NotFound:
        return None
    except docker.errors.APIError as err:
        raise LaunchError(f"cannot read {path} from {container.name}: {err}") from None
    with tarfile.open(fileobj=io.BytesIO(b"".join(bits))) as tar:
        member = tar.next()
        handle = tar.extractfile(member) if member else None
        return json.loads(handle.read()) if handle else None
