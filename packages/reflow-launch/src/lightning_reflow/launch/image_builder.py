"""Build the recipe's images on an engine, skipping every step whose hash-tagged image is already there."""

from __future__ import annotations

import io
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from lightning_reflow.launch.errors import BuildFailed

if TYPE_CHECKING:
    import docker
    from lightning_reflow.launch.image_recipe import BuildStep


def _stderr(line: str) -> None:
    sys.stderr.write(line)
    sys.stderr.flush()


class ImageBuilder:
    """Runs :class:`BuildStep` s with the legacy builder (what the Python SDK speaks).

    Build steps use host networking so that package downloads work on engines without a bridge.
    """

    def __init__(self, client: docker.DockerClient, log: Callable[[str], None] = _stderr) -> None:
        self.client = client
        self.log = log

    def exists(self, tag: str) -> bool:
        """Whether the engine has an image with this tag."""
        import docker

        try:
            self.client.images.get(tag)
        except docker.errors.ImageNotFound:
            return False
        return True

    def ensure(self, steps: tuple[BuildStep, ...], force: bool = False) -> list[str]:
        """Build the steps that are missing (or all, with ``force``); return the tags that were built."""
        built: list[str] = []
        for step in steps:
            if not force and self.exists(step.tag):
                continue
            self.build(step, nocache=force)
            built.append(step.tag)
        return built

    def build(self, step: BuildStep, nocache: bool = False) -> None:
        """Send the step's context and build it, streaming the builder's output to the log.

        Raises:
            BuildFailed: with the builder's last lines.
        """
        self.log(f"reflow-launch: building {step.tag} ({step.summary() or 'Dockerfile only'})\n")
        tail: list[str] = []
        with tempfile.TemporaryFile() as context:
            write_context(step, context)
            context.seek(0)
            try:
                stream = self.client.api.build(
                    fileobj=context,
                    custom_context=True,
                    tag=step.tag,
                    rm=True,
                    forcerm=True,
                    nocache=nocache,
                    decode=True,
                    network_mode="host",
                    labels={"lightning-reflow.recipe": "1"},
                )
                for chunk in stream:
                    if "error" in chunk:
                        raise BuildFailed(
                            f"building {step.tag} failed: {chunk['error'].strip()}\n" + "".join(tail[-15:])
                        )
                    text = chunk.get("stream") or ""
                    if text:
                        tail.append(text)
                        if text.startswith("Step ") or "Successfully" in text:
                            self.log("  " + text if text.endswith("\n") else "  " + text + "\n")
            except BuildFailed:
                raise
            except Exception as err:  # the engine's API errors carry the reason in their text
                raise BuildFailed(f"building {step.tag} failed: {err}") from None


def write_context(step: BuildStep, stream: IO[bytes]) -> None:
    """Write the build context as a deterministic tar (fixed mtimes and owners keep the layer cache warm)."""
    with tarfile.open(fileobj=stream, mode="w") as tar:
        _add(tar, "Dockerfile", step.dockerfile.encode(), 0o644)
        for name, source in sorted(step.files.items()):
            if isinstance(source, bytes):
                _add(tar, name, source, 0o644)
            else:
                mode = 0o755 if Path(source).stat().st_mode & 0o111 else 0o644
                info = _info(name, Path(source).stat().st_size, mode)
                with open(source, "rb") as handle:
                    tar.addfile(info, handle)


def _info(name: str, size: int, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = mode
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    tar.addfile(_info(name, len(data), mode), io.BytesIO(data))
