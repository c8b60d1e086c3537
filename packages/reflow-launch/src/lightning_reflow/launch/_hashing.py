"""Content hashes of build inputs, cached by (size, mtime) so an unchanged wheelhouse costs only a stat."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path


class FileHasher:
    """sha256 of files, remembered in a JSON cache file keyed by absolute path, size and mtime."""

    def __init__(self, cache_file: Path | None = None) -> None:
        self._cache_file = cache_file
        self._cache: dict[str, list] = {}
        self._dirty = False
        if cache_file is not None and cache_file.is_file():
            with contextlib.suppress(OSError, ValueError):
                self._cache = json.loads(cache_file.read_text())

    def file(self, path: Path) -> str:
        """The hex sha256 of one file."""
        stat = path.stat()
        key = str(path.resolve())
        hit = self._cache.get(key)
        if hit and hit[0] == stat.st_size and hit[1] == stat.st_mtime_ns:
            return hit[2]
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        value = digest.hexdigest()
        self._cache[key] = [stat.st_size, stat.st_mtime_ns, value]
        self._dirty = True
        return value

    def save(self) -> None:
        """Write the cache back (atomically) if anything was hashed."""
        if not self._dirty or self._cache_file is None:
            return
        with contextlib.suppress(OSError):
            self._cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._cache_file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self._cache))
            os.replace(tmp, self._cache_file)
        self._dirty = False


def digest_of(parts: list[tuple[str, str]]) -> str:
    """A stable hex digest of (name, content hash) pairs."""
    digest = hashlib.sha256()
    for name, value in sorted(parts):
        digest.update(name.encode() + b"\0" + value.encode() + b"\n")
    return digest.hexdigest()
