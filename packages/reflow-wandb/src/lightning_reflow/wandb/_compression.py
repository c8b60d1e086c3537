"""Streamed gzip and sha256: never more than one chunk of a checkpoint in memory."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
from pathlib import Path

CHUNK = 4 * 1024 * 1024
GZIP_SUFFIX = ".gz"
# Level 1: checkpoint tensors are mostly incompressible noise, so a higher level costs CPU time
# (taken from the training process) for a few percent of size.
GZIP_LEVEL = 1


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def compress_file(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> str:
    """Gzip ``source`` into ``target`` chunk by chunk; return the sha256 of the *uncompressed* data.

    The digest is computed in the same pass, so the checkpoint is read once.
    """
    digest = hashlib.sha256()
    # mtime=0 and no file name in the header: the same checkpoint always gives the same bytes.
    with (
        open(source, "rb") as src,
        open(target, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0) as dst,
    ):
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()


def decompress_file(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> str:
    """Gunzip ``source`` into ``target`` chunk by chunk; return the sha256 of the decompressed data.

    Raises:
        OSError: ``source`` is not a valid gzip stream (``gzip.BadGzipFile`` or a truncated stream).
    """
    digest = hashlib.sha256()
    with gzip.open(source, "rb") as src, open(target, "wb") as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()


def copy_with_digest(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> str:
    """Copy a file chunk by chunk; return the sha256 of its content."""
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(target, "wb") as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()


def snapshot(source: Path, target: Path) -> None:
    """Freeze the current content of ``source`` at ``target`` cheaply.

    A hard link shares the inode, so a later atomic replace or deletion of ``source`` (what
    ``ModelCheckpoint`` does to ``last.ckpt`` and to old top-k files) does not change ``target``.
    Where links are impossible (another filesystem), the file is copied.
    """
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
