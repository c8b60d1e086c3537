"""CallbackConfigMixin: callbacks that carry their own settings through a checkpoint."""

from __future__ import annotations

import inspect
from typing import Any


class CallbackConfigMixin:
    """Gives a callback ``get_config()``/``state_dict()``/``load_state_dict()`` from its ``__init__`` arguments.

    Mix it into a Lightning callback whose ``__init__`` stores each argument under the same name
    (``self.param1 = param1``). Its settings are then saved in every checkpoint and restored on
    resume; a subclass may override ``state_dict``/``load_state_dict`` as the seed's example does.
    Only plain values (str, int, float, bool, None, lists, tuples and dicts of them) are saved, so
    ``torch.load(weights_only=True)`` still reads the checkpoint.

    The seed's order ``class MyCallback(pl.Callback, CallbackConfigMixin)`` puts Lightning's empty
    ``Callback.state_dict`` first in the MRO, so the mixin installs its methods on each subclass
    that does not define its own.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ("state_dict", "load_state_dict"):
            if name not in cls.__dict__ and not any(
                name in base.__dict__ for base in cls.__mro__[1:] if _is_user_class(base)
            ):
                setattr(cls, name, CallbackConfigMixin.__dict__[name])

    def get_config(self) -> dict[str, Any]:
        """The current values of the ``__init__`` parameters, as plain values."""
        params = inspect.signature(type(self).__init__).parameters
        config: dict[str, Any] = {}
        for name, param in params.items():
            if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            if hasattr(self, name) and _is_plain(getattr(self, name)):
                config[name] = getattr(self, name)
        return config

    def state_dict(self) -> dict[str, Any]:
        return {"config": self.get_config()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        for name, value in (state_dict.get("config") or {}).items():
            setattr(self, name, value)


def _is_user_class(base: type) -> bool:
    # A class between the subclass and the library bases that defines its own state methods wins.
    return base is not CallbackConfigMixin and not base.__module__.startswith(("lightning.", "builtins"))


def _is_plain(value: Any) -> bool:
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False
