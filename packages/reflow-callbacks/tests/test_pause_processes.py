"""Pause and exact resume across real processes: external signals, early signals, a TTY, DDP."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import termios
from pathlib import Path

import pytest
import torch
from _fit import assert_same_weights

from lightning_reflow.callbacks import EXIT_PAUSED

SCRIPT = Path(__file__).parent / "scripts" / "train.py"


def _start(tmp_path: Path, name: str, *args: str, **kwargs: object) -> subprocess.Popen[str]:
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), str(ckpt), str(tmp_path / f"{name}.pt"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,  # type: ignore[arg-type]
    )


def _run(tmp_path: Path, name: str, *args: str, timeout: float = 240) -> tuple[int, str]:
    proc = _start(tmp_path, name, *args)
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def _wait_for_line(proc: subprocess.Popen[str], prefix: str, seen: list[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if line.startswith(prefix):
            return
    raise AssertionError(f"the run ended before printing {prefix!r}:\n{''.join(seen)}")


def _checkpoint(tmp_path: Path) -> Path:
    found = sorted((tmp_path / "ckpt").glob("pause-*.ckpt"))
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, torch.Tensor]:
    tmp = tmp_path_factory.mktemp("baseline")
    code, out = _run(tmp, "baseline")
    assert code == 0, out
    return torch.load(tmp / "baseline.pt")


def test_external_signal_pauses_with_status_75_and_resumes_exactly(tmp_path: Path, uninterrupted: dict) -> None:
    proc = _start(tmp_path, "paused", "--step-sleep", "0.05")
    seen: list[str] = []
    _wait_for_line(proc, "STEP 14 ", seen)
    proc.send_signal(signal.SIGUSR1)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == EXIT_PAUSED, "".join(seen) + out
    ckpt = _checkpoint(tmp_path)
    assert f"Checkpoint: {ckpt}" in out and "Resume with:" in out
    assert out.count("Resume with:") == 1

    code, out = _run(tmp_path, "resumed", "--resume", str(ckpt))
    assert code == 0, out
    assert_same_weights(uninterrupted, torch.load(tmp_path / "resumed.pt"))


def test_signal_before_training_starts_is_not_lost(tmp_path: Path, uninterrupted: dict) -> None:
    code, out = _run(tmp_path, "early", "--early-signal")
    assert code == EXIT_PAUSED, out
    ckpt = _checkpoint(tmp_path)
    assert "step=1" in ckpt.name  # the first safe point: after the first optimizer step
    code, out = _run(tmp_path, "resumed", "--resume", str(ckpt))
    assert code == 0, out
    assert_same_weights(uninterrupted, torch.load(tmp_path / "resumed.pt"))


def test_pause_key_in_a_terminal_and_terminal_restored(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    slave_name = os.ttyname(slave)
    before = termios.tcgetattr(slave)
    assert before[3] & termios.ECHO and before[3] & termios.ICANON
    proc = _start(tmp_path, "tty", "--step-sleep", "0.05", stdin=slave)
    os.close(slave)
    seen: list[str] = []
    _wait_for_line(proc, "STEP 5 ", seen)
    assert any("Press 'p' to pause" in line for line in seen), "".join(seen)
    os.write(master, b"p")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == EXIT_PAUSED, "".join(seen) + out
    assert _checkpoint(tmp_path).exists()
    # the child put the terminal in cbreak mode while training; it must have restored it on exit
    reopened = os.open(slave_name, os.O_RDWR | os.O_NOCTTY)
    try:
        after = termios.tcgetattr(reopened)
    finally:
        os.close(reopened)
        os.close(master)
    assert after[3] == before[3], "local modes (echo, canonical input) not restored"


def test_no_tty_means_no_key_listener(tmp_path: Path) -> None:
    proc = _start(tmp_path, "notty", "--epochs", "1", stdin=subprocess.DEVNULL)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert "Press 'p'" not in out


def test_ddp_signal_to_one_rank_pauses_both_at_the_same_step(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    base_dir = tmp_path_factory.mktemp("ddp-baseline")
    code, out = _run(base_dir, "baseline", "--ddp")
    assert code == 0, out
    expected = torch.load(base_dir / "baseline.pt")

    proc = _start(tmp_path, "paused", "--ddp", "--step-sleep", "0.05")
    seen: list[str] = []
    _wait_for_line(proc, "STEP 4 RANK 1", seen)
    rank1 = int((tmp_path / "ckpt" / "rank1.pid").read_text())
    os.kill(rank1, signal.SIGUSR1)  # to the non-zero rank only
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == EXIT_PAUSED, "".join(seen) + out
    ckpt = _checkpoint(tmp_path)
    state = torch.load(ckpt, weights_only=True)
    pause_state = next(v for k, v in state["callbacks"].items() if k.startswith("PauseCallback"))
    assert len(pause_state["ranks"]) == 2  # both ranks' RNG streams
    stopped = {r: json.loads((tmp_path / "ckpt" / f"stopped-rank{r}.json").read_text()) for r in (0, 1)}
    assert stopped[0] == stopped[1] == {"global_step": state["global_step"]}, stopped  # same step, both ranks

    code, out = _run(tmp_path, "resumed", "--ddp", "--resume", str(ckpt))
    assert code == 0, out
    assert_same_weights(expected, torch.load(tmp_path / "resumed.pt"))


def test_pause_signal_during_interpreter_teardown_does_not_kill(tmp_path: Path) -> None:
    # Python resets handled signals to their default action while it finalises; a launcher that
    # repeats the pause signal must not turn a clean pause (75) into a death by SIGUSR1 (138).
    script = Path(__file__).parent / "scripts" / "late_signal.py"
    proc = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == EXIT_PAUSED, proc.stdout + proc.stderr
    assert list(tmp_path.glob("pause-*.ckpt"))
