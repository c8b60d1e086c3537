"""The launcher through Docker's SSH transport to a real sshd on loopback, and a 2-host DDP run."""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path

from _launching import DEMO_CONFIG, SHORT_RUN, TRAINING_STARTED, launcher, same_weights

SECRET = "ssh-secret-" + str(time.time_ns())


def _wait_for_training(engine, run_id: str, attempt: int) -> None:
    label = [f"lightning-reflow.run={run_id}", f"lightning-reflow.attempt={attempt}"]
    for _ in range(1200):
        containers = engine.containers.list(all=True, filters={"label": label})
        if containers and TRAINING_STARTED in containers[0].logs():
            return
        time.sleep(0.1)
    raise AssertionError(f"attempt {attempt} of {run_id} never started training")


def test_over_ssh_signal_pause_then_detached_pause_then_exact_resume(
    engine, sshd: dict, ssh_home: Path, trainer_image: str, image_options: list[str], baseline: str,
    tmp_path: Path, cleanup_containers: list,
) -> None:  # fmt: skip
    remote_runs = tmp_path / "remote-runs"  # a folder of the remote host (here: the same machine)
    common = ["--state-dir", str(tmp_path / "state")]
    env = {"HOME": str(ssh_home), "DEMO_TOKEN": SECRET}
    args = ["fit", str(DEMO_CONFIG), *image_options, *common, "--host", sshd["spec"], "--secret", "DEMO_TOKEN"]
    args += ["--remote-runs-dir", str(remote_runs)]
    code, _, err = launcher([*args, *SHORT_RUN], env=env, signal_at=TRAINING_STARTED)
    run_id = re.search(r"run (\S+) attempt 1 started", err).group(1)
    cleanup_containers.append(run_id)
    assert code == 75, err
    match = re.search(
        rf"Checkpoint: (\S+) on {re.escape(sshd['spec'])}\. Resume with: reflow-launch resume {run_id}", err
    )
    assert match, err
    assert Path(match.group(1)).is_file() and Path(match.group(1)).is_relative_to(remote_runs / run_id)

    code, out, err = launcher(["resume", run_id, "--detach", *common], env=env)
    assert code == 0 and out.strip() == run_id, err
    _wait_for_training(engine, run_id, 2)
    code, _, err = launcher(["pause", run_id, *common], env=env)
    assert code == 75, err
    assert re.search(r"paused at step \d+ \(epoch \d+, signal\)", err), err

    code, _, err = launcher(["resume", run_id, *common], env=env)
    assert code == 0, err
    final = remote_runs / run_id / "runs" / "checkpoints" / "last.ckpt"
    assert same_weights(engine, trainer_image, baseline, str(final))
    # the secret went through the attach stream over SSH (the entry shim exits 2 without it) and nowhere else
    for container in engine.containers.list(all=True, filters={"label": f"lightning-reflow.run={run_id}"}):
        assert SECRET not in json.dumps(container.attrs) and SECRET.encode() not in container.logs()
    assert SECRET not in (tmp_path / "state" / "runs" / f"{run_id}.json").read_text()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_hosts_ddp_pause_both_ranks_together_then_resume(
    engine, sshd: dict, ssh_home: Path, trainer_image: str, image_options: list[str], tmp_path: Path,
    cleanup_containers: list,
) -> None:  # fmt: skip
    common = ["--state-dir", str(tmp_path / "state")]
    args = ["fit", str(DEMO_CONFIG), *image_options, *common, "--hosts", f"local,{sshd['spec']}"]
    shared = tmp_path / "shared-runs"  # both "hosts" see the same folder, as with shared storage between nodes
    args += ["--runs-dir", str(shared), "--remote-runs-dir", str(shared)]
    args += ["--master-port", str(_free_port()), "-e", "GLOO_SOCKET_IFNAME=lo"]
    reflow = ["--", "--trainer.strategy=ddp", "--trainer.max_epochs=3"]
    code, out, err = launcher([*args, *reflow], env={"HOME": str(ssh_home)}, signal_at=TRAINING_STARTED)
    run_id = re.search(r"run (\S+) attempt 1 started", err).group(1)
    cleanup_containers.append(run_id)
    assert code == 75, err + out[-3000:]
    assert re.search(r"paused at step \d+ \(epoch \d+, signal\)\. Checkpoint: \S+\. Resume with", err), err
    containers = engine.containers.list(all=True, filters={"label": f"lightning-reflow.run={run_id}"})
    ranks = {c.labels["lightning-reflow.rank"]: c for c in containers}
    assert sorted(ranks) == ["0", "1"]
    for container in containers:
        container.reload()
        assert container.attrs["HostConfig"]["NetworkMode"] == "host"
        assert container.attrs["State"]["ExitCode"] == 75  # every rank stopped at the pause, none crashed
    env1 = dict(item.split("=", 1) for item in ranks["1"].attrs["Config"]["Env"])
    assert (env1["NODE_RANK"], env1["WORLD_SIZE"], env1["MASTER_ADDR"]) == ("1", "2", "127.0.0.1")
    assert "[root@127.0.0.1" in out and "[local rank 0]" in out  # both nodes' output, prefixed

    code, out, err = launcher(["resume", run_id, *common], env={"HOME": str(ssh_home)})
    assert code == 0, err + out[-3000:]
    assert (shared / run_id / "runs" / "checkpoints" / "last.ckpt").is_file()
    resumed = engine.containers.list(
        all=True, filters={"label": [f"lightning-reflow.run={run_id}", "lightning-reflow.attempt=2"]}
    )
    assert sorted(c.attrs["State"]["ExitCode"] for c in resumed) == [0, 0]
