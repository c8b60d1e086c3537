"""Writes a large checkpoint with atomic_save in a loop until killed (for the kill-during-write test)."""

import sys

import torch

from lightning_reflow.utils.checkpoint import atomic_save

if __name__ == "__main__":
    payload = {"state_dict": {"w": torch.full((64, 1024, 1024), 2.0)}, "generation": 2}  # 256 MiB
    print("READY", flush=True)
    while True:
        atomic_save(payload, sys.argv[1])
