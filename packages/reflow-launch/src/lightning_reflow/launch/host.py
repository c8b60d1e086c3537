"""Where a container runs: the local Docker engine or a remote one through Docker's SSH transport."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lightning_reflow.launch.errors import EngineUnavailable, HostUnreachable, LaunchError, UnknownHostKey

if TYPE_CHECKING:
    import docker

LOCAL = "local"
_SPEC = re.compile(
    r"^(?:ssh://)?(?:(?P<user>[^@/:]+)@)?(?P<host>[A-Za-z0-9_.\-]+|\[[0-9a-fA-F:]+\])(?::(?P<port>\d+))?$"
)


@dataclass(frozen=True)
class Host:
    """A Docker engine to run on.

    Args:
        spec: ``"local"`` (the engine of ``DOCKER_HOST`` or the local socket) or ``[user@]host[:port]``
            (optionally ``ssh://``-prefixed), reached with Docker's SSH transport.
    """

    spec: str = LOCAL

    @classmethod
    def parse(cls, text: str) -> Host:
        """Validate and normalise a host given on the command line."""
        text = text.strip()
        if text in ("", LOCAL):
            return cls(LOCAL)
        match = _SPEC.match(text)
        if match is None:
            raise LaunchError(f"--host {text!r} is not a host: write user@host, user@host:port or 'local'.")
        spec = text[len("ssh://") :] if text.startswith("ssh://") else text
        return cls(spec)

    @property
    def is_local(self) -> bool:
        """Whether this is the local engine."""
        return self.spec == LOCAL

    @property
    def hostname(self) -> str:
        """The host name without user and port (``127.0.0.1`` for the local engine)."""
        if self.is_local:
            return "127.0.0.1"
        match = _SPEC.match(self.spec)
        assert match is not None
        return match.group("host").strip("[]")

    @property
    def port(self) -> int | None:
        """The SSH port, if given."""
        match = None if self.is_local else _SPEC.match(self.spec)
        return int(match.group("port")) if match and match.group("port") else None

    @property
    def user(self) -> str | None:
        """The SSH user, if given."""
        match = None if self.is_local else _SPEC.match(self.spec)
        return match.group("user") if match else None

    @property
    def base_url(self) -> str | None:
        """The engine address for the Docker SDK (``None``: the local default)."""
        return None if self.is_local else f"ssh://{self.spec}"

    def docker_cli_prefix(self) -> list[str]:
        """The ``docker`` command that reaches this engine, for printed plans."""
        return ["docker"] if self.is_local else ["docker", "--host", f"ssh://{self.spec}"]

    def __str__(self) -> str:
        return self.spec


def connect(host: Host, timeout: int = 120) -> docker.DockerClient:
    """Open a client to the host's engine, turning every failure into one clear message.

    Raises:
        EngineUnavailable: no engine answers.
        HostUnreachable: the SSH host is down, unknown or refuses our key.
        UnknownHostKey: the host key is not in (or differs from) ``~/.ssh/known_hosts``.
    """
    import docker

    if host.is_local:
        where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        try:
            client = docker.from_env(timeout=timeout)
            client.ping()
        except docker.errors.DockerException as err:
            raise EngineUnavailable(
                f"No Docker engine answers at {where} ({_short(err)}). Start it (e.g. `sudo systemctl start docker` "
                "or `dockerd &`), or point DOCKER_HOST at a running engine, or use --host user@node."
            ) from None
        return client
    return _connect_ssh(host, timeout)


def _connect_ssh(host: Host, timeout: int) -> docker.DockerClient:
    import docker

    try:
        import paramiko
    except ModuleNotFoundError:
        raise LaunchError("--host needs paramiko, which is missing: pip install 'reflow-launch[ssh]'.") from None
    known = os.path.expanduser("~/.ssh/known_hosts")
    port = host.port or 22
    key_name = host.hostname if port == 22 else f"[{host.hostname}]:{port}"
    try:
        client = docker.DockerClient(base_url=host.base_url, use_ssh_client=False, timeout=timeout)
        client.ping()
    except paramiko.BadHostKeyException:
        raise UnknownHostKey(
            f"The SSH host key of {key_name} does not match the one in {known}: the host was reinstalled or "
            "someone is in the middle. Check with the host's owner, then replace the entry "
            f"(ssh-keygen -R '{key_name}')."
        ) from None
    except paramiko.AuthenticationException:
        raise HostUnreachable(
            f"SSH to {host.spec} refused our key. Add your public key to the host (ssh-copy-id {host.spec}) "
            "or name the right key with IdentityFile in ~/.ssh/config."
        ) from None
    except paramiko.SSHException as err:
        if "known_hosts" in str(err):
            port_opt = f" -p {port}" if port != 22 else ""
            raise UnknownHostKey(
                f"The SSH host key of {key_name} is not in {known}, so the host cannot be verified. Check it and add "
                f"it: ssh-keyscan{port_opt} {host.hostname} >> {known} (or ssh to it once and accept the key)."
            ) from None
        raise HostUnreachable(f"SSH to {host.spec} failed: {err}. Check that sshd runs there.") from None
    except (OSError, paramiko.ssh_exception.NoValidConnectionsError) as err:
        raise HostUnreachable(
            f"Cannot reach {host.spec} over SSH (port {port}): {_short(err)}. Check the host name, the port and "
            "that sshd runs there."
        ) from None
    except Exception as err:  # the SDK surfaces a dead remote engine as DockerException or a requests error
        raise EngineUnavailable(
            f"SSH to {host.spec} works but no Docker engine answers there ({_short(err)}). Install and start Docker "
            "on that host (the `docker` command must be on its PATH for `docker system dial-stdio`)."
        ) from None
    return client


def _short(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text[:200]
