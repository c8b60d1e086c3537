"""The ``file`` resume source: a checkpoint on the local filesystem."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from lightning_reflow.utils.checkpoint import ResolvedCheckpoint


class FileResumeSource:
    """Resolves a local path (``ckpt/pause.ckpt``, ``/abs/x.ckpt``) or a ``file://`` URL."""

    scheme = "file"

    def resolve(self, reference: str, *, download_dir: Path) -> ResolvedCheckpoint:
        """Return the checkpoint at ``reference`` as an absolute path.

        Raises:
            FileNotFoundError: nothing is at the path.
            ValueError: the path is a directory.
        """
        del download_dir  # nothing to download
        text = reference
        if text.startswith("file://"):
            text = unquote(urlparse(text).path)
        path = Path(text).expanduser()
        if not path.exists():
            raise FileNotFoundError(
                f"Checkpoint not found: {reference} (resolved from {Path.cwd()}). Check the path; a pause prints "
                "the exact one in its `Resume with:` line and in last-pause.json beside the checkpoint."
            )
        if path.is_dir():
            raise ValueError(f"{reference} is a directory; pass the path of a `.ckpt` file inside it.")
        return ResolvedCheckpoint(path=path.resolve(), description=f"local file {path.resolve()}")
