"""Per-step cost of the progress bars, and bytes they write to a non-terminal stdout.

Runs the same tiny fit (BoringModel, batch size 1, no validation) side by side in fresh processes,
interleaved round by round so that machine noise hits every configuration alike:

- ``no-bar``: ``enable_progress_bar=False`` (the baseline),
- ``tqdm``: Lightning's ``TQDMProgressBar`` (refresh_rate=1),
- ``flow``: ``FlowProgressBarCallback()`` at its defaults,
- ``flow+pause``: the same with ``PauseCallback`` attached,
- ``flow-bars``: ``FlowProgressBarCallback(output="bars")`` forced to draw tqdm bars into the pipe,
- ``flow-lines-slow``: the defaults with ``line_interval=0``, i.e. the line volume when every step
  takes longer than 30 s (the worst case for bytes at the default ``line_steps=20``).

Each child's stdout is a pipe (not a terminal) whose bytes are counted; steps per second are timed
between the end of a warm-up step and the end of training, both in wall-clock time and in CPU time of
the process (``time.process_time``, torch limited to one thread): on a shared machine the CPU-time
figure is the stable one, the wall-clock figure is what a user would see on an idle one. Prints
medians, ratios to ``no-bar`` and to ``tqdm``, and bytes per 1,000 steps. Because a few percent
drown in the noise of a shared machine, each child also times, in-process, every hook of the bar
(and of ``PauseCallback``) that Lightning calls, and reports their cost in microseconds per step
next to the no-bar step time: that ratio is the overhead itself, measured without a second run.

Usage: ``python bench/progress_overhead.py [--steps 3000] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIGS = ("no-bar", "tqdm", "flow", "flow+pause", "flow-bars", "flow-lines-slow")


def child(config: str, steps: int, warmup: int, result: Path) -> None:
    import logging

    import lightning.pytorch as pl
    import torch
    from lightning.pytorch.callbacks import TQDMProgressBar
    from lightning.pytorch.demos.boring_classes import BoringModel, RandomDataset
    from torch.utils.data import DataLoader

    from lightning_reflow.callbacks import FlowProgressBarCallback, PauseCallback

    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    torch.set_num_threads(1)

    class Model(BoringModel):
        def training_step(self, batch, batch_idx):
            output = super().training_step(batch, batch_idx)
            self.log("loss", output["loss"], prog_bar=True)
            return output

        def train_dataloader(self):
            return DataLoader(RandomDataset(32, steps + 1), batch_size=1)

    class Clock(pl.Callback):
        start = end = cpu_start = cpu_end = 0.0

        def on_train_batch_end(self, trainer, *args):
            if trainer.global_step == warmup:
                self.start, self.cpu_start = time.perf_counter(), time.process_time()

        def on_train_end(self, trainer, *args):
            self.end, self.cpu_end = time.perf_counter(), time.process_time()

    hook_time = [0.0]

    def timed(callback: pl.Callback) -> pl.Callback:
        """Time every hook Lightning calls on ``callback`` (instance attributes shadow the methods)."""
        for name in dir(callback):
            if name.startswith("on_") or name in ("setup", "teardown", "state_dict", "load_state_dict"):
                method = getattr(callback, name)

                def wrapper(*args, _method=method, **kwargs):
                    start = time.perf_counter()
                    try:
                        return _method(*args, **kwargs)
                    finally:
                        hook_time[0] += time.perf_counter() - start

                setattr(callback, name, wrapper)
        return callback

    class HookClock(pl.Callback):
        at_start = 0.0

        def on_train_batch_end(self, trainer, *args):
            if trainer.global_step == warmup:
                self.at_start = hook_time[0]

    clock = Clock()
    hook_clock = HookClock()
    callbacks: list[pl.Callback] = [clock, hook_clock]
    enable_bar = config != "no-bar"
    if config == "tqdm":
        callbacks.append(timed(TQDMProgressBar(refresh_rate=1)))
    elif config in ("flow", "flow+pause"):
        callbacks.append(timed(FlowProgressBarCallback()))
    elif config == "flow-bars":
        callbacks.append(timed(FlowProgressBarCallback(output="bars")))
    elif config == "flow-lines-slow":
        callbacks.append(timed(FlowProgressBarCallback(line_interval=0)))
    with tempfile.TemporaryDirectory() as tmp:
        if config == "flow+pause":
            callbacks.append(timed(PauseCallback(checkpoint_dir=tmp)))
        trainer = pl.Trainer(
            max_steps=steps,
            limit_val_batches=0,
            logger=False,
            enable_checkpointing=False,
            enable_model_summary=False,
            enable_progress_bar=enable_bar,
            callbacks=callbacks,
            default_root_dir=tmp,
            accelerator="cpu",
            devices=1,
        )
        trainer.fit(Model())
    measured = steps - warmup
    wall, cpu = clock.end - clock.start, clock.cpu_end - clock.cpu_start
    hooks_us = (hook_time[0] - hook_clock.at_start) / measured * 1e6
    result.write_text(json.dumps({"wall": measured / wall, "cpu": measured / cpu, "hooks_us": hooks_us}))


def run_one(config: str, steps: int, warmup: int) -> tuple[dict[str, float], int]:
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        command = [sys.executable, __file__, "--child", config, "--steps", str(steps), "--warmup", str(warmup)]
        env = {**os.environ, "TQDM_DISABLE_MONITOR": "1", "PYTHONUNBUFFERED": "1"}
        proc = subprocess.run(
            [*command, "--result", str(result)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, check=True
        )
        return json.loads(result.read_text()), len(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--child")
    parser.add_argument("--result", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.steps, args.warmup, args.result)
        return
    configs = args.configs.split(",")
    rates: dict[str, dict[str, list[float]]] = {kind: {c: [] for c in configs} for kind in ("cpu", "wall", "hooks_us")}
    sizes: dict[str, int] = {}
    for round_ in range(args.rounds):
        order = configs if round_ % 2 == 0 else configs[::-1]  # ABBA: no configuration always runs first
        for config in order:
            rate, size = run_one(config, args.steps, args.warmup)
            for kind in rates:
                rates[kind][config].append(rate[kind])
            sizes[config] = size
        line = ", ".join(f"{c}={rates['cpu'][c][-1]:.0f}/{rates['wall'][c][-1]:.0f}" for c in configs)
        print(f"round {round_ + 1}/{args.rounds} (cpu/wall steps/s): {line}", flush=True)
    print(f"\n{args.steps} steps ({args.warmup} warm-up), {args.rounds} rounds, stdout is a pipe")
    for kind, title in (("cpu", "steps per CPU second"), ("wall", "steps per wall-clock second")):
        median = {c: statistics.median(rates[kind][c]) for c in configs}
        print(f"\n{title}")
        print(f"{'config':<16}{'median':>9}{'min..max':>14}{'vs no-bar':>11}{'vs tqdm':>9}{'B/1000 steps':>14}")
        for c in configs:
            vs_none = f"{median[c] / median['no-bar']:.3f}" if "no-bar" in median else "-"
            vs_tqdm = f"{median[c] / median['tqdm']:.3f}" if "tqdm" in median else "-"
            spread = f"{min(rates[kind][c]):.0f}..{max(rates[kind][c]):.0f}"
            per_k = sizes[c] * 1000 / args.steps
            print(f"{c:<16}{median[c]:>9.0f}{spread:>14}{vs_none:>11}{vs_tqdm:>9}{per_k:>14.0f}")
    step_us = 1e6 / statistics.median(rates["cpu"]["no-bar"]) if "no-bar" in configs else float("nan")
    print(f"\nhook time per step, in-process (no-bar step: {step_us:.0f} us of CPU)")
    print(f"{'config':<16}{'us/step':>9}{'min..max':>14}{'of a step':>11}")
    for c in configs:
        if c == "no-bar":
            continue
        hooks = statistics.median(rates["hooks_us"][c])
        spread = f"{min(rates['hooks_us'][c]):.1f}..{max(rates['hooks_us'][c]):.1f}"
        print(f"{c:<16}{hooks:>9.1f}{spread:>14}{100 * hooks / step_us:>10.2f}%")


if __name__ == "__main__":
    main()
