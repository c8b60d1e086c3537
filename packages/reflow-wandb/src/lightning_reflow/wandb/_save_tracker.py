"""Which ModelCheckpoint files are new since the last look, tied to the epoch/step/score of their save."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import ModelCheckpoint


@dataclass(frozen=True)
class Saved:
    """A file ModelCheckpoint wrote, the save round it belongs to, and that save's epoch/step/score."""

    path: str
    round: int
    info: dict[str, Any]


class SaveTracker:
    """Follows the Trainer's ModelCheckpoint callbacks and says which files are due for upload."""

    def __init__(self) -> None:
        self.save_info: dict[str, Any] = {}
        self.saved: dict[str, Saved] = {}
        self.uploaded: dict[str, int] = {}
        self._seen_round: Any = None
        self._rounds = 0

    def on_save(self, checkpoint: dict[str, Any]) -> None:
        """Remember the epoch and step of the checkpoint being written (``on_save_checkpoint``)."""
        self.save_info = {"epoch": checkpoint.get("epoch"), "global_step": checkpoint.get("global_step")}

    def mark_current_uploaded(self, trainer: pl.Trainer) -> None:
        """Treat the files that exist now as uploaded (after a resume, the previous process did it)."""
        self.register(trainer)
        for kind, saved in self.saved.items():
            self.uploaded[kind] = saved.round

    def register(self, trainer: pl.Trainer) -> None:
        """Look at the ModelCheckpoint callbacks; cheap when nothing was saved since the last look."""
        # Called cheaply before each batch. A new save round of any ModelCheckpoint (seen from its
        # step and paths) ties its files to the epoch/step/score of that save; file stats cannot do
        # this, as a replaced `last.ckpt` may get the old inode back within one timestamp tick.
        callbacks = [cb for cb in trainer.checkpoint_callbacks if isinstance(cb, ModelCheckpoint)]
        states = tuple(
            (getattr(cb, "_last_global_step_saved", 0), cb.last_model_path, cb.best_model_path) for cb in callbacks
        )
        if not callbacks or states == self._seen_round:
            return
        previous = self._seen_round or tuple(None for _ in states)
        self._seen_round = states
        self._rounds += 1
        monitored = next((cb for cb in callbacks if cb.monitor), None)
        info = {
            **self.save_info,
            "monitor": monitored.monitor if monitored else None,
            "score": monitored.current_score if monitored else None,
        }
        # The newest file comes from the callback that saved last (several may save in one round).
        changed = [cb for cb, state, old in zip(callbacks, states, previous) if state != old]
        newest = _newest_file(max(changed or callbacks, key=lambda cb: getattr(cb, "_last_global_step_saved", 0) or 0))
        if newest:
            self.saved["last"] = Saved(newest, self._rounds, info)
        if monitored is not None and monitored.best_model_path:
            old = previous[callbacks.index(monitored)]
            if old is None or monitored.best_model_path != old[2] or "best" not in self.saved:
                score = monitored.best_model_score
                self.saved["best"] = Saved(monitored.best_model_path, self._rounds, {**info, "score": score})

    def due(self, trainer: pl.Trainer, reason: str, *, last: bool, best: bool) -> list[tuple[Saved, list[str]]]:
        """The files not uploaded yet, each with its aliases (``epoch-N``, ``best``), marked as uploaded."""
        self.register(trainer)
        newest = self.saved.get("last") if last else None
        top = self.saved.get("best") if best else None
        jobs: list[tuple[Saved, list[str]]] = []
        if newest is not None and newest.round != self.uploaded.get("last"):
            epoch = newest.info.get("epoch")
            if reason == "end" and epoch is not None and epoch == trainer.max_epochs:
                # Saved after the last epoch ended (ModelCheckpoint's on_train_end), when Lightning's
                # epoch counter has already moved past it: it is the end of epoch max_epochs - 1.
                epoch -= 1
            jobs.append((newest, [f"epoch-{epoch}"] if epoch is not None else []))
            self.uploaded["last"] = newest.round
        if top is not None and top.round != self.uploaded.get("best"):
            if jobs and jobs[0][0].round == top.round:  # saved in the same round: the same state
                jobs[0] = (Saved(jobs[0][0].path, top.round, top.info), [*jobs[0][1], "best"])
            else:
                jobs.append((top, ["best"]))
            self.uploaded["best"] = top.round
        return jobs


def _newest_file(callback: ModelCheckpoint) -> str:
    return callback.last_model_path or getattr(callback, "_last_checkpoint_saved", "") or callback.best_model_path
