"""Reading back what an offline W&B run recorded: the artifacts it logged, with their files.

wandb writes an offline run as ``offline-run-*/run-<id>.wandb``: a LevelDB-style log (32 KiB
blocks, 7-byte record headers, records split FIRST/MIDDLE/LAST across blocks) of protobuf
``Record`` messages. wandb 0.31 ships no Python reader for it, so this module reads the framing and
lets wandb's own protobuf classes parse each record. Used by the tests and handy to inspect what a
``wandb sync`` would upload.
"""

from __future__ import annotations

import json
import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_BLOCK = 32768
_HEADER = 7
_FILE_HEADER = struct.Struct("<4sHB")
_RECORD_HEADER = struct.Struct("<IHB")
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


@dataclass(frozen=True)
class RecordedArtifact:
    """One ``log_artifact`` call as recorded by an offline run.

    Attributes:
        name: the artifact name.
        type: the artifact type.
        aliases: the aliases it was logged with.
        metadata: its metadata.
        files: artifact file name -> staged local copy (what ``wandb sync`` will upload).
    """

    name: str
    type: str
    aliases: tuple[str, ...]
    metadata: dict[str, Any]
    files: dict[str, Path]


def read_records(path: str | Path) -> list[Any]:
    """Parse every record of a ``.wandb`` file into ``wandb_internal_pb2.Record`` messages.

    Raises:
        ValueError: the file is not a W&B transaction log, or a record fails its checksum.
    """
    from wandb.proto import wandb_internal_pb2

    data = Path(path).read_bytes()
    ident, magic, _ = _FILE_HEADER.unpack_from(data, 0)
    if ident != b":W&B" or magic != 0xBEE1:
        raise ValueError(f"{path} is not a W&B transaction log")
    payloads: list[bytes] = []
    pending = b""
    pos = _FILE_HEADER.size
    while pos + _HEADER <= len(data):
        left = _BLOCK - pos % _BLOCK
        if left < _HEADER:
            pos += left
            continue
        checksum, length, kind = _RECORD_HEADER.unpack_from(data, pos)
        if length == 0 and kind == 0:  # zero padding at the end of a block or of the file
            pos += left
            continue
        if pos + _HEADER + length > len(data):  # the writer is still appending this record
            break
        chunk = data[pos + _HEADER : pos + _HEADER + length]
        if zlib.crc32(chunk, zlib.crc32(bytes([kind]))) & 0xFFFFFFFF != checksum:
            raise ValueError(f"{path}: record at byte {pos} fails its checksum")
        pos += _HEADER + length
        if kind == _FULL:
            payloads.append(chunk)
        elif kind == _FIRST:
            pending = chunk
        elif kind == _MIDDLE:
            pending += chunk
        elif kind == _LAST:
            payloads.append(pending + chunk)
    records = []
    for payload in payloads:
        record = wandb_internal_pb2.Record()
        record.ParseFromString(payload)
        records.append(record)
    return records


def recorded_artifacts(run_dir: str | Path, *, wait: float = 0.0) -> list[RecordedArtifact]:
    """The artifacts logged by the offline run in ``run_dir`` (an ``offline-run-*`` folder), in order.

    Args:
        run_dir: the offline run's folder.
        wait: seconds to wait for the run's ``exit`` record: wandb's service may still be writing the
            log for a moment after ``run.finish()`` returned.

    Raises:
        FileNotFoundError: ``run_dir`` holds no ``run-*.wandb`` file.
        TimeoutError: the log was still incomplete after ``wait`` seconds (only when ``wait > 0``).
    """
    files = sorted(Path(run_dir).glob("run-*.wandb"))
    if not files:
        raise FileNotFoundError(f"no run-*.wandb file in {run_dir}")
    deadline = time.monotonic() + wait
    records = read_records(files[0])
    while wait > 0 and not any(r.WhichOneof("record_type") == "exit" for r in records):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{files[0]} has no exit record after {wait} s: the run is still being written")
        time.sleep(0.05)
        records = read_records(files[0])
    found = []
    for record in records:
        if record.WhichOneof("record_type") != "artifact":
            continue
        artifact = record.artifact
        found.append(
            RecordedArtifact(
                name=artifact.name,
                type=artifact.type,
                aliases=tuple(artifact.aliases),
                metadata=json.loads(artifact.metadata) if artifact.metadata else {},
                files={entry.path: Path(entry.local_path) for entry in artifact.manifest.contents},
            )
        )
    return found


def offline_run_dirs(wandb_dir: str | Path) -> list[Path]:
    """The ``offline-run-*`` folders under a ``WANDB_DIR`` (or its ``wandb`` subfolder), oldest first."""
    root = Path(wandb_dir)
    if (root / "wandb").is_dir():
        root = root / "wandb"
    return sorted(root.glob("offline-run-*"))
