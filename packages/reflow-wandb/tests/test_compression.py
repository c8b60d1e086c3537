"""Compression streams: a checkpoint is never held twice (or even once) in memory."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path

from lightning_reflow.wandb._compression import CHUNK, compress_file, decompress_file, sha256_file

SIZE = 48 * 1024 * 1024


def test_round_trip_with_digest_and_bounded_memory(tmp_path: Path) -> None:
    source = tmp_path / "model.ckpt"
    with open(source, "wb") as handle:
        for _ in range(SIZE // CHUNK):
            handle.write(os.urandom(CHUNK))
    expected = hashlib.sha256(source.read_bytes()).hexdigest()

    tracemalloc.start()
    try:
        digest = compress_file(source, tmp_path / "model.ckpt.gz")
        round_trip = decompress_file(tmp_path / "model.ckpt.gz", tmp_path / "back.ckpt")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert digest == round_trip == expected == sha256_file(tmp_path / "back.ckpt")
    # A few chunks at most, far below one whole copy of the checkpoint.
    assert peak < 4 * CHUNK < SIZE / 2, f"peak {peak / 1e6:.1f} MB for a {SIZE / 1e6:.0f} MB file"


def test_compressing_twice_gives_identical_bytes(tmp_path: Path) -> None:
    source = tmp_path / "a.ckpt"
    source.write_bytes(b"weights" * 1000)
    compress_file(source, tmp_path / "1.gz")
    compress_file(source, tmp_path / "2.gz")
    assert (tmp_path / "1.gz").read_bytes() == (tmp_path / "2.gz").read_bytes()
