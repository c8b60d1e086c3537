"""A callback that writes the wall-clock time of the first training step to ``$BENCH_STAMP_FILE``."""

from __future__ import annotations

import os
import time
from typing import Any

from lightning.pytorch import Callback


class FirstStepStamp(Callback):
    """Records when the first training batch of this process starts."""

    def __init__(self) -> None:
        self.done = False

    def on_train_batch_start(self, *args: Any) -> None:
        if not self.done and os.environ.get("BENCH_STAMP_FILE"):
            self.done = True
            with open(os.environ["BENCH_STAMP_FILE"], "w") as out:
                out.write(repr(time.time()))
