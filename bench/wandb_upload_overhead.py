"""Training time with W&B checkpoint uploads every epoch against the same run without uploads.

Runs the same fit (a 4-layer MLP, Adam, ModelCheckpoint(save_last=True) every epoch, WandbLogger in
offline mode: hashing, compression and staging are real, only the network is absent) alternately
without and with ``WandbArtifactCheckpoint``, and prints the ratio of the median training times
(``on_train_start`` to ``on_train_end``; goal <= 1.05). Then pauses a run with ``upload_to_wandb``
and prints how long the pause waited for its upload.

    python bench/wandb_upload_overhead.py [--pairs 3] [--epochs 4] [--width 1024]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("WANDB_BASE_URL", "http://127.0.0.1:9")
os.environ.setdefault("WANDB_DISABLE_GIT", "true")

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.loggers import WandbLogger
from torch.utils.data import DataLoader, TensorDataset

from lightning_reflow.callbacks import PauseCallback, PauseExit
from lightning_reflow.callbacks.wandb import WandbArtifactCheckpoint


class MLP(pl.LightningModule):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(64, width), torch.nn.ReLU(),
            torch.nn.Linear(width, width), torch.nn.ReLU(),
            torch.nn.Linear(width, width), torch.nn.ReLU(),
            torch.nn.Linear(width, 1),
        )  # fmt: skip

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        return torch.nn.functional.mse_loss(self.net(x), y)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=1e-4)


class TrainTimer(Callback):
    """Wall time and the training thread's own CPU time from on_train_start to on_train_end, and each step's time."""

    def on_train_start(self, *args: Any) -> None:
        self.start, self.cpu_start = time.perf_counter(), time.thread_time()
        self.steps: list[float] = []

    def on_train_batch_start(self, *args: Any) -> None:
        self.step_start = time.perf_counter()

    def on_train_batch_end(self, *args: Any) -> None:
        self.steps.append(time.perf_counter() - self.step_start)

    def on_train_end(self, *args: Any) -> None:
        self.seconds = time.perf_counter() - self.start
        self.cpu = time.thread_time() - self.cpu_start


class TimedUploader(WandbArtifactCheckpoint):
    """Records how long a pause waited in ``wait_for_uploads``."""

    waited: float | None = None

    def wait_for_uploads(self, timeout: float | None = None) -> bool:
        start = time.perf_counter()
        try:
            return super().wait_for_uploads(timeout)
        finally:
            self.waited = time.perf_counter() - start


class PauseAtStep(Callback):
    def __init__(self, pause: PauseCallback, step: int) -> None:
        self.pause, self.step = pause, step

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if trainer.global_step == self.step:
            self.pause.request_pause("api", upload=True)


def _env(root: Path) -> None:
    for name, sub in (("WANDB_DATA_DIR", "data"), ("WANDB_CACHE_DIR", "cache"), ("WANDB_CONFIG_DIR", "config")):
        (root / sub).mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(root / sub)


def _fit(root: Path, args: argparse.Namespace, extra: list[Callback]) -> tuple[pl.Trainer, TrainTimer]:
    _env(root / "wb")
    generator = torch.Generator().manual_seed(0)
    data = TensorDataset(torch.randn(args.batches * 32, 64, generator=generator), torch.randn(args.batches * 32, 1))
    timer = TrainTimer()
    trainer = pl.Trainer(
        default_root_dir=root,
        max_epochs=args.epochs,
        logger=WandbLogger(project="reflow-bench", save_dir=str(root)),
        callbacks=[ModelCheckpoint(dirpath=root / "ckpt", save_last=True), timer, *extra],
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        devices=1,
    )
    torch.manual_seed(0)
    try:
        trainer.fit(MLP(args.width), DataLoader(data, batch_size=32))
    except PauseExit:
        pass
    finally:
        trainer.logger.experiment.finish()
    return trainer, timer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=3, help="runs of each kind, alternated")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batches", type=int, default=40, help="batches per epoch")
    parser.add_argument("--width", type=int, default=1024, help="hidden width (1024: ~2.2M params, ~25 MB ckpt)")
    args = parser.parse_args()
    torch.set_num_threads(1)  # leave the second core to the upload thread, as a GPU run would

    base, upload, end_waits, base_cpu, upload_cpu, base_steps, upload_steps = [], [], [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="reflow-bench-") as tmp:
        for i in range(args.pairs):
            _, timer = _fit(Path(tmp) / f"base{i}", args, [])
            base.append(timer.seconds)
            base_cpu.append(timer.cpu)
            base_steps += timer.steps
            start = time.perf_counter()
            trainer, timer = _fit(Path(tmp) / f"upload{i}", args, [WandbArtifactCheckpoint()])
            upload.append(timer.seconds)
            upload_cpu.append(timer.cpu)
            upload_steps += timer.steps
            end_waits.append(time.perf_counter() - start - timer.seconds)
            callback = next(cb for cb in trainer.callbacks if isinstance(cb, WandbArtifactCheckpoint))
            assert len(callback.uploads_completed) == args.epochs and not callback.upload_errors
            print(
                f"pair {i}: without uploads {base[-1]:.2f} s, with uploads {upload[-1]:.2f} s, "
                f"ratio {upload[-1] / base[-1]:.3f}"
            )
        size = (Path(tmp) / "upload0" / "ckpt" / "last.ckpt").stat().st_size

        uploader = TimedUploader()
        pause = PauseCallback(checkpoint_dir=str(Path(tmp) / "pause" / "pause"))
        _fit(Path(tmp) / "pause", args, [pause, PauseAtStep(pause, args.batches + 5), uploader])
        assert pause.outcome is not None and uploader.waited is not None

    ratio = statistics.median(upload) / statistics.median(base)
    pair_ratio = statistics.median(u / b for u, b in zip(upload, base))
    cpu_ratio = statistics.median(upload_cpu) / statistics.median(base_cpu)
    step_ratio = statistics.median(upload_steps) / statistics.median(base_steps)
    print(f"checkpoint size: {size / 1e6:.1f} MB, {args.epochs} epochs x {args.batches} batches, {args.pairs} pairs")
    print(f"median training time without uploads: {statistics.median(base):.2f} s")
    print(f"median training time with uploads every epoch: {statistics.median(upload):.2f} s")
    print(f"ratio of medians (with / without): {ratio:.3f}x (goal <= 1.05x)")
    print(f"median of per-pair ratios: {pair_ratio:.3f}x")
    print(
        f"median step time: {statistics.median(base_steps) * 1e3:.2f} ms without, "
        f"{statistics.median(upload_steps) * 1e3:.2f} ms with uploads: throughput ratio {step_ratio:.3f}x"
    )
    print(f"training thread CPU time ratio (insensitive to other load on the machine): {cpu_ratio:.3f}x")
    print(f"end of training, setup and run finish, median: {statistics.median(end_waits):.2f} s (outside the ratio)")
    print(f"pause waited for its upload: {uploader.waited:.2f} s")


if __name__ == "__main__":
    main()
