"""FlowProgressBarCallback: its counters against Lightning's own schedule, in real fits."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint, TQDMProgressBar
from lightning.pytorch.demos.boring_classes import BoringModel
from torch.utils.data import DataLoader, IterableDataset

from lightning_reflow.callbacks import FlowProgressBarCallback
from lightning_reflow.callbacks.core import PauseStatus, PauseStatusProvider


class LoggingModel(BoringModel):
    """Logs its training loss under ``loss`` (not on the progress bar) and ``val_loss``."""

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        output = super().training_step(batch, batch_idx)
        self.log("loss", output["loss"])
        return output

    def validation_step(self, batch: Any, batch_idx: int) -> Any:
        output = super().validation_step(batch, batch_idx)
        self.log("val_loss", output["x"])
        return output


class Probe(pl.Callback):
    """Records the bar's public counters after every batch, and where Lightning really validated."""

    def __init__(self, bar: FlowProgressBarCallback) -> None:
        self.bar = bar
        self.rows: list[dict[str, Any]] = []
        self.validations: list[int] = []  # batches done (whole fit) when each validation started
        self.end = 0

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        done = trainer.fit_loop.epoch_loop.batch_progress.total.ready
        g, i = self.bar.global_progress, self.bar.interval_progress
        self.rows.append(dict(done=done, step=trainer.global_step, g_n=g.n, g_total=g.total, i_n=i.n, i_total=i.total))

    def on_validation_start(self, trainer: pl.Trainer, *args: Any) -> None:
        if not trainer.sanity_checking:
            self.validations.append(trainer.fit_loop.epoch_loop.batch_progress.total.ready)

    def on_train_end(self, trainer: pl.Trainer, *args: Any) -> None:
        self.end = trainer.fit_loop.epoch_loop.batch_progress.total.ready


def _fit(
    tmp_path: Path,
    settings: dict[str, Any],
    *,
    callbacks: list[pl.Callback] = (),
    ckpt_path: Path | None = None,
    model: pl.LightningModule | None = None,
) -> tuple[FlowProgressBarCallback, Probe, pl.Trainer]:
    bar = FlowProgressBarCallback(output="lines", line_interval=3600)
    probe = Probe(bar)
    options: dict[str, Any] = dict(limit_val_batches=1, num_sanity_val_steps=0)
    options.update(settings)
    trainer = pl.Trainer(
        default_root_dir=tmp_path,
        logger=False,
        enable_model_summary=False,
        enable_checkpointing=any(isinstance(c, ModelCheckpoint) for c in callbacks),
        callbacks=[bar, probe, *callbacks],
        **options,
    )
    trainer.fit(model or LoggingModel(), ckpt_path=ckpt_path)
    return bar, probe, trainer


def _check_against_lightning(probe: Probe, trainer: pl.Trainer, epoch_mode: bool = False) -> None:
    """Every row: the interval ends where Lightning next validated (or training ended), and started at
    the previous validation; the global counter is the optimizer step, out of the steps really taken."""
    assert probe.rows, "no training batch ran"
    for row in probe.rows:
        assert row["g_n"] == row["step"]
        assert row["g_total"] == trainer.global_step, row
        if epoch_mode:
            continue
        done = row["done"]
        upcoming = [v for v in probe.validations if v >= done]
        expected_end = min([*upcoming, probe.end])
        assert row["i_total"] - row["i_n"] == expected_end - done, (row, probe.validations, probe.end)
        before = [v for v in probe.validations if v < done]
        if before:
            assert row["i_n"] == done - max(before), (row, probe.validations)


TABLE = {
    "epochs, default interval": dict(max_epochs=2, limit_train_batches=6),
    "float interval 0.25": dict(max_epochs=2, limit_train_batches=10, val_check_interval=0.25),
    "int interval": dict(max_epochs=2, limit_train_batches=7, val_check_interval=3),
    "every 2nd epoch": dict(max_epochs=5, limit_train_batches=4, check_val_every_n_epoch=2),
    "across epochs (check_val_every_n_epoch=None)": dict(
        max_epochs=3, limit_train_batches=4, val_check_interval=5, check_val_every_n_epoch=None
    ),
    "accumulation, max_steps mid-epoch": dict(
        max_steps=5, limit_train_batches=7, val_check_interval=4, accumulate_grad_batches=3
    ),
    "accumulation, epochs bound": dict(max_epochs=2, limit_train_batches=7, accumulate_grad_batches=2),
    "max_steps, max_epochs=-1": dict(max_steps=7, max_epochs=-1, limit_train_batches=4, accumulate_grad_batches=2),
    "float limit_train_batches": dict(max_epochs=2, limit_train_batches=0.25, val_check_interval=0.5),
    "max_steps before max_epochs": dict(max_steps=9, max_epochs=5, limit_train_batches=4, val_check_interval=3),
    "float interval, every 2nd epoch, accumulation": dict(
        max_epochs=4,
        limit_train_batches=6,
        val_check_interval=0.5,
        check_val_every_n_epoch=2,
        accumulate_grad_batches=4,
    ),
    "one batch per epoch": dict(max_epochs=3, limit_train_batches=1),
    "interval equal to the epoch": dict(max_epochs=2, limit_train_batches=5, val_check_interval=5),
}


@pytest.mark.parametrize("settings", list(TABLE.values()), ids=list(TABLE))
def test_counters_follow_lightnings_schedule(tmp_path: Path, settings: dict[str, Any]) -> None:
    _, probe, trainer = _fit(tmp_path, settings)
    assert probe.validations or settings.get("limit_val_batches") == 0
    _check_against_lightning(probe, trainer)


class _Stream(IterableDataset):
    def __iter__(self) -> Any:
        while True:
            yield torch.randn(32)


class StreamModel(LoggingModel):
    """Trains on an endless stream: no epoch end, so ``max_steps`` bounds training."""

    def train_dataloader(self) -> DataLoader:
        return DataLoader(_Stream(), batch_size=2)


STREAMS = {
    "int interval within the endless epoch": dict(max_steps=10, val_check_interval=3),
    "across batches, accumulation": dict(
        max_steps=7, val_check_interval=3, accumulate_grad_batches=2, check_val_every_n_epoch=None
    ),
}


@pytest.mark.parametrize("settings", list(STREAMS.values()), ids=list(STREAMS))
def test_counters_follow_lightnings_schedule_on_an_endless_stream(tmp_path: Path, settings: dict[str, Any]) -> None:
    _, probe, trainer = _fit(tmp_path, settings, model=StreamModel())
    assert probe.validations
    _check_against_lightning(probe, trainer)


def test_time_based_validation_counts_the_epoch(tmp_path: Path) -> None:
    settings = dict(max_epochs=2, limit_train_batches=6, val_check_interval="00:00:00:01")
    _, probe, trainer = _fit(tmp_path, settings)
    _check_against_lightning(probe, trainer, epoch_mode=True)
    assert [(r["i_n"], r["i_total"]) for r in probe.rows] == [(n, 6) for n in range(1, 7)] * 2


def test_without_validation_the_interval_counts_the_epoch(tmp_path: Path) -> None:
    bar, probe, trainer = _fit(tmp_path, dict(max_epochs=2, limit_train_batches=5, limit_val_batches=0))
    _check_against_lightning(probe, trainer, epoch_mode=True)
    assert [(r["i_n"], r["i_total"]) for r in probe.rows] == [(n, 5) for n in range(1, 6)] * 2
    assert bar.interval_progress.label == "Epoch batches"


def test_global_total_counts_optimizer_steps_not_batches(tmp_path: Path) -> None:
    # 7 batches per epoch with accumulation 3: steps after batches 3, 6 and 7 (the epoch's last batch).
    _, probe, trainer = _fit(tmp_path, dict(max_epochs=2, limit_train_batches=7, accumulate_grad_batches=3))
    assert trainer.global_step == 6
    assert {r["g_total"] for r in probe.rows} == {6}
    assert [r["g_n"] for r in probe.rows] == [0, 0, 1, 1, 1, 2, 3, 3, 3, 4, 4, 4, 5, 6]


RESUMED = {
    "float interval": dict(max_epochs=3, limit_train_batches=10, val_check_interval=0.25),
    "across epochs": dict(max_epochs=3, limit_train_batches=4, val_check_interval=5, check_val_every_n_epoch=None),
    "accumulation and every 2nd epoch": dict(
        max_epochs=4, limit_train_batches=5, accumulate_grad_batches=2, check_val_every_n_epoch=2
    ),
}


@pytest.mark.parametrize("settings", list(RESUMED.values()), ids=list(RESUMED))
def test_resumed_run_shows_what_the_uninterrupted_run_showed(tmp_path: Path, settings: dict[str, Any]) -> None:
    saver = ModelCheckpoint(dirpath=tmp_path / "ckpt", every_n_train_steps=3, save_top_k=-1, filename="{step}")
    _, full, trainer = _fit(tmp_path / "full", settings, callbacks=[saver])
    _check_against_lightning(full, trainer)
    checkpoints = sorted((tmp_path / "ckpt").glob("step=*.ckpt"), key=lambda p: int(re.findall(r"\d+", p.name)[0]))
    middle = checkpoints[len(checkpoints) // 2]
    resumed_from = torch.load(middle, weights_only=True)["loops"]["fit_loop"]["epoch_loop.batch_progress"]
    done = resumed_from["total"]["ready"]  # saved at the batch end, before Lightning counts it completed
    assert 0 < done < full.end
    _, resumed, _ = _fit(tmp_path / "resumed", settings, ckpt_path=middle)
    assert resumed.rows == [r for r in full.rows if r["done"] > done]


class ScriptedPause(pl.Callback):
    """A real PauseStatusProvider: a pause (with upload) is scheduled from a given step; a fixed key hint."""

    def __init__(self, at_step: int, hint: str | None) -> None:
        self.at_step, self.hint = at_step, hint
        self.trainer: pl.Trainer | None = None

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self.trainer = trainer

    def pause_status(self) -> PauseStatus:
        scheduled = self.trainer is not None and self.trainer.global_step >= self.at_step
        reason = "signal" if scheduled else None
        return PauseStatus(scheduled=scheduled, upload_requested=scheduled, reason=reason, hint=self.hint)


def _lines_fit(tmp_path: Path, capsys: pytest.CaptureFixture[str], **kwargs: Any) -> list[str]:
    return _lines_fit_trainer(tmp_path, capsys, **kwargs)[0]


def _lines_fit_trainer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], **kwargs: Any
) -> tuple[list[str], pl.Trainer]:
    bar_kwargs = kwargs.pop("bar", {})
    bar = FlowProgressBarCallback(**bar_kwargs)
    options: dict[str, Any] = dict(num_sanity_val_steps=0, limit_val_batches=1)
    options.update(kwargs)
    options["callbacks"] = [bar, *options.pop("callbacks", [])]
    trainer = pl.Trainer(
        default_root_dir=tmp_path, logger=False, enable_model_summary=False, enable_checkpointing=False, **options
    )
    capsys.readouterr()
    trainer.fit(LoggingModel())
    return capsys.readouterr().out.splitlines(), trainer


def test_plain_lines_outside_a_terminal_show_metrics_and_pause_state(tmp_path: Path, capsys) -> None:
    pause = ScriptedPause(at_step=3, hint=None)
    assert isinstance(pause, PauseStatusProvider)
    lines = _lines_fit(
        tmp_path,
        capsys,
        bar=dict(line_interval=0, line_steps=0, global_bar_metrics=["loss", "val_*"], interval_bar_metrics=["lr-*"]),
        callbacks=[pause],
        max_steps=5,
        limit_train_batches=5,
    )
    assert len(lines) == 8  # the start, 5 batches, the validation after the 5th, the end (no rate limit)
    assert all("\r" not in line and "\x1b" not in line for line in lines)
    assert lines[0].startswith("Epoch 0: 0/5 steps")
    assert re.search(
        r"Epoch 0: 2/5 steps \(40%\) \| Until val: 2/5 batches \| .* \| loss=[-\d.e]+ \| lr-SGD=0.1$", lines[2]
    )
    assert "pause" not in " ".join(lines[:3])
    assert lines[3].endswith("pause scheduled + upload (signal)")
    assert "val_loss=" in lines[-1]


def test_key_hint_shown_only_when_a_key_can_pause(tmp_path: Path, capsys) -> None:
    with_hint = _lines_fit(
        tmp_path,
        capsys,
        bar=dict(line_interval=0, line_steps=0),
        callbacks=[ScriptedPause(99, "p: pause  w: pause+upload")],
        max_steps=2,
    )
    without = _lines_fit(
        tmp_path, capsys, bar=dict(line_interval=0, line_steps=0), callbacks=[ScriptedPause(99, None)], max_steps=2
    )
    assert all(line.endswith("p: pause  w: pause+upload") for line in with_hint)
    assert not any("pause" in line for line in without)


def test_plain_output_is_small_at_default_settings(tmp_path: Path, capsys) -> None:
    lines = _lines_fit(tmp_path, capsys, max_steps=200, limit_val_batches=0, bar=dict(output="lines"))
    assert len(lines) <= 3  # start, end, and at most one 30-second line
    # Even when every step takes longer than line_interval, a line needs 20 more optimizer steps.
    slow = _lines_fit(tmp_path, capsys, max_steps=200, limit_val_batches=0, bar=dict(line_interval=0))
    # The start, every 20th step, and the end line (written whatever the limits).
    assert [int(re.match(r"Epoch \d+: (\d+)/", line)[1]) for line in slow] == [*range(0, 201, 20), 200]
    assert sum(len(line) + 1 for line in slow) * 1000 / 200 < 10_000


def test_bars_in_a_terminal_use_tqdm_with_the_same_counters(tmp_path: Path, capsys) -> None:
    bar = FlowProgressBarCallback(output="bars")
    probe = Probe(bar)
    trainer = pl.Trainer(
        default_root_dir=tmp_path,
        logger=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        max_epochs=2,
        limit_train_batches=6,
        val_check_interval=3,
        limit_val_batches=1,
        callbacks=[bar, probe],
    )
    trainer.fit(LoggingModel())
    _check_against_lightning(probe, trainer)
    out = capsys.readouterr().out
    assert "12/12" in out and "Until val" in out


def test_replaces_lightnings_bar(tmp_path: Path) -> None:
    trainer = pl.Trainer(default_root_dir=tmp_path, callbacks=[FlowProgressBarCallback()], logger=False)
    assert isinstance(trainer.progress_bar_callback, FlowProgressBarCallback)
    assert not any(isinstance(c, TQDMProgressBar) for c in trainer.callbacks)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(output="fancy"), r"output='fancy'.*'auto', 'bars', 'lines'"),
        (dict(refresh_rate=-1), "refresh_rate=-1"),
        (dict(line_interval=-2), "line_interval=-2"),
        (dict(line_steps=-3), "line_steps=-3"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        FlowProgressBarCallback(**kwargs)


def test_metric_patterns_select_by_name_or_glob_and_values_stay_as_logged(tmp_path: Path, capsys) -> None:
    lines, trainer = _lines_fit_trainer(
        tmp_path,
        capsys,
        bar=dict(
            line_interval=0,
            line_steps=0,
            global_bar_metrics=["val_loss", "nothing*", "loss"],
            interval_bar_metrics=["lr-*"],
        ),
        max_epochs=1,
        limit_train_batches=4,
        accumulate_grad_batches=2,
    )
    logged = trainer.callback_metrics
    lr = trainer.optimizers[0].param_groups[0]["lr"]
    expected = f"| val_loss={logged['val_loss'].item():.4g} loss={logged['loss'].item():.4g} | lr-SGD={lr:.4g}"
    assert lines[-1].endswith(expected), (lines[-1], expected)


class RequestPauseAt(pl.Callback):
    """Asks the real PauseCallback for a pause (with upload) at the end of a given batch."""

    def __init__(self, pause: Any, at_done: int) -> None:
        self.pause, self.at_done = pause, at_done

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if trainer.fit_loop.epoch_loop.batch_progress.total.ready == self.at_done:
            self.pause.request_pause("api", upload=True)


def test_with_the_real_pause_callback_state_shows_and_resumed_counters_continue(tmp_path: Path, capsys) -> None:
    from lightning_reflow.callbacks import PauseCallback, PauseExit

    settings = dict(max_epochs=2, limit_train_batches=8, val_check_interval=3)
    _, full, trainer = _fit(tmp_path / "full", settings, callbacks=[PauseCallback(checkpoint_dir=str(tmp_path / "p0"))])
    _check_against_lightning(full, trainer)

    pause = PauseCallback(checkpoint_dir=str(tmp_path / "p1"))
    assert isinstance(pause, PauseStatusProvider)
    bar = FlowProgressBarCallback(output="lines", line_interval=0, line_steps=0)
    paused = pl.Trainer(
        default_root_dir=tmp_path / "paused",
        logger=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        limit_val_batches=1,
        num_sanity_val_steps=0,
        callbacks=[bar, pause, RequestPauseAt(pause, 4)],
        **settings,
    )
    capsys.readouterr()
    with pytest.raises(PauseExit) as stop:
        paused.fit(LoggingModel())
    lines = capsys.readouterr().out.splitlines()
    assert any(line.endswith("pause scheduled + upload (api)") for line in lines), lines
    assert not any("pause scheduled" in line for line in lines[:4])
    checkpoint = stop.value.outcome.checkpoint_path
    done = torch.load(checkpoint, weights_only=False)["loops"]["fit_loop"]["epoch_loop.batch_progress"]["total"]
    _, resumed, _ = _fit(
        tmp_path / "resumed",
        settings,
        callbacks=[PauseCallback(checkpoint_dir=str(tmp_path / "p2"))],
        ckpt_path=Path(checkpoint),
    )
    assert resumed.rows == [r for r in full.rows if r["done"] > done["ready"]]
    assert resumed.rows[0]["done"] == done["ready"] + 1


@pytest.mark.parametrize("output", ["bars", "lines"])
def test_validate_test_predict_outside_fit(tmp_path: Path, capsys, output: str) -> None:
    bar = FlowProgressBarCallback(output=output)
    trainer = pl.Trainer(
        default_root_dir=tmp_path, logger=False, enable_model_summary=False, limit_val_batches=3,
        limit_test_batches=2, limit_predict_batches=2, callbacks=[bar],
    )  # fmt: skip
    model = LoggingModel()
    trainer.validate(model)
    trainer.test(model)
    predictions = trainer.predict(model)
    assert len(predictions) == 2
    out = capsys.readouterr().out
    if output == "bars":
        assert "Validation" in out and "Testing" in out and "Predicting" in out
    else:  # no redraws; evaluation outside fit writes no progress lines
        assert "\r" not in out and "Validation" not in out and "Predicting" not in out


DDP_SCRIPT = """
import json, os, sys
import lightning.pytorch as pl
from lightning.pytorch.demos.boring_classes import BoringModel
from lightning_reflow.callbacks import FlowProgressBarCallback

out = sys.argv[1]


class Dump(pl.Callback):
    def __init__(self, bar):
        self.bar, self.rows = bar, []

    def on_train_batch_end(self, trainer, *args):
        g, i = self.bar.global_progress, self.bar.interval_progress
        self.rows.append([g.n, g.total, i.n, i.total])

    def on_train_end(self, trainer, *args):
        with open(os.path.join(out, f"rank{trainer.global_rank}.json"), "w") as f:
            json.dump(self.rows, f)


bar = FlowProgressBarCallback(output="lines", line_interval=0, line_steps=0)
trainer = pl.Trainer(
    strategy="ddp", devices=2, accelerator="cpu", max_epochs=2, limit_train_batches=4, val_check_interval=2,
    limit_val_batches=1, num_sanity_val_steps=0, logger=False, enable_model_summary=False,
    enable_checkpointing=False, callbacks=[bar, Dump(bar)],
)
trainer.fit(BoringModel())
"""


def test_ddp_only_rank_zero_writes_and_both_ranks_count_alike(tmp_path: Path) -> None:
    script = tmp_path / "ddp_bar.py"
    script.write_text(DDP_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k not in ("LOCAL_RANK", "RANK", "WORLD_SIZE")}
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path)], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0] == ranks[1]
    assert [row[2:] for row in ranks[0]] == [[1, 2], [2, 2], [1, 2], [2, 2]] * 2
    lines = [line for line in result.stdout.splitlines() if line.startswith("Epoch")]
    # One process writes: the start, 8 batches, 4 validations and the end.
    assert len(lines) == 1 + 8 + 4 + 1, result.stdout


TTY_SCRIPT = """
import sys, time, warnings
import lightning.pytorch as pl
from lightning.pytorch.demos.boring_classes import BoringModel
from lightning_reflow.callbacks import FlowProgressBarCallback, PauseCallback, PauseExit

warnings.filterwarnings("ignore")


class Slow(pl.Callback):
    def on_train_batch_end(self, trainer, *args):
        # After the bar's and the pause's hooks: a key pressed from now on is seen at the next batch end.
        sys.stdout.write(f"SLEEPING {trainer.global_step}\\n")
        sys.stdout.flush()
        time.sleep(0.15)  # longer than the bar's 0.1 s redraw limit: every batch is drawn


trainer = pl.Trainer(
    max_steps=60, limit_val_batches=0, logger=False, enable_model_summary=False, enable_checkpointing=False,
    callbacks=[FlowProgressBarCallback(), PauseCallback(checkpoint_dir=sys.argv[1]), Slow()],
)
try:
    trainer.fit(BoringModel())
except PauseExit:
    sys.exit(75)
"""


def _run_in_terminal(tmp_path: Path, *, stdin_is_tty: bool, press_after: str | None) -> tuple[int, str]:
    """Run the script with stdout on a pseudo-terminal (stdin too, if asked); press 'p' after a marker."""
    import pty
    import select

    script = tmp_path / "tty_bar.py"
    script.write_text(TTY_SCRIPT)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "pause")],
        stdin=slave if stdin_is_tty else subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.DEVNULL,
    )
    os.close(slave)
    output, pressed, deadline = b"", False, time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        if press_after and not pressed and press_after.encode() in output:
            os.write(master, b"p")
            pressed = True
        if proc.poll() is not None and not ready:
            break
    os.close(master)
    return proc.wait(timeout=60), output.decode(errors="replace")


def test_in_a_terminal_the_bar_shows_the_key_hint_then_the_scheduled_pause(tmp_path: Path) -> None:
    code, out = _run_in_terminal(tmp_path, stdin_is_tty=True, press_after="SLEEPING 5\r")
    assert code == 75, out[-2000:]
    assert "p: pause  w: pause+upload" in out
    # Drawn at the next batch end, before the pause callback (after it in trainer.callbacks) stops there.
    assert "6/60 [" in out.split("SLEEPING 5")[1].split("pause scheduled (key)")[0]
    assert "Epoch batches" in out  # the interval bar (no validation: it counts the epoch)


def test_in_a_terminal_without_keyboard_input_no_key_hint(tmp_path: Path) -> None:
    code, out = _run_in_terminal(tmp_path, stdin_is_tty=False, press_after=None)
    assert code == 0, out[-2000:]
    assert "60/60" in out and "\r" in out  # tqdm bars, redrawn in place
    assert "p: pause" not in out


def test_built_from_a_config_the_defaults_survive() -> None:
    """The seed's YAML form, parsed by jsonargparse as LightningCLI does (a ``#`` default stays a colour)."""
    jsonargparse = pytest.importorskip("jsonargparse")
    parser = jsonargparse.ArgumentParser()
    parser.add_argument("--callbacks", type=list[pl.Callback])
    entry = {
        "class_path": "lightning_reflow.callbacks.FlowProgressBarCallback",
        "init_args": {"refresh_rate": 1, "global_bar_metrics": ["loss", "val_loss"]},
    }
    (bar,) = parser.instantiate(parser.parse_object({"callbacks": [entry]})).callbacks
    assert isinstance(bar, FlowProgressBarCallback)
    assert bar.bar_colour == "#fcac17"
    assert bar.refresh_rate == 1 and bar.line_interval == 30.0 and bar.line_steps == 20
