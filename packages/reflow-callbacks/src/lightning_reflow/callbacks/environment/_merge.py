"""Key-by-key merging of comma-separated settings such as ``PYTORCH_CUDA_ALLOC_CONF``."""

from __future__ import annotations

import re

_ITEM = re.compile(r"^\s*([^:=,\s][^:=,]*?)\s*([:=])(.*)$")


def parse_settings(value: str) -> list[tuple[str, str, str]] | None:
    """Split ``"a:1,b=2"`` into ``[("a", ":", "1"), ("b", "=", "2")]``; ``None`` if not such a list.

    Only values in which every comma-separated item is ``key:value`` or ``key=value`` can be merged
    key by key; anything else (``CUDA_VISIBLE_DEVICES=0,1``, a path) is replaced whole.
    """
    items = [item for item in value.split(",") if item.strip()]
    if not items:
        return None
    parsed = []
    for item in items:
        match = _ITEM.match(item)
        if match is None:
            return None
        parsed.append((match.group(1), match.group(2), match.group(3).strip()))
    return parsed


def merge_settings(lower: str, higher: str) -> tuple[str, list[tuple[str, str, str]]]:
    """Merge ``higher`` into ``lower`` key by key; the higher-precedence value wins each key.

    Returns:
        The merged value (keys of ``lower`` in their order, then new keys of ``higher``) and the keys
        whose values differed, as ``(key, lower_value, higher_value)``. If either side is not a
        key/value list, ``higher`` replaces ``lower`` whole and the conflict key is ``""``.
    """
    low, high = parse_settings(lower), parse_settings(higher)
    if low is None or high is None:
        return higher, ([] if lower == higher else [("", lower, higher)])
    merged: dict[str, tuple[str, str]] = {key: (sep, val) for key, sep, val in low}
    conflicts = []
    for key, sep, val in high:
        if key in merged and merged[key][1] != val:
            conflicts.append((key, merged[key][1], val))
        merged[key] = (sep, val)
    return ",".join(f"{key}{sep}{val}" for key, (sep, val) in merged.items()), conflicts
