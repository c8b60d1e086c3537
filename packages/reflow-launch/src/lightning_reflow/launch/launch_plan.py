"""A launch as a pure value: build steps and container specs that print as the exact commands."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lightning_reflow.launch.environment import MASK

if TYPE_CHECKING:
    from lightning_reflow.launch.gpus import GpuRequest
    from lightning_reflow.launch.host import Host
    from lightning_reflow.launch.image_recipe import BuildStep

#: Where the run folder of the host is mounted in the container (the trainer's working directory).
RUN_MOUNT = "/reflow/run"
ENTRY_ARGV = ("python", "/opt/reflow/entry.py")
LABEL = "lightning-reflow"


@dataclass(frozen=True)
class ContainerSpec:
    """One trainer container on one host.

    Args:
        host: the engine.
        name: the container name.
        image: the trainer image tag.
        command: the trainer's argv (``reflow fit ...``), run by the entry shim under docker-init.
        env: plain variables (printed and recorded as they are).
        secrets: names of variables whose values are taken from the caller's environment at start.
        labels: container labels (run id, attempt, rank, run folder).
        run_dir: the run folder on the host, mounted at ``/reflow/run``.
        mounts: extra ``host path -> container path[:ro]`` bind mounts.
        gpus: the GPU request, if any.
        network: the network mode (``host`` for multi-host runs), or ``None`` for the engine default.
        user: ``uid:gid`` to run as, or ``None`` for the image's user.
        config: ``(local file, path in the container)`` to place before the start, or ``None``.
        rank: the node rank (0 for single-host runs).
    """

    host: Host
    name: str
    image: str
    command: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    run_dir: str = ""
    mounts: dict[str, str] = field(default_factory=dict)
    gpus: GpuRequest | None = None
    network: str | None = None
    user: str | None = None
    config: tuple[str, str] | None = None
    rank: int = 0

    @property
    def outcome_file(self) -> str:
        """The container path where the trainer writes its pause outcome (``REFLOW_OUTCOME_FILE``)."""
        return self.env.get("REFLOW_OUTCOME_FILE", "")

    def binds(self) -> dict[str, dict[str, str]]:
        """Bind mounts in the SDK's ``binds`` form."""
        result = {self.run_dir: {"bind": RUN_MOUNT, "mode": "rw"}}
        for source, target in self.mounts.items():
            path, _, mode = target.partition(":")
            result[source] = {"bind": path, "mode": mode or "rw"}
        return result

    def container_config(self, api: Any) -> dict[str, Any]:
        """The Engine API create body (the SDK's low-level client builds the host config)."""
        host_config = api.create_host_config(
            init=True,
            binds=self.binds(),
            device_requests=self.gpus.device_requests() if self.gpus else None,
            network_mode=self.network,
        )
        env = dict(self.env)
        if self.secrets:
            env["REFLOW_SECRET_NAMES"] = ",".join(self.secrets)
        config = api.create_container_config(
            self.image,
            [*ENTRY_ARGV, *self.command],
            environment=env,
            labels=self.labels,
            host_config=host_config,
            working_dir=RUN_MOUNT,
            user=self.user,
            stdin_open=bool(self.secrets),
        )
        if self.secrets:
            config["StdinOnce"] = True  # stdin closes once the launcher has handed the secrets over
        return config

    def docker_argv(self, verb: str = "run") -> list[str]:
        """The equivalent ``docker run`` (or ``create``) command line, secrets masked."""
        argv = [*self.host.docker_cli_prefix(), verb, "--init", "--name", self.name]
        if verb == "run" and not self.secrets:
            argv.append("--detach")
        if self.secrets:
            argv.append("--interactive")
        for key, value in self.labels.items():
            argv += ["--label", f"{key}={value}"]
        for source, target in self.binds().items():
            argv += ["--volume", f"{source}:{target['bind']}:{target['mode']}"]
        argv += ["--workdir", RUN_MOUNT]
        if self.network:
            argv += ["--network", self.network]
        if self.user:
            argv += ["--user", self.user]
        if self.gpus:
            argv += ["--gpus", self.gpus.cli_flag()]
        env = dict(self.env)
        if self.secrets:
            env["REFLOW_SECRET_NAMES"] = ",".join(self.secrets)
        for key, value in env.items():
            argv += ["--env", f"{key}={value}"]
        return [*argv, self.image, *ENTRY_ARGV, *self.command]

    def render(self) -> list[str]:
        """The shell lines that do what the launcher does for this container."""
        lines: list[str] = []
        if self.host.is_local:
            if self.config:
                target = self.run_dir + self.config[1][len(RUN_MOUNT) :]
                lines.append(shlex.join(["mkdir", "-p", target.rsplit("/", 1)[0]]))
                lines.append(shlex.join(["cp", self.config[0], target]))
            else:
                lines.append(shlex.join(["mkdir", "-p", self.run_dir]))
            return [*lines, self._with_secrets(shlex.join(self.docker_argv("run")))]
        lines.append(self._with_secrets(shlex.join(self.docker_argv("create"))) + "  # then, before the start:")
        if self.config:
            lines.append(
                shlex.join([*self.host.docker_cli_prefix(), "cp", self.config[0], f"{self.name}:{self.config[1]}"])
            )
        start = [*self.host.docker_cli_prefix(), "start", "--attach"]
        if self.secrets:
            start.append("--interactive")
        lines.append(self._with_secrets(shlex.join([*start, self.name])))
        return lines

    def _with_secrets(self, command: str) -> str:
        if not self.secrets:
            return command
        payload = json.dumps(dict.fromkeys(self.secrets, MASK))
        return f"printf '%s\\n' {shlex.quote(payload)} | {command}"


@dataclass(frozen=True)
class LaunchPlan:
    """Everything one ``reflow-launch`` action will do, in order.

    Args:
        run_id: the run.
        action: ``fit``, ``resume`` or ``build``.
        attempt: the attempt number within the run (1 for the first fit).
        builds: ``(host, step, present)``: ``present`` is ``True`` when the image is already there
            (the step is skipped), ``None`` when unknown (a dry run that did not ask the engine).
        containers: the containers to start.
        detach: return after the start instead of streaming logs and forwarding signals.
    """

    run_id: str
    action: str
    attempt: int = 1
    builds: tuple[tuple[Host, BuildStep, bool | None], ...] = ()
    containers: tuple[ContainerSpec, ...] = ()
    detach: bool = False

    def render(self) -> str:
        """The plan as text: exact commands, secrets as ``***``."""
        out = [f"# reflow-launch {self.action}: run {self.run_id}, attempt {self.attempt}"]
        for host, step, present in self.builds:
            state = {True: "present, skipped", False: "missing, built", None: "built if missing"}[present]
            out.append(f"# image {step.tag} on {host}: {state}; context: {step.summary() or 'Dockerfile only'}")
            build = [
                *host.docker_cli_prefix(),
                "build",
                "--network",
                "host",
                "--tag",
                step.tag,
                "--file",
                "-",
                "CONTEXT",
            ]
            out.append(shlex.join(build) + " <<'DOCKERFILE'")
            out.append(step.dockerfile.rstrip("\n"))
            out.append("DOCKERFILE")
        for spec in self.containers:
            out.append(f"# container {spec.name} on {spec.host} (node rank {spec.rank}), run folder {spec.run_dir}")
            out.extend(spec.render())
        if self.containers and not self.detach:
            out.append("# then: stream the logs, forward SIGUSR1/SIGTERM to the trainer, exit with its status")
        return "\n".join(out) + "\n"
