"""The ``reflow-launch`` command: build the image, run ``reflow fit``/``resume`` in containers, manage runs.

Arguments after ``--`` are passed to ``reflow`` in the container unchanged.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import Any

import click

from lightning_reflow.launch._cli_options import (
    dry_run_option,
    image_options,
    launch_options,
    run_options,
    state_option,
)
from lightning_reflow.launch.host import Host
from lightning_reflow.launch.launcher import Launcher
from lightning_reflow.launch.run_record import RunStore

_PASS = {"ignore_unknown_options": False, "help_option_names": ["-h", "--help"]}


def _launcher(state_dir: Path | None) -> Launcher:
    return Launcher(RunStore(state_dir))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="reflow-launch")
def main() -> None:
    """Run LightningReflow training in containers, locally or on remote hosts over SSH.

    `reflow-launch fit config.yaml` builds the image (only when its inputs changed), starts
    `reflow fit` in a container, streams the logs and forwards SIGUSR1 (pause) and SIGTERM
    (checkpoint and stop) to the trainer. Exit status: 0 finished, 75 paused, 1 failed, 2 usage.
    """


@main.command(context_settings=_PASS)
@image_options
@state_option
@dry_run_option
@click.option("--rebuild", is_flag=True, help="Rebuild without the layer cache.")
def build(state_dir: Path | None, dry_run: bool, rebuild: bool, **kw: Any) -> None:
    """Build the trainer image (or find it) and print its tag."""
    tag = _launcher(state_dir).build(launch_options(kw), dry_run=dry_run, force=rebuild)
    if not dry_run:
        click.echo(tag)


@main.command(context_settings=_PASS)
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("reflow_args", nargs=-1, type=click.UNPROCESSED)
@image_options
@run_options
@state_option
@dry_run_option
@click.option("--name", default="", help="A prefix for the run id.")
def fit(
    config: Path,
    reflow_args: tuple[str, ...],
    state_dir: Path | None,
    dry_run: bool,
    rebuild: bool,
    name: str,
    **kw: Any,
) -> None:
    """Start `reflow fit --config CONFIG` in a container; arguments after -- go to reflow."""
    launcher = _launcher(state_dir)
    code = launcher.fit(str(config), launch_options(kw, reflow_args), dry_run=dry_run, rebuild=rebuild, name=name)
    sys.exit(code)


@main.command(context_settings=_PASS)
@click.argument("run_id")
@click.argument("reflow_args", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--checkpoint", default=None, help="Resume from this checkpoint (host path in the run folder, or container path)."
)
@click.option("--gpus", default=None, help="GPUs for the resumed run (default: as before).")
@click.option("--env", "-e", "env", multiple=True, help="Extra KEY=VALUE for the container (repeatable).")
@click.option("--env-file", multiple=True, type=click.Path(), help="File of KEY=VALUE lines (repeatable).")
@click.option("--secret", "secrets", multiple=True, help="Extra secret variable from your environment (repeatable).")
@click.option("--project", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Rebuild the image from this project folder (default: reuse the run's image).")  # fmt: skip
@click.option("--detach", "-d", is_flag=True, help="Start and return.")
@click.option("--rebuild", is_flag=True, help="Rebuild the image from the run's recipe (picks up code changes).")
@state_option
@dry_run_option
def resume(run_id: str, reflow_args: tuple[str, ...], checkpoint: str | None, state_dir: Path | None, dry_run: bool,
           rebuild: bool, **kw: Any) -> None:  # fmt: skip
    """Resume RUN_ID from its latest pause checkpoint with `reflow resume`, on the same hosts."""
    options = launch_options({**kw, "no_project": kw.get("project") is None}, reflow_args)
    sys.exit(_launcher(state_dir).resume(run_id, options, checkpoint, dry_run=dry_run, rebuild=rebuild))


@main.command()
@click.argument("run_id")
@click.option("--timeout", type=float, default=None, help="Give up waiting after this many seconds.")
@click.option("--no-wait", is_flag=True, help="Send the signal and return.")
@state_option
@dry_run_option
def pause(run_id: str, timeout: float | None, no_wait: bool, state_dir: Path | None, dry_run: bool) -> None:
    """Pause RUN_ID: the trainer checkpoints at the next safe step and exits 75; waits for that."""
    launcher = _launcher(state_dir)
    record = launcher.store.load(run_id)
    sys.exit(launcher.signal_run(run_id, record.pause_signal, dry_run, not no_wait, timeout))


@main.command()
@click.argument("run_id")
@click.option("--timeout", type=float, default=None, help="Give up waiting after this many seconds.")
@state_option
@dry_run_option
def stop(run_id: str, timeout: float | None, state_dir: Path | None, dry_run: bool) -> None:
    """Stop RUN_ID like a preemption: SIGTERM, the trainer checkpoints and exits."""
    sys.exit(_launcher(state_dir).signal_run(run_id, "SIGTERM", dry_run, True, timeout))


@main.command()
@click.argument("run_id")
@click.option("--follow", "-f", is_flag=True, help="Keep streaming until the container exits.")
@click.option("--attempt", type=int, default=None, help="Which attempt (default: the latest).")
@click.option("--tail", default="all", help="Only the last N lines.")
@state_option
def logs(run_id: str, follow: bool, attempt: int | None, tail: str, state_dir: Path | None) -> None:
    """Print the trainer's output of RUN_ID (the latest attempt unless --attempt)."""
    launcher = _launcher(state_dir)
    record = launcher.store.load(run_id)
    chosen = record.attempts[attempt - 1] if attempt else record.last
    if chosen is None:
        raise click.ClickException(f"run {record.run_id} has no container yet.")
    prefix = len(chosen.containers) > 1
    for entry in chosen.containers:
        container = launcher.client(Host.parse(entry["host"])).containers.get(entry["id"] or entry["name"])
        lead = f"[{entry['host']} rank {entry['rank']}] ".encode() if prefix else b""
        tail_arg = int(tail) if tail.isdigit() else "all"
        for chunk in container.logs(stream=True, follow=follow, tail=tail_arg):
            sys.stdout.buffer.write(lead + chunk if lead else chunk)
            sys.stdout.buffer.flush()


@main.command()
@click.option("--all", "show_all", is_flag=True, help="Also runs whose host cannot be reached now.")
@state_option
def ps(show_all: bool, state_dir: Path | None) -> None:
    """List runs: id, state of the latest attempt, hosts, image."""
    launcher = _launcher(state_dir)
    rows = [("RUN", "STATE", "ATTEMPT", "HOSTS", "IMAGE", "CREATED")]
    for record in launcher.store.all():
        try:
            launcher.refresh(record)
            state = _state(record)
        except click.ClickException:
            if not show_all:
                continue
            state = "unreachable"
        created = datetime.datetime.fromtimestamp(record.created).strftime("%Y-%m-%d %H:%M")
        attempt = str(record.last.number) if record.last else "-"
        rows.append((record.run_id, state, attempt, ",".join(record.hosts), record.image, created))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def _state(record: Any) -> str:
    last = record.last
    if last is None:
        return "created"
    if last.exit_code is None:
        return "running"
    if last.exit_code == 0:
        return "finished"
    if last.exit_code == 75:
        return f"paused@{(last.outcome or {}).get('global_step', '?')}"
    return f"failed({last.exit_code})"


if __name__ == "__main__":  # pragma: no cover
    main()
