"""The launcher against the real local Docker engine with the demo: build, pause by signal, exact resume."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import signal
import time
import uuid
from pathlib import Path

from _launching import DEMO_CONFIG, DEMO_PROJECT, SHORT_RUN, TRAINING_STARTED, launcher, same_weights

SECRET = "hunter2-" + hashlib.sha256(str(time.time()).encode()).hexdigest()[:12]


def _run_id(stderr: str) -> str:
    match = re.search(r"run (\S+) attempt \d+ started", stderr)
    assert match, stderr
    return match.group(1)


def test_build_skips_unchanged_and_rebuilds_only_the_code_layer(
    trainer_image: str, image_options: list[str], tmp_path: Path
) -> None:
    project = tmp_path / "examples"  # same folder name, same content: the same image
    shutil.copytree(DEMO_PROJECT, project, ignore=shutil.ignore_patterns("__pycache__", "*.ckpt"))
    options = [*image_options[2:], "--project", str(project), "--state-dir", str(tmp_path / "s")]
    code, out, err = launcher(["build", *options])
    assert code == 0, err
    assert out.strip() == trainer_image and "building" not in err  # nothing changed: no build at all
    # content never built before on this machine (an image of a fixed change would be found again)
    (project / "reflow_demo" / "extra.py").write_text(f"VALUE = {uuid.uuid4().hex!r}\n")
    code, out, err = launcher(["build", *options])
    assert code == 0, err
    assert out.strip() != trainer_image
    assert re.findall(r"building (\S+)", err) == [out.strip()]  # only the app image, not reflow-deps


def test_fit_pause_by_signal_then_resume_gives_the_uninterrupted_weights(
    engine, trainer_image: str, image_options: list[str], baseline: str, tmp_path: Path, cleanup_containers: list
) -> None:
    state, runs = tmp_path / "state", tmp_path / "runs"
    common = ["--state-dir", str(state)]
    args = ["fit", str(DEMO_CONFIG), *image_options, *common, "--runs-dir", str(runs), "--secret", "DEMO_TOKEN"]
    code, out, err = launcher([*args, *SHORT_RUN], env={"DEMO_TOKEN": SECRET}, signal_at=TRAINING_STARTED)
    run_id = _run_id(err)
    cleanup_containers.append(run_id)
    assert code == 75, err
    match = re.search(r"paused at step (\d+) \(epoch \d+, signal\)\. Checkpoint: (\S+)\. Resume with: (.+)$", err, re.M)
    assert match, err
    checkpoint = Path(match.group(2))
    assert checkpoint.is_file() and checkpoint.is_relative_to(runs / run_id)  # on the host, outlives the container
    assert match.group(3) == f"reflow-launch resume {run_id}"

    code, out, err = launcher(["ps", *common])
    assert re.search(rf"^{run_id}\s+paused@{match.group(1)}\s+1\s+local", out, re.M), out

    code, out, err = launcher(["resume", run_id, *common], env={"DEMO_TOKEN": SECRET})
    assert code == 0, err
    assert f"run {run_id} finished." in err
    final = runs / run_id / "runs" / "checkpoints" / "last.ckpt"
    assert same_weights(engine, trainer_image, baseline, str(final))

    code, logs, _ = launcher(["logs", run_id, *common])
    assert code == 0 and "max_epochs=2` reached" in logs


def test_secret_reaches_the_trainer_and_nothing_else(
    engine, trainer_image: str, image_options: list[str], tmp_path: Path, cleanup_containers: list
) -> None:
    state = tmp_path / "state"
    common = ["--state-dir", str(state)]
    args = ["fit", str(DEMO_CONFIG), *image_options, *common, "--runs-dir", str(tmp_path / "runs")]
    args += ["--secret", "DEMO_TOKEN", "-e", "VISIBLE=plain"]
    code, dry, _ = launcher([*args, "--dry-run"], env={"DEMO_TOKEN": SECRET})
    assert code == 0 and '{"DEMO_TOKEN": "***"}' in dry

    code, out, err = launcher([*args, "--detach", "--", "--trainer.max_epochs=1000"], env={"DEMO_TOKEN": SECRET})
    assert code == 0, err
    run_id = out.strip()
    cleanup_containers.append(run_id)
    (container,) = engine.containers.list(filters={"label": f"lightning-reflow.run={run_id}"})
    for _ in range(600):
        if TRAINING_STARTED in container.logs():
            break
        time.sleep(0.1)
    probe = (
        "import hashlib, os\n"
        "for pid in sorted(p for p in os.listdir('/proc') if p.isdigit()):\n"
        "    try:\n"
        "        env = open(f'/proc/{pid}/environ', 'rb').read().split(b'\\0')\n"
        "        stat = open(f'/proc/{pid}/stat').read()\n"
        "    except OSError: continue\n"
        "    cmd = open(f'/proc/{pid}/cmdline','rb').read().split(b'\\0')\n"
        "    val = [e.split(b'=',1)[1] for e in env if e.startswith(b'DEMO_TOKEN=')]\n"
        "    if val: print(pid, stat.split(') ')[1].split()[1], hashlib.sha256(val[0]).hexdigest(), cmd[1].decode())\n"
    )
    result = container.exec_run(["python", "-c", probe])
    _pid, parent, digest, script = result.output.decode().split()
    assert parent == "1" and script.endswith("/bin/reflow")  # the trainer itself, direct child of docker-init
    assert digest == hashlib.sha256(SECRET.encode()).hexdigest()

    code, out, err = launcher(["stop", run_id, *common])
    assert code == 75, err
    assert ("paused at step" in err and "preempt" in err.lower()) or "sigterm" in err.lower()

    record = (state / "runs" / f"{run_id}.json").read_text()
    image = engine.images.get(trainer_image)
    haystacks = {
        "dry-run": dry,
        "launcher output": out + err,
        "run record": record,
        "container inspect": json.dumps(engine.api.inspect_container(container.id)),
        "image inspect": json.dumps(image.attrs),
        "image history": json.dumps(image.history()),
        "container logs": container.logs().decode(errors="replace"),
        "run folder": "".join(p.read_text(errors="replace") for p in (tmp_path / "runs").rglob("*") if p.is_file()
                              and p.suffix != ".ckpt"),
    }  # fmt: skip
    assert "DEMO_TOKEN" in haystacks["container inspect"] and "VISIBLE=plain" in haystacks["container inspect"]
    leaks = [name for name, text in haystacks.items() if SECRET in text]
    assert leaks == []


def test_pause_sent_before_training_starts_is_not_lost(
    image_options: list[str], trainer_image: str, tmp_path: Path, cleanup_containers: list
) -> None:
    common = ["--state-dir", str(tmp_path / "state")]
    args = ["fit", str(DEMO_CONFIG), *image_options, *common, "--runs-dir", str(tmp_path / "runs"), "--detach"]
    code, out, err = launcher([*args, *SHORT_RUN])
    assert code == 0, err
    run_id = out.strip()
    cleanup_containers.append(run_id)
    code, _, err = launcher(["pause", run_id, *common])  # the trainer is still importing torch
    assert code == 75, err
    assert re.search(r"paused at step \d+ \(epoch 0, signal\)\. Checkpoint: \S+\.ckpt", err), err


def test_a_killed_launcher_leaves_a_run_that_ps_logs_and_pause_still_reach(
    image_options: list[str], trainer_image: str, tmp_path: Path, cleanup_containers: list
) -> None:
    common = ["--state-dir", str(tmp_path / "state")]
    args = ["fit", str(DEMO_CONFIG), *image_options, *common, "--runs-dir", str(tmp_path / "runs")]
    code, _, err = launcher([*args, *SHORT_RUN], signal_at=TRAINING_STARTED, sig=signal.SIGKILL)
    assert code == -signal.SIGKILL
    run_id = _run_id(err)
    cleanup_containers.append(run_id)
    code, out, _ = launcher(["ps", *common])
    assert re.search(rf"^{run_id}\s+running\s+1\s+local", out, re.M), out
    code, _, err = launcher(["pause", run_id, *common])
    assert code == 75, err
    assert re.search(r"paused at step \d+ \(epoch \d+, signal\)", err), err
    code, logs, _ = launcher(["logs", run_id, *common])
    assert code == 0 and "Paused at step" in logs
