"""Run records: what was launched where, kept as JSON so every command works by run id later.

A record holds names of secrets, never their values; it is written before any container starts,
so ``ps``, ``logs``, ``pause``, ``stop`` and ``resume`` work even after the launcher was killed.
"""

from __future__ import annotations

import json
import os
import secrets as _random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lightning_reflow.launch.errors import RunNotFound

STATE_DIR_ENV = "REFLOW_STATE_DIR"


@dataclass
class Attempt:
    """One container start of a run (the first fit, then each resume)."""

    number: int
    kind: str
    started: float
    containers: list[dict[str, Any]] = field(default_factory=list)
    exit_code: int | None = None
    outcome: dict[str, Any] | None = None
    finished: float | None = None


@dataclass
class RunRecord:
    """Everything needed to inspect, pause, stop or resume a run."""

    run_id: str
    created: float
    hosts: list[str]
    image: str
    run_dirs: dict[str, str]
    recipe: dict[str, Any] = field(default_factory=dict)
    config: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    gpus: str | None = None
    mounts: dict[str, str] = field(default_factory=dict)
    network: str | None = None
    user: str | None = None
    pause_signal: str = "SIGUSR1"
    reflow_args: list[str] = field(default_factory=list)
    master_addr: str | None = None
    master_port: int | None = None
    attempts: list[Attempt] = field(default_factory=list)

    @staticmethod
    def new_id(prefix: str = "") -> str:
        """A sortable, unique, readable run id: ``[prefix-]YYYYmmdd-HHMMSS-xxxx``."""
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        return f"{prefix + '-' if prefix else ''}{stamp}-{_random.token_hex(2)}"

    @property
    def last(self) -> Attempt | None:
        """The latest attempt."""
        return self.attempts[-1] if self.attempts else None

    def last_pause(self) -> tuple[Attempt, dict[str, Any]] | None:
        """The latest attempt that ended paused, with its outcome."""
        for attempt in reversed(self.attempts):
            if attempt.outcome and attempt.outcome.get("status") == "paused" and attempt.exit_code in (None, 75):
                return attempt, attempt.outcome
            if attempt.exit_code == 0:
                return None
        return None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        """Read back :meth:`to_dict`."""
        data = dict(data)
        data["attempts"] = [Attempt(**a) for a in data.get("attempts", [])]
        return cls(**data)


class RunStore:
    """Run records under ``<state dir>/runs/<run id>.json`` (default state dir ``~/.reflow``).

    Args:
        root: the state dir; default ``$REFLOW_STATE_DIR`` or ``~/.reflow``.
    """

    def __init__(self, root: str | Path | None = None) -> None:
        root = root or os.environ.get(STATE_DIR_ENV) or Path.home() / ".reflow"
        self.root = Path(root).expanduser().resolve()

    @property
    def runs(self) -> Path:
        """The folder of the records."""
        return self.root / "runs"

    def path(self, run_id: str) -> Path:
        """The record file of a run."""
        return self.runs / f"{run_id}.json"

    def save(self, record: RunRecord) -> Path:
        """Write a record atomically (temporary file, then rename)."""
        self.runs.mkdir(parents=True, exist_ok=True)
        target = self.path(record.run_id)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(record.to_dict(), indent=2, sort_keys=True) + "\n")
        os.replace(tmp, target)
        return target

    def load(self, run_id: str) -> RunRecord:
        """Load by full id or unique prefix.

        Raises:
            RunNotFound: naming the state dir and how to list runs.
        """
        exact = self.path(run_id)
        candidates = [exact] if exact.is_file() else sorted(self.runs.glob(f"{run_id}*.json"))
        candidates = [c for c in candidates if not c.name.endswith(".tmp")]
        if len(candidates) != 1:
            what = "matches several runs" if candidates else "is not a known run"
            raise RunNotFound(
                f"{run_id!r} {what} in {self.runs}. List runs with `reflow-launch ps` (or pass the --state-dir the run "
                "was started with)."
            )
        return RunRecord.from_dict(json.loads(candidates[0].read_text()))

    def all(self) -> list[RunRecord]:
        """Every record, oldest first."""
        records = []
        for file in sorted(self.runs.glob("*.json")):
            try:
                records.append(RunRecord.from_dict(json.loads(file.read_text())))
            except (ValueError, TypeError):
                continue
        return sorted(records, key=lambda r: r.created)
