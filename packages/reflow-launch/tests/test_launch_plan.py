"""The plan is a pure value: golden checks of what it prints and of the Engine API body it makes."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

import docker
from lightning_reflow.launch import planner
from lightning_reflow.launch.environment import EnvSpec
from lightning_reflow.launch.gpus import GpuInventory
from lightning_reflow.launch.host import Host
from lightning_reflow.launch.image_recipe import ImageRecipe
from lightning_reflow.launch.launch_plan import LaunchPlan

SECRET = "s3cr3t-value-never-printed"


def _plan(tmp_path: Path, hosts: list[Host], gpus: str | None = None) -> tuple[planner.RunRecord, LaunchPlan]:
    options = planner.LaunchOptions(hosts=hosts, gpus=gpus, runs_dir=tmp_path / "runs", network=None)
    record = planner.make_record("r1", options, str(tmp_path / "train.yaml"), "reflow-demo:abc")
    env = EnvSpec.build({"FROM_CONFIG": "1"}, [], ["PLAIN=yes"], ["WANDB_API_KEY"])
    record.env = dict(env.variables)
    command = planner.fit_command(record, "train.yaml", ["--trainer.max_epochs=2"])
    builds = tuple((h, step, None) for h in hosts for step in ImageRecipe(base_image="base:1").steps())
    return record, planner.make_plan(record, "fit", env, command, record.config, builds)


def test_local_plan_is_a_plain_docker_run(tmp_path: Path) -> None:
    _, plan = _plan(tmp_path, [Host()], gpus="0,1")
    text = plan.render()
    assert SECRET not in text and '{"WANDB_API_KEY": "***"}' in text
    run_line = next(line for line in text.splitlines() if " docker run " in line)
    pipe, _, command = run_line.partition(" | ")
    assert pipe == """printf '%s\\n' '{"WANDB_API_KEY": "***"}'"""
    argv = shlex.split(command)
    assert argv[:3] == ["docker", "run", "--init"]
    assert "--interactive" in argv and argv[argv.index("--gpus") + 1] == '"device=0,1"'
    assert f"{tmp_path / 'runs' / 'r1'}:/reflow/run:rw" in argv
    assert "lightning-reflow.run=r1" in argv and "REFLOW_SECRET_NAMES=WANDB_API_KEY" in argv
    assert "PLAIN=yes" in argv and "FROM_CONFIG=1" in argv
    assert "REFLOW_OUTCOME_FILE=/reflow/run/.reflow/outcome-1.json" in argv
    # exec form under docker-init: the entry shim execs reflow, no shell anywhere
    tail = argv[argv.index("reflow-demo:abc") :]
    assert tail == ["reflow-demo:abc", "python", "/opt/reflow/entry.py", "reflow", "fit", "--config",
                    "/reflow/run/config/train.yaml", "--trainer.max_epochs=2"]  # fmt: skip
    assert "sh" not in tail and "-c" not in tail
    assert "cp" in text.split() and "# image reflow-deps:" in text


def test_api_body_matches_the_printed_plan(tmp_path: Path) -> None:
    _, plan = _plan(tmp_path, [Host()], gpus="all")
    api = docker.APIClient(base_url="unix:///nonexistent.sock", version="1.41")
    body = plan.containers[0].container_config(api)
    assert body["HostConfig"]["Init"] is True
    (request,) = body["HostConfig"]["DeviceRequests"]
    assert (request["Driver"], request["Count"], request["Capabilities"]) == ("nvidia", -1, [["gpu"]])
    assert body["Cmd"][:3] == ["python", "/opt/reflow/entry.py", "reflow"]
    assert body["OpenStdin"] is True and body["StdinOnce"] is True
    assert body["WorkingDir"] == "/reflow/run"
    assert not any(SECRET in item or item.startswith("WANDB_API_KEY=") for item in body["Env"])


def test_multi_host_plan_sets_rendezvous_variables(tmp_path: Path) -> None:
    record, plan = _plan(tmp_path, [Host(), Host.parse("me@node2:2200")])
    _, rank1 = plan.containers
    for rank, spec in enumerate(plan.containers):
        assert spec.network == "host"
        assert spec.env["NODE_RANK"] == str(rank) and spec.env["WORLD_SIZE"] == "2"
        assert spec.env["MASTER_ADDR"] == "127.0.0.1" and spec.env["MASTER_PORT"] == str(record.master_port)
        assert "--trainer.num_nodes=2" in spec.command
    assert rank1.run_dir == "/var/tmp/reflow-runs/r1"
    remote = "\n".join(rank1.render())
    assert "docker --host ssh://me@node2:2200 create" in remote and "docker --host ssh://me@node2:2200 cp" in remote


def test_gpu_validation_in_planning() -> None:
    inventory = {"local": GpuInventory.from_nvidia_smi("local", "0, GPU-a\n1, GPU-b\n")}
    planner.validate_gpus("1", [Host()], inventory)
    with pytest.raises(planner.LaunchError, match="GPU 7 does not exist"):
        planner.validate_gpus("7", [Host()], inventory)
