"""Which environment variables are secrets: the one rule every reflow component uses.

A secret travels by name only: reflow records that it was set, never its value (checkpoints, embedded
configs, run records, logs, dry runs all show it as ``None`` or ``***``).

The rule works on the words of the name (split at ``_``, ``-``, ``.`` and case is ignored), so that
``TOKENIZERS_PARALLELISM`` is *not* a secret while ``HF_TOKEN`` is. A name is a secret when one of its
words

- is one of ``AUTH``, ``AUTHORIZATION``, ``CREDENTIAL(S)``, ``CREDS``, ``PASSPHRASE``, ``PRIVATE``,
  ``COOKIE``, ``SESSION``, ``SIGNATURE``, ``DSN``, ``SAS``, ``PAT``, or
- ends with ``KEY``/``KEYS``, ``TOKEN``/``TOKENS``, ``SECRET``/``SECRETS``, ``PASSWORD``/``PASSWORDS``,
  ``PASSWD`` or ``PWD`` (so ``APIKEY``, ``ACCESSTOKEN``, ``DB_PASSWD`` count; the bare ``PWD`` and
  ``OLDPWD`` that shells set are the working directory and do not).

A value can also give a secret away: a URL with a password in it (``scheme://user:pass@host``) is
treated as a secret whatever its name (:func:`is_secret`). False positives only cost a value that
is not recorded; a false negative leaks, so the rule leans towards "secret".
"""

from __future__ import annotations

import re

__all__ = ["is_secret", "is_secret_name", "mask_secrets"]

_SECRET_WORDS = frozenset(
    {
        "AUTH",
        "AUTHORIZATION",
        "CREDENTIAL",
        "CREDENTIALS",
        "CREDS",
        "PASSPHRASE",
        "PRIVATE",
        "COOKIE",
        "SESSION",
        "SIGNATURE",
        "DSN",
        "SAS",
        "PAT",
    }
)
_SECRET_SUFFIXES = ("KEY", "KEYS", "TOKEN", "TOKENS", "SECRET", "SECRETS", "PASSWORD", "PASSWORDS", "PASSWD", "PWD")
_NOT_SECRET_NAMES = frozenset({"PWD", "OLDPWD"})
_WORD_SPLIT = re.compile(r"[_\-.\s]+")
_URL_WITH_PASSWORD = re.compile(r"[a-z][a-z0-9+.\-]*://[^/\s:@]*:[^/\s@]+@", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """Whether an environment variable's name marks it as a secret (see the module docstring).

    Args:
        name: the variable name, e.g. ``"WANDB_API_KEY"``.

    Returns:
        ``True`` for names such as ``HF_TOKEN``, ``WANDB_API_KEY``, ``AWS_SECRET_ACCESS_KEY``,
        ``DB_PASSWORD``; ``False`` for ``TOKENIZERS_PARALLELISM``, ``PYTORCH_CUDA_ALLOC_CONF``, ``PWD``.
    """
    upper = name.upper()
    if upper in _NOT_SECRET_NAMES:
        return False
    for word in _WORD_SPLIT.split(upper):
        if not word:
            continue
        if word in _SECRET_WORDS or word.endswith(_SECRET_SUFFIXES):
            return True
    return False


def is_secret(name: str, value: str | None = None) -> bool:
    """Whether a variable is a secret by its name, or by a value that embeds a password in a URL."""
    if is_secret_name(name):
        return True
    return value is not None and _URL_WITH_PASSWORD.search(value) is not None


def mask_secrets(env: dict[str, str | None]) -> dict[str, str | None]:
    """Return ``env`` with every secret's value replaced by ``None`` (the form stored in checkpoints)."""
    return {name: (None if value is None or is_secret(name, value) else value) for name, value in env.items()}
