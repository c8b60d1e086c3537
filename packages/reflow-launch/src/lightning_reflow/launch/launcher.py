"""The actions behind the commands: build, fit, resume, pause, stop, logs, ps, by run id."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lightning_reflow.launch import planner
from lightning_reflow.launch.environment import EnvSpec, config_environment
from lightning_reflow.launch.errors import LaunchError, RunStateError
from lightning_reflow.launch.host import Host, connect
from lightning_reflow.launch.image_builder import ImageBuilder
from lightning_reflow.launch.launch_plan import LaunchPlan
from lightning_reflow.launch.run_record import Attempt, RunRecord, RunStore
from lightning_reflow.launch.runner import EXIT_PAUSED, RESEND_PAUSE_S, Runner, exit_status

if TYPE_CHECKING:
    import docker
    from lightning_reflow.launch.image_recipe import BuildStep, ImageRecipe


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


class Launcher:
    """Plans and runs reflow-launch actions against run records in ``store``.

    Args:
        store: the run records.
        out: where plans and tables go (stdout).
        log: where status lines go (stderr).
    """

    def __init__(self, store: RunStore, out: Callable[[str], None] = _out, log: Callable[[str], None] = _err) -> None:
        self.store = store
        self.out = out
        self.log = log
        self._clients: dict[str, docker.DockerClient] = {}

    def client(self, host: Host) -> docker.DockerClient:
        """A cached engine client of the host (one clear error when it cannot be reached)."""
        if host.spec not in self._clients:
            self._clients[host.spec] = connect(host)
        return self._clients[host.spec]

    # -- images ---------------------------------------------------------------------------------

    def _builds(
        self, recipe: ImageRecipe, hosts: list[Host], dry_run: bool
    ) -> tuple[tuple[Host, BuildStep, bool | None], ...]:
        steps = recipe.steps(planner.hasher_for(self.store))
        result = []
        for host in {h.spec: h for h in hosts}.values():
            for step in steps:
                present = None if dry_run else ImageBuilder(self.client(host), self.log).exists(step.tag)
                result.append((host, step, present))
        return tuple(result)

    def _run_builds(self, builds: tuple[tuple[Host, BuildStep, bool | None], ...], force: bool = False) -> None:
        for host, step, present in builds:
            if force or not present:
                ImageBuilder(self.client(host), self.log).build(step, nocache=force)

    def build(self, options: planner.LaunchOptions, dry_run: bool = False, force: bool = False) -> str:
        """Build (or find) the trainer image on every host; return its tag."""
        builds = self._builds(options.recipe(), options.hosts, dry_run)
        if dry_run:
            self.out(LaunchPlan("-", "build", 0, builds).render())
        else:
            self._run_builds(builds, force)
            self.log(f"reflow-launch: image {builds[-1][1].tag} is ready\n")
        return builds[-1][1].tag

    # -- starting runs ----------------------------------------------------------------------------

    def fit(
        self, config: str, options: planner.LaunchOptions, dry_run: bool = False, rebuild: bool = False, name: str = ""
    ) -> int:
        """Start ``reflow fit`` with this config; follow it unless detached. Returns the exit status."""
        data = planner.load_config(config)
        env = EnvSpec.build(config_environment(data), options.env_files, options.env, options.secrets)
        secrets = env.secret_values()
        if not dry_run:
            for host in options.hosts:  # reach every engine first: one clear error for a bad host or key
                self.client(host)
        planner.validate_gpus(options.gpus, options.hosts, None)
        builds = self._builds(options.recipe(), options.hosts, dry_run)
        record = planner.make_record(RunRecord.new_id(name), options, str(Path(config).resolve()), builds[-1][1].tag)
        record.env = dict(env.variables)
        command = planner.fit_command(record, Path(config).name, list(options.reflow_args))
        plan = planner.make_plan(record, "fit", env, command, record.config, builds, options.detach)
        return self._execute(record, plan, secrets, dry_run, rebuild)

    def resume(
        self,
        run_id: str,
        options: planner.LaunchOptions,
        checkpoint: str | None = None,
        dry_run: bool = False,
        rebuild: bool = False,
    ) -> int:
        """Start ``reflow resume`` from the run's latest pause checkpoint (or ``checkpoint``)."""
        record = self.store.load(run_id)
        hosts = [Host.parse(h) for h in record.hosts]
        if not dry_run:
            self.refresh(record)
            last = record.last
            if last is not None and last.exit_code is None:
                raise RunStateError(
                    f"run {record.run_id} is still running (attempt {last.number}). Pause it first: "
                    f"`reflow-launch pause {record.run_id}`."
                )
        path = planner.resume_checkpoint(record, checkpoint)
        env = EnvSpec.build(record.env, options.env_files, options.env, (*record.secrets, *options.secrets))
        secrets = env.secret_values()
        if options.gpus:
            record.gpus = options.gpus
        planner.validate_gpus(record.gpus, hosts, None)
        recipe = planner.recipe_of(record)
        if options.project is not None:
            recipe = options.recipe()
        builds: tuple = ()
        present = dry_run or all(ImageBuilder(self.client(h), self.log).exists(record.image) for h in hosts)
        if rebuild or not present:
            builds = self._builds(recipe, hosts, dry_run)
            record.image = builds[-1][1].tag
        command = ["reflow", "resume", "--checkpoint-path", path, *options.reflow_args]
        plan = planner.make_plan(record, "resume", env, command, None, builds, options.detach)
        return self._execute(record, plan, secrets, dry_run, rebuild)

    def _execute(self, record: RunRecord, plan: LaunchPlan, secrets: dict[str, str], dry_run: bool, force: bool) -> int:
        if dry_run:
            self.out(plan.render())
            return 0
        self._run_builds(plan.builds, force)
        attempt = planner.new_attempt(record, plan.action, plan.containers)
        record.secrets = list(
            dict.fromkeys([*record.secrets, *(plan.containers[0].secrets if plan.containers else ())])
        )
        self.store.save(record)
        runner = Runner({h.spec: self.client(h) for h in (s.host for s in plan.containers)}, self.log)
        try:
            containers = runner.start(plan, secrets)
        finally:
            secrets.clear()
        for entry, container in zip(attempt.containers, containers):
            entry["id"] = container.id
        self.store.save(record)
        where = ", ".join(sorted(set(record.run_dirs.values())))
        self.log(
            f"reflow-launch: run {record.run_id} attempt {attempt.number} started ({plan.action}); run folder {where}\n"
        )
        if plan.detach:
            self.out(record.run_id + "\n")
            return 0
        statuses = runner.follow(plan, containers, record.pause_signal)
        if any(s == -1 for s in statuses):
            return 130
        return self._finish(record, attempt, containers, statuses, runner.first_failure)

    # -- after a container exits --------------------------------------------------------------------

    def _finish(
        self,
        record: RunRecord,
        attempt: Attempt,
        containers: list[Any],
        statuses: list[int],
        first_failure: tuple[int, int] | None = None,
    ) -> int:
        rank0 = attempt.containers[0]
        host = Host.parse(rank0["host"])
        runner = Runner({host.spec: self.client(host)}, self.log)
        attempt.outcome = runner.read_outcome(host, record.run_dirs[host.spec], attempt.number, containers[0])
        statuses = [exit_status(s, attempt.outcome, record.pause_signal) for s in statuses]
        failures = [s for s in statuses if s not in (0, EXIT_PAUSED)]
        attempt.exit_code = failures[0] if failures else statuses[0]
        if first_failure is not None:  # the node that failed first, not one we stopped because of it
            attempt.exit_code = first_failure[1]
        attempt.finished = time.time()
        self.store.save(record)
        self.log(self.describe(record, attempt) + "\n")
        return attempt.exit_code

    def describe(self, record: RunRecord, attempt: Attempt) -> str:
        """One line about how an attempt ended."""
        code = attempt.exit_code
        outcome = attempt.outcome or {}
        if code == EXIT_PAUSED and outcome.get("status") == "paused":
            host = "" if Host.parse(outcome.get("host", "local")).is_local else f" on {outcome['host']}"
            inexact = "" if outcome.get("exact", True) else " (stopped between safe points: not bitwise exact)"
            return (
                f"reflow-launch: paused at step {outcome.get('global_step')} (epoch {outcome.get('epoch')}, "
                f"{outcome.get('reason', 'pause')}). Checkpoint: {outcome.get('host_checkpoint')}{host}. "
                f"Resume with: reflow-launch resume {record.run_id}{inexact}"
            )
        if code == 0:
            return f"reflow-launch: run {record.run_id} finished."
        if code is None:
            return f"reflow-launch: run {record.run_id} is running."
        hint = f"see `reflow-launch logs {record.run_id}`"
        return f"reflow-launch: run {record.run_id} failed with exit status {code}; {hint}."

    def refresh(self, record: RunRecord) -> None:
        """Fill in the exit status and outcome of the last attempt from the engine, if it has ended."""
        import docker

        attempt = record.last
        if attempt is None or attempt.exit_code is not None:
            return
        codes: list[int] = []
        first = None
        for entry in attempt.containers:
            try:
                container = self.client(Host.parse(entry["host"])).containers.get(entry["id"] or entry["name"])
            except docker.errors.NotFound:
                codes.append(1)
                continue
            first = first or container
            if container.status not in ("exited", "dead"):
                return
            codes.append(int(container.attrs["State"]["ExitCode"]))
        host = Host.parse(attempt.containers[0]["host"])
        attempt.outcome = Runner({}, self.log).read_outcome(host, record.run_dirs[host.spec], attempt.number, first)
        codes = [exit_status(c, attempt.outcome, record.pause_signal) for c in codes]
        failures = [c for c in codes if c not in (0, EXIT_PAUSED)]
        attempt.exit_code = failures[0] if failures else (codes[0] if codes else 1)
        attempt.finished = time.time()
        self.store.save(record)

    def running(self, record: RunRecord) -> list[Any]:
        """The containers of the last attempt that still run."""
        attempt = record.last
        if attempt is None:
            return []
        found = []
        for entry in attempt.containers:
            container = self.client(Host.parse(entry["host"])).containers.get(entry["id"] or entry["name"])
            if container.status == "running":
                found.append(container)
        return found

    def _paused(self, record: RunRecord) -> bool:
        attempt = record.last
        entry = attempt.containers[0]
        host = Host.parse(entry["host"])
        container = self.client(host).containers.get(entry["id"] or entry["name"])
        return (
            Runner({}, self.log).read_outcome(host, record.run_dirs[host.spec], attempt.number, container) is not None
        )

    def signal_run(self, run_id: str, sig: str, dry_run: bool, wait: bool, timeout: float | None) -> int:
        """Send ``sig`` to the run's trainer containers; optionally wait for them to exit and report."""
        record = self.store.load(run_id)
        attempt = record.last
        if attempt is None:
            raise RunStateError(f"run {record.run_id} has no container.")
        if dry_run:
            for entry in attempt.containers:
                host = Host.parse(entry["host"])
                self.out(" ".join([*host.docker_cli_prefix(), "kill", "--signal", sig, entry["name"]]) + "\n")
            return 0
        containers = self.running(record)
        if not containers:
            self.refresh(record)
            raise RunStateError(
                f"run {record.run_id} is not running. " + self.describe(record, attempt)[len("reflow-launch: ") :]
            )
        targets = containers if sig == "SIGTERM" else containers[:1]  # a pause: rank 0 tells the others
        for container in targets:
            container.kill(signal=sig)
        self.log(f"reflow-launch: sent {sig} to run {record.run_id}\n")
        if not wait:
            return 0
        deadline = None if timeout is None else time.monotonic() + timeout
        pending = list(containers)
        while pending:
            if deadline is not None and time.monotonic() > deadline:
                raise LaunchError(f"run {record.run_id} did not stop within {timeout} s; it is still running.")
            container = pending[0]
            try:
                container.wait(timeout=RESEND_PAUSE_S)
                pending.pop(0)
            except Exception:  # still running
                if sig == "SIGTERM" or self._paused(record):
                    continue  # never repeat SIGTERM, nor a pause once the trainer has written its outcome
                with contextlib.suppress(Exception):  # a pause that came before the trainer's handler: repeat it
                    targets[0].kill(signal=sig)
        self.refresh(record)
        self.log(self.describe(record, record.last) + "\n")
        return int(record.last.exit_code if record.last.exit_code is not None else 1)
