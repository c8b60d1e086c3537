"""Turn command-line options (and, for resume, a run record) into a :class:`LaunchPlan` and a record."""

from __future__ import annotations

import os
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lightning_reflow.launch._hashing import FileHasher
from lightning_reflow.launch.environment import EnvSpec
from lightning_reflow.launch.errors import ConfigNotFound, LaunchError, RunStateError
from lightning_reflow.launch.gpus import GpuInventory, GpuRequest
from lightning_reflow.launch.host import Host
from lightning_reflow.launch.image_recipe import DEFAULT_BASE_IMAGE, ImageRecipe
from lightning_reflow.launch.launch_plan import LABEL, RUN_MOUNT, ContainerSpec, LaunchPlan
from lightning_reflow.launch.run_record import Attempt, RunRecord, RunStore

DEFAULT_REMOTE_RUNS = "/var/tmp/reflow-runs"


@dataclass
class LaunchOptions:
    """The options shared by ``fit``, ``resume`` and ``build`` (see ``reflow-launch fit --help``)."""

    hosts: list[Host] = field(default_factory=lambda: [Host()])
    project: Path | None = None
    base_image: str = DEFAULT_BASE_IMAGE
    wheelhouse: Path | None = None
    requirements: tuple[str, ...] = ()
    reflow_version: str = "~=0.1"
    image_name: str | None = None
    gpus: str | None = None
    env: tuple[str, ...] = ()
    env_files: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    mounts: tuple[str, ...] = ()
    network: str | None = None
    user: str | None = None
    pause_signal: str = "SIGUSR1"
    runs_dir: Path = Path("runs")
    remote_runs_dir: str = DEFAULT_REMOTE_RUNS
    master_addr: str | None = None
    master_port: int | None = None
    detach: bool = False
    reflow_args: tuple[str, ...] = ()

    def recipe(self) -> ImageRecipe:
        """The image recipe of these options."""
        name = self.image_name or f"reflow-{self.project.resolve().name if self.project else 'app'}"
        return ImageRecipe(
            base_image=self.base_image,
            project=self.project.resolve() if self.project else None,
            wheelhouse=self.wheelhouse.resolve() if self.wheelhouse else None,
            requirements=self.requirements,
            reflow_version=self.reflow_version,
            name=name,
        )


def load_config(path: str | Path) -> dict[str, Any]:
    """Read the training config safely, with one clear message when it is missing or not YAML."""
    file = Path(path)
    if not file.is_file():
        raise ConfigNotFound(
            f"config {path}: no such file. Pass the path of your training config, e.g. "
            "`reflow-launch fit configs/train.yaml`."
        )
    try:
        data = yaml.safe_load(file.read_text())
    except yaml.YAMLError as err:
        raise ConfigNotFound(f"config {path} is not valid YAML: {str(err).splitlines()[0]}. Fix the file.") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigNotFound(
            f"config {path} must be a YAML mapping (model:, data:, trainer:), not {type(data).__name__}."
        )
    return data or {}


def run_dir_for(host: Host, run_id: str, options: LaunchOptions) -> str:
    """The run folder on the host: ``<runs dir>/<run id>`` locally, ``<remote runs dir>/<run id>`` remotely."""
    if host.is_local:
        return str(options.runs_dir.expanduser().resolve() / run_id)
    return f"{options.remote_runs_dir.rstrip('/')}/{run_id}"


def _parse_mounts(mounts: tuple[str, ...]) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in mounts:
        parts = item.split(":")
        if len(parts) not in (2, 3) or not parts[0].startswith("/") or not parts[1].startswith("/"):
            raise LaunchError(f"--mount {item!r}: expected /host/path:/container/path[:ro] (absolute paths).")
        result[parts[0]] = parts[1] + (f":{parts[2]}" if len(parts) == 3 else "")
    return result


def _default_user(hosts: list[Host]) -> str | None:
    if all(h.is_local for h in hosts) and hasattr(os, "getuid") and os.getuid() != 0:
        return f"{os.getuid()}:{os.getgid()}"
    return None


def make_record(run_id: str, options: LaunchOptions, config: str | None, image: str) -> RunRecord:
    """A new run record for a fit."""
    hosts = options.hosts
    master_port = options.master_port or (20000 + zlib.crc32(run_id.encode()) % 10000 if len(hosts) > 1 else None)
    recipe = options.recipe()
    return RunRecord(
        run_id=run_id,
        created=time.time(),
        hosts=[h.spec for h in hosts],
        image=image,
        run_dirs={h.spec: run_dir_for(h, run_id, options) for h in hosts},
        recipe={
            "base_image": recipe.base_image,
            "project": str(recipe.project) if recipe.project else None,
            "wheelhouse": str(recipe.wheelhouse) if recipe.wheelhouse else None,
            "requirements": list(recipe.requirements),
            "reflow_version": recipe.reflow_version,
            "name": recipe.name,
        },
        config=config,
        gpus=options.gpus,
        mounts=_parse_mounts(options.mounts),
        network=options.network,
        user=options.user or _default_user(hosts),
        pause_signal=options.pause_signal,
        reflow_args=list(options.reflow_args),
        master_addr=options.master_addr or (hosts[0].hostname if len(hosts) > 1 else None),
        master_port=master_port,
    )


def recipe_of(record: RunRecord) -> ImageRecipe:
    """The image recipe recorded with a run."""
    data = record.recipe
    return ImageRecipe(
        base_image=data["base_image"],
        project=Path(data["project"]) if data.get("project") else None,
        wheelhouse=Path(data["wheelhouse"]) if data.get("wheelhouse") else None,
        requirements=tuple(data.get("requirements", ())),
        reflow_version=data.get("reflow_version", "~=0.1"),
        name=data.get("name", "reflow-app"),
    )


def containers_for(
    record: RunRecord, env: EnvSpec, attempt: int, kind: str, command: list[str], config_src: str | None
) -> tuple[ContainerSpec, ...]:
    """One container spec per host of the run."""
    hosts = [Host.parse(h) for h in record.hosts]
    gpus = GpuRequest.parse(record.gpus) if record.gpus else None
    multi = len(hosts) > 1
    specs = []
    for rank, host in enumerate(hosts):
        variables = {
            **env.variables,
            "PYTHONUNBUFFERED": "1",
            "REFLOW_RUN_ID": record.run_id,
            "REFLOW_PAUSE_SIGNAL": record.pause_signal,
            "REFLOW_OUTCOME_FILE": f"{RUN_MOUNT}/.reflow/outcome-{attempt}.json",
        }
        if record.user:
            variables.setdefault("HOME", "/tmp")
        if multi:
            variables.update(
                MASTER_ADDR=str(record.master_addr),
                MASTER_PORT=str(record.master_port),
                NODE_RANK=str(rank),
                WORLD_SIZE=str(len(hosts)),
            )
        config = None
        if config_src is not None:
            config = (config_src, f"{RUN_MOUNT}/config/{Path(config_src).name}")
        specs.append(
            ContainerSpec(
                host=host,
                name=f"reflow-{record.run_id}-a{attempt}" + (f"-n{rank}" if multi else ""),
                image=record.image,
                command=tuple(command),
                env=variables,
                secrets=env.secrets,
                labels={
                    f"{LABEL}.run": record.run_id,
                    f"{LABEL}.attempt": str(attempt),
                    f"{LABEL}.kind": kind,
                    f"{LABEL}.rank": str(rank),
                    f"{LABEL}.run-dir": record.run_dirs[host.spec],
                },
                run_dir=record.run_dirs[host.spec],
                mounts=dict(record.mounts),
                gpus=gpus,
                network="host" if multi else record.network,
                user=record.user,
                config=config,
                rank=rank,
            )
        )
    return tuple(specs)


def fit_command(record: RunRecord, config_name: str, extra: list[str]) -> list[str]:
    """``reflow fit --config ... [--trainer.num_nodes=N] [pass-through]``."""
    command = ["reflow", "fit", "--config", f"{RUN_MOUNT}/config/{config_name}"]
    if len(record.hosts) > 1:
        command.append(f"--trainer.num_nodes={len(record.hosts)}")
    return [*command, *extra]


def resume_checkpoint(record: RunRecord, checkpoint: str | None) -> str:
    """The container path of the checkpoint to resume from (the latest pause unless given)."""
    if checkpoint:
        for run_dir in record.run_dirs.values():
            if checkpoint.startswith(run_dir.rstrip("/") + "/"):
                return RUN_MOUNT + checkpoint[len(run_dir.rstrip("/")) :]
        return checkpoint
    found = record.last_pause()
    if found is None:
        last = record.last
        state = "never started" if last is None else (
            "finished" if last.exit_code == 0 else
            "still running or its state is unknown" if last.exit_code is None else f"failed (exit {last.exit_code})"
        )  # fmt: skip
        raise RunStateError(
            f"run {record.run_id} has no pause checkpoint to resume from (its last attempt {state}). Pause it with "
            f"`reflow-launch pause {record.run_id}`, or name a checkpoint with --checkpoint."
        )
    return str(found[1]["checkpoint"])


def new_attempt(record: RunRecord, kind: str, specs: tuple[ContainerSpec, ...]) -> Attempt:
    """Append an attempt for these containers to the record."""
    attempt = Attempt(
        number=len(record.attempts) + 1,
        kind=kind,
        started=time.time(),
        containers=[{"host": s.host.spec, "name": s.name, "rank": s.rank, "id": None} for s in specs],
    )
    record.attempts.append(attempt)
    return attempt


def validate_gpus(record_gpus: str | None, hosts: list[Host], inventories: dict[str, GpuInventory] | None) -> None:
    """Parse ``--gpus`` and check it against each host's GPUs (probed unless given)."""
    if not record_gpus:
        return
    request = GpuRequest.parse(record_gpus)
    for host in hosts:
        inventory = (inventories or {}).get(host.spec) or GpuInventory.probe(host)
        request.validate(inventory)


def make_plan(
    record: RunRecord,
    kind: str,
    env: EnvSpec,
    command: list[str],
    config_src: str | None,
    builds: tuple = (),
    detach: bool = False,
) -> LaunchPlan:
    """The plan of the next attempt of a run (the record is not changed)."""
    attempt = len(record.attempts) + 1
    specs = containers_for(record, env, attempt, kind, command, config_src)
    return LaunchPlan(record.run_id, kind, attempt, builds, specs, detach)


def hasher_for(store: RunStore) -> FileHasher:
    """The file-hash cache of the state dir."""
    return FileHasher(store.root / "cache" / "file-hashes.json")
