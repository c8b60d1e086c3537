"""Options shared by the acting commands of ``reflow-launch``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from lightning_reflow.launch.errors import LaunchError
from lightning_reflow.launch.host import Host
from lightning_reflow.launch.image_recipe import DEFAULT_BASE_IMAGE
from lightning_reflow.launch.planner import DEFAULT_REMOTE_RUNS, LaunchOptions

F = Callable[..., Any]


def state_option(f: F) -> F:
    """``--state-dir``."""
    return click.option(
        "--state-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="REFLOW_STATE_DIR",
        help="Where run records live (default ~/.reflow; env REFLOW_STATE_DIR).",
    )(f)


def dry_run_option(f: F) -> F:
    """``--dry-run``."""
    return click.option("--dry-run", is_flag=True, help="Print the exact plan (secrets as ***) and do nothing.")(f)


def image_options(f: F) -> F:
    """Options of the image recipe and of the target hosts."""
    options = [
        click.option(
            "--host", "host", default=None, help="Run on this host's Docker engine over SSH: user@node[:port]."
        ),
        click.option(
            "--hosts", default=None, help="Several hosts for multi-node DDP, comma-separated (first is rank 0)."
        ),
        click.option(
            "--project",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            default=None,
            help="Your project folder, copied into the image last (default: the current directory).",
        ),
        click.option("--no-project", is_flag=True, help="Copy no project folder into the image."),
        click.option("--base-image", default=DEFAULT_BASE_IMAGE, show_default=True, help="The image to build on."),
        click.option(
            "--wheelhouse",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            default=None,
            help="Install reflow and the dependencies from this folder of wheels instead of the package index.",
        ),
        click.option("--requirement", "-r", "requirements", multiple=True, help="Extra pip requirement (repeatable)."),
        click.option("--reflow-version", default="~=0.1", show_default=True, help="Reflow version from the index."),
        click.option("--image-name", default=None, help="Image repository name (default reflow-<project folder>)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def run_options(f: F) -> F:
    """Options of the containers."""
    options = [
        click.option("--gpus", default=None, help="GPUs: indices (0,1), all, or count=N."),
        click.option("--env", "-e", "env", multiple=True, help="KEY=VALUE for the container (repeatable)."),
        click.option("--env-file", multiple=True, type=click.Path(), help="File of KEY=VALUE lines (repeatable)."),
        click.option(
            "--secret",
            "secrets",
            multiple=True,
            help="Pass this variable from your environment; never written anywhere.",
        ),
        click.option(
            "--mount", "-v", "mounts", multiple=True, help="Extra bind mount /host/path:/container/path[:ro]."
        ),
        click.option(
            "--network", default=None, help="Container network mode (default: the engine's; host for --hosts)."
        ),
        click.option(
            "--user", default=None, help="uid:gid to run as (default: yours for local runs, else the image's)."
        ),
        click.option("--pause-signal", default="SIGUSR1", show_default=True, help="The trainer's pause signal."),
        click.option(
            "--runs-dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=Path("runs"),
            show_default=True,
            help="Local folder of run folders (checkpoints, logs), mounted into the container.",
        ),
        click.option(
            "--remote-runs-dir", default=DEFAULT_REMOTE_RUNS, show_default=True, help="The same on remote hosts."
        ),
        click.option("--master-addr", default=None, help="Rendezvous address for --hosts (default: the first host)."),
        click.option("--master-port", type=int, default=None, help="Rendezvous port for --hosts."),
        click.option("--detach", "-d", is_flag=True, help="Start and return; follow later with logs/pause/stop."),
        click.option("--rebuild", is_flag=True, help="Rebuild the images without the layer cache."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def hosts_of(host: str | None, hosts: str | None) -> list[Host]:
    """``--host``/``--hosts`` as a list (the local engine when neither is given)."""
    if host and hosts:
        raise LaunchError("give either --host or --hosts, not both.")
    if hosts:
        parsed = [Host.parse(h) for h in hosts.split(",") if h.strip()]
        if not parsed:
            raise LaunchError("--hosts is empty: give host names separated by commas.")
        return parsed
    return [Host.parse(host or "local")]


def launch_options(kw: dict[str, Any], reflow_args: tuple[str, ...] = ()) -> LaunchOptions:
    """Build :class:`LaunchOptions` from the parsed click keywords."""
    project = None if kw.get("no_project") else (kw.get("project") or Path.cwd())
    return LaunchOptions(
        hosts=hosts_of(kw.get("host"), kw.get("hosts")),
        project=project,
        base_image=kw.get("base_image") or DEFAULT_BASE_IMAGE,
        wheelhouse=kw.get("wheelhouse"),
        requirements=tuple(kw.get("requirements") or ()),
        reflow_version=kw.get("reflow_version") or "~=0.1",
        image_name=kw.get("image_name"),
        gpus=kw.get("gpus"),
        env=tuple(kw.get("env") or ()),
        env_files=tuple(kw.get("env_file") or ()),
        secrets=tuple(kw.get("secrets") or ()),
        mounts=tuple(kw.get("mounts") or ()),
        network=kw.get("network"),
        user=kw.get("user"),
        pause_signal=kw.get("pause_signal") or "SIGUSR1",
        runs_dir=kw.get("runs_dir") or Path("runs"),
        remote_runs_dir=kw.get("remote_runs_dir") or DEFAULT_REMOTE_RUNS,
        master_addr=kw.get("master_addr"),
        master_port=kw.get("master_port"),
        detach=bool(kw.get("detach")),
        reflow_args=reflow_args,
    )
