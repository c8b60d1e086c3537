"""How a pause ends a run: a documented exit status and a readable outcome."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from lightning_reflow.utils.files import atomic_write_text

EXIT_PAUSED = 75
"""Exit status of a process that paused with a checkpoint (``EX_TEMPFAIL``: try again later).

0 means finished, 1 failed, 2 a usage error; schedulers and ``reflow-launch`` read 75 as "paused,
resumable".
"""

OUTCOME_FILE_ENV = "REFLOW_OUTCOME_FILE"


@dataclass(frozen=True)
class PauseOutcome:
    """What a pause did, readable after ``trainer.fit`` returns or raises.

    Attributes:
        paused: always ``True`` for an outcome of a pause.
        reason: ``"key"``, ``"signal"``, ``"file"``, ``"preemption"`` or ``"api"``.
        checkpoint_path: absolute path of the checkpoint written.
        resume_command: the command that continues the run.
        global_step: optimizer steps done when the run stopped.
        epoch: the epoch the run stopped in.
        upload_requested: the checkpoint was also handed to an uploader.
        exact: the stop was at a safe point, so the resumed run is bitwise identical to an unpaused one
            (``False`` only for a preemption that could not wait for a safe point).
    """

    paused: bool
    reason: str
    checkpoint_path: str
    resume_command: str
    global_step: int
    epoch: int
    upload_requested: bool = False
    exact: bool = True

    def to_record(self) -> dict[str, object]:
        record: dict[str, object] = {"status": "paused", "checkpoint": self.checkpoint_path}
        record.update(asdict(self))
        del record["checkpoint_path"], record["paused"]
        return record

    def write(self, checkpoint_dir: Path) -> None:
        """Write ``last-pause.json`` in ``checkpoint_dir`` and to ``$REFLOW_OUTCOME_FILE`` if set."""
        text = json.dumps(self.to_record(), indent=2) + "\n"
        targets = [checkpoint_dir / "last-pause.json"]
        if os.environ.get(OUTCOME_FILE_ENV):
            targets.append(Path(os.environ[OUTCOME_FILE_ENV]))
        for target in targets:
            atomic_write_text(target, text)


class PauseExit(SystemExit):
    """Raised out of ``trainer.fit`` after a pause checkpoint was written.

    It is a ``SystemExit`` with code :data:`EXIT_PAUSED`, so a plain training script that does not
    catch it ends quietly with status 75; Lightning treats it like any interruption (no extra
    validation, no epoch-end hooks, no ``last.ckpt`` that claims the epoch finished).
    """

    def __init__(self, outcome: PauseOutcome) -> None:
        super().__init__(EXIT_PAUSED)
        self.outcome = outcome

    def __str__(self) -> str:
        return f"paused at step {self.outcome.global_step}: {self.outcome.checkpoint_path}"
