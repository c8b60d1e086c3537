"""Choosing and formatting the metrics a progress bar shows: exact names or glob patterns, as logged."""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable, Mapping
from typing import Any


class MetricSelector:
    """Picks metrics by exact name or glob pattern (``"lr-*"``, ``"*/loss"``), in pattern order.

    The decision for each metric name is cached, so matching costs nothing once the set of logged
    names stops changing. ``patterns=None`` selects what was logged with ``prog_bar=True``.
    """

    def __init__(self, patterns: Iterable[str] | None) -> None:
        self.patterns = None if patterns is None else [str(p) for p in patterns]
        self._cache_keys: frozenset[str] | None = None
        self._cache_names: list[str] = []

    def names(self, available: Iterable[str]) -> list[str]:
        keys = frozenset(available)
        if keys != self._cache_keys:
            self._cache_keys = keys
            self._cache_names = self._match(keys)
        return self._cache_names

    def _match(self, keys: frozenset[str]) -> list[str]:
        if self.patterns is None:
            return sorted(keys)
        chosen: list[str] = []
        for pattern in self.patterns:
            if pattern in keys:
                matches = [pattern]
            elif any(ch in pattern for ch in "*?["):
                matches = sorted(k for k in keys if fnmatch.fnmatchcase(k, pattern))
            else:
                matches = []
            chosen.extend(m for m in matches if m not in chosen)
        return chosen


def format_value(value: Any) -> str:
    """A compact form: ``0.1235``, ``1.2e-05``, ``42``; tensors are read with ``.item()``."""
    item = getattr(value, "item", None)
    if callable(item):
        try:
            value = item()
        except (RuntimeError, ValueError):
            return "…"
    if isinstance(value, (bool, int)):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.2e}"
        return f"{value:.4g}"
    return str(value)


def format_metrics(selector: MetricSelector, metrics: Mapping[str, Any]) -> str:
    """``"loss=0.2231 val_loss=0.3"`` for the metrics ``selector`` picks from ``metrics``."""
    return " ".join(f"{name}={format_value(metrics[name])}" for name in selector.names(metrics) if name in metrics)


def logged_metrics(trainer: Any) -> dict[str, Any]:
    """What was logged (``callback_metrics``, then ``progress_bar_metrics``), plus the learning rates.

    Learning rates are named as ``LearningRateMonitor`` names them (``lr-Adam``, ``lr-Adam-1`` for a
    second Adam, ``lr-SGD/pg2`` for a second parameter group), so ``"lr-*"`` works without it.
    """
    metrics: dict[str, Any] = dict(trainer.callback_metrics)
    metrics.update(trainer.progress_bar_metrics)
    seen: dict[str, int] = {}
    for optimizer in trainer.optimizers:
        base = f"lr-{type(optimizer).__name__}"
        seen[base] = seen.get(base, 0) + 1
        name = base if seen[base] == 1 else f"{base}-{seen[base] - 1}"
        groups = optimizer.param_groups
        for index, group in enumerate(groups):
            metrics[name if len(groups) == 1 else f"{name}/pg{index + 1}"] = group.get("lr")
    return metrics
