"""Data order across a pause: replaying a plain ``DataLoader``'s epoch up to the paused batch.

A plain ``DataLoader(shuffle=True)`` draws its permutation (and its workers' base seed) from the
global torch RNG when its iterator is created, and Lightning does not fast-forward it on a
mid-epoch resume. So reflow records the RNG state at the moment each epoch's train iterator is
created, and on resume re-creates the iterator from that state and consumes the batches the paused
run had already trained on. Loaders with ``state_dict``/``load_state_dict`` (torchdata's
``StatefulDataLoader``) are restored by Lightning itself and left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import lightning.pytorch as pl
from torch.utils.data import DataLoader

_RECORDING_CLASSES: dict[type, type] = {}


def _recording_class(cls: type) -> type:
    """A subclass of ``cls`` whose ``__iter__`` first calls the instance's ``_reflow_on_iter`` hook."""
    if getattr(cls, "_reflow_recording", False):
        return cls
    sub = _RECORDING_CLASSES.get(cls)
    if sub is None:

        def __iter__(self: Any) -> Any:
            hook = self.__dict__.get("_reflow_on_iter")
            if hook is not None:
                hook()
            return super(sub, self).__iter__()  # type: ignore[misc]

        sub = type(
            cls.__name__, (cls,), {"__iter__": __iter__, "_reflow_recording": True, "__module__": cls.__module__}
        )
        _RECORDING_CLASSES[cls] = sub
    return sub


def train_loaders(trainer: pl.Trainer) -> list[Any]:
    combined = trainer.fit_loop._combined_loader
    return list(combined.flattened) if combined is not None else []


def is_stateful(loader: Any) -> bool:
    return callable(getattr(loader, "state_dict", None)) and callable(getattr(loader, "load_state_dict", None))


def watch_iterator_creation(trainer: pl.Trainer, on_iter: Callable[[], None]) -> bool:
    """Call ``on_iter`` right before each new train iterator is created. ``False`` if not possible."""
    loaders = train_loaders(trainer)
    if not loaders or not isinstance(loaders[0], DataLoader):
        return False
    first = loaders[0]
    first.__class__ = _recording_class(type(first))
    first.__dict__["_reflow_on_iter"] = on_iter
    return True


def unwatch(trainer: pl.Trainer) -> None:
    for loader in train_loaders(trainer):
        loader.__dict__.pop("_reflow_on_iter", None)


def set_sampler_epoch(loaders: Iterable[Any], epoch: int) -> None:
    # The same as Lightning does before each epoch: a DistributedSampler's permutation depends on it.
    for loader in loaders:
        for sampler in (
            getattr(loader, "sampler", None),
            getattr(getattr(loader, "batch_sampler", None), "sampler", None),
        ):
            if sampler is not None and callable(getattr(sampler, "set_epoch", None)):
                sampler.set_epoch(epoch)


def recreate_and_skip(trainer: pl.Trainer, skip: int, *, recreate: bool) -> None:
    """Re-create the train iterator (if ``recreate``) and consume ``skip`` batches of it.

    The consumed batches go through the data fetcher, so prefetching and worker state advance
    exactly as in the paused run; the fetcher's counter is then put back, because Lightning adds
    the restored batch count to it when the epoch loop starts.
    """
    fetcher = trainer.fit_loop._data_fetcher
    if fetcher is None:
        return
    if recreate:
        iter(fetcher)
    before = fetcher.fetched
    for _ in range(skip):
        next(fetcher)
    fetcher.fetched = before
    fetcher.done = False
