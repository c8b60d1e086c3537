"""``--gpus``: parse indices, ``all`` or a count, check them against the host, turn them into device requests."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lightning_reflow.launch.errors import GpuRequestError, HostUnreachable

if TYPE_CHECKING:
    from lightning_reflow.launch.host import Host

_QUERY = "nvidia-smi --query-gpu=index,uuid --format=csv,noheader"


@dataclass(frozen=True)
class GpuRequest:
    """A parsed ``--gpus`` value.

    ``all`` asks for every GPU; ``count=N`` for any N GPUs; indices (``0``, ``0,1``, ``device=2``)
    or UUIDs (``GPU-...``) for those GPUs. Unlike ``docker run --gpus``, a bare number is an index
    (``--gpus 1`` is GPU 1, as in ``CUDA_VISIBLE_DEVICES=1``), never a count.
    """

    text: str
    count: int | None = None
    device_ids: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> GpuRequest:
        """Parse a ``--gpus`` value, raising :class:`GpuRequestError` with the valid forms."""
        raw = text.strip()
        if raw == "all":
            return cls(raw, count=-1)
        if raw.startswith("count="):
            value = raw[len("count=") :]
            if not value.isdigit() or int(value) < 1:
                raise GpuRequestError(f"--gpus {raw}: a count must be a number of at least 1 (count=2), or all.")
            return cls(raw, count=int(value))
        value = raw[len("device=") :] if raw.startswith("device=") else raw
        ids = tuple(part.strip() for part in value.split(",") if part.strip())
        if not ids or not all(part.isdigit() or part.startswith("GPU-") for part in ids):
            raise GpuRequestError(
                f"--gpus {raw!r} is not understood: use indices (0,1 or device=2), a UUID (GPU-...), all, "
                "or a count (count=2)."
            )
        return cls(raw, device_ids=ids)

    def device_requests(self) -> list[dict[str, Any]]:
        """The Docker Engine API ``DeviceRequests`` for this request."""
        request: dict[str, Any] = {"Driver": "nvidia", "Capabilities": [["gpu"]]}
        if self.device_ids:
            request["DeviceIDs"] = list(self.device_ids)
        else:
            request["Count"] = self.count
        return [request]

    def cli_flag(self) -> str:
        """The ``docker run --gpus`` value with the same meaning."""
        if self.device_ids:
            return '"device=' + ",".join(self.device_ids) + '"'
        return "all" if self.count == -1 else f"count={self.count}"

    def validate(self, inventory: GpuInventory) -> None:
        """Check the request against the GPUs the host reports.

        Raises:
            GpuRequestError: naming the GPUs the host has.
        """
        have = inventory.describe()
        if not inventory.indices:
            raise GpuRequestError(
                f"--gpus {self.text}: host {inventory.host} reports no GPU ({inventory.source}). Run without --gpus to "
                "train on CPU, or choose a host with NVIDIA GPUs and the NVIDIA container toolkit."
            )
        if self.count is not None and self.count > len(inventory.indices):
            raise GpuRequestError(f"--gpus {self.text}: host {inventory.host} has only {have}. Ask for fewer or all.")
        for device in self.device_ids:
            if device not in inventory.indices and device not in inventory.uuids:
                raise GpuRequestError(
                    f"--gpus {self.text}: GPU {device} does not exist on host {inventory.host}, which has {have}. "
                    "Use one of those indices, a count, or all."
                )


@dataclass(frozen=True)
class GpuInventory:
    """The GPUs a host reports (``nvidia-smi``), used to validate ``--gpus`` before anything starts."""

    host: str
    indices: tuple[str, ...] = ()
    uuids: tuple[str, ...] = field(default=())
    source: str = "nvidia-smi"

    def describe(self) -> str:
        """``"GPUs 0, 1 (2 found by nvidia-smi)"``."""
        if not self.indices:
            return "no GPU"
        return f"GPUs {', '.join(self.indices)} ({len(self.indices)} found by {self.source})"

    @classmethod
    def from_nvidia_smi(cls, host: str, output: str | None, source: str = "nvidia-smi") -> GpuInventory:
        """Parse ``nvidia-smi --query-gpu=index,uuid --format=csv,noheader`` output (``None``: not available)."""
        if output is None:
            return cls(host, source=f"{source} not found")
        rows = [line.split(",") for line in output.splitlines() if line.strip()]
        return cls(
            host,
            indices=tuple(r[0].strip() for r in rows),
            uuids=tuple(r[1].strip() for r in rows if len(r) > 1),
            source=source,
        )

    @classmethod
    def probe(cls, host: Host) -> GpuInventory:
        """Ask the host: ``nvidia-smi`` locally, or over SSH (with host-key checking) for a remote host."""
        if host.is_local:
            exe = shutil.which("nvidia-smi")
            if exe is None:
                return cls.from_nvidia_smi(str(host), None)
            done = subprocess.run(_QUERY.split(), capture_output=True, text=True, check=False)
            return cls.from_nvidia_smi(str(host), done.stdout if done.returncode == 0 else "")
        return cls.from_nvidia_smi(str(host), _ssh_query(host))


def _ssh_query(host: Host) -> str | None:
    import paramiko

    client = paramiko.SSHClient()
    client.load_system_host_keys()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    params: dict[str, Any] = {"hostname": host.hostname, "port": host.port or 22, "username": host.user}
    config_file = os.path.expanduser("~/.ssh/config")
    if os.path.exists(config_file):
        config = paramiko.SSHConfig.from_path(config_file).lookup(host.hostname)
        if "identityfile" in config:
            params["key_filename"] = config["identityfile"]
    try:
        client.connect(**params, timeout=20)
        _, stdout, _ = client.exec_command(f"command -v nvidia-smi >/dev/null && {_QUERY}")
        output = stdout.read().decode()
        status = stdout.channel.recv_exit_status()
    except (OSError, paramiko.SSHException) as err:
        raise HostUnreachable(f"Cannot ask {host} for its GPUs over SSH: {err}") from None
    finally:
        client.close()
    return output if status == 0 else None
