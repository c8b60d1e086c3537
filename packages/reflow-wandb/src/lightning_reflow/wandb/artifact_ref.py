"""Artifact references: ``entity/project/name:alias``, parsed strictly."""

from __future__ import annotations

import re
from dataclasses import dataclass

EXPECTED_FORM = "entity/project/name:alias (for example `my-team/my-project/3k9xq2lm:latest`)"
_SEGMENT = re.compile(r"^[A-Za-z0-9_.\-]+$")
_SCHEME = "wandb://"


class ArtifactReferenceError(ValueError):
    """An artifact reference is malformed or partial."""


@dataclass(frozen=True)
class ArtifactRef:
    """A fully qualified artifact reference.

    Attributes:
        entity: the W&B entity (user or team).
        project: the W&B project.
        name: the artifact name, or a run id (the source then looks for that run's checkpoints).
        alias: an alias (``latest``, ``best``, ``paused``, ``epoch-3``) or a version (``v3``).
    """

    entity: str
    project: str
    name: str
    alias: str

    @classmethod
    def parse(cls, reference: str) -> ArtifactRef:
        """Parse ``entity/project/name:alias`` (an optional ``wandb://`` prefix is accepted).

        Raises:
            ArtifactReferenceError: a part is missing or empty, or holds characters W&B does not allow.
        """
        text = reference.strip()
        if text.startswith(_SCHEME):
            text = text[len(_SCHEME) :]
        path, sep, alias = text.rpartition(":")
        if not sep:
            path, alias = text, ""
        parts = path.split("/")
        problem = None
        if not alias:
            problem = "it has no `:alias` or `:vN` version"
        elif len(parts) != 3:
            problem = f"it has {len(parts)} of the 3 parts entity/project/name"
        elif not all(parts):
            problem = "one of entity/project/name is empty"
        else:
            bad = [part for part in (*parts, alias) if not _SEGMENT.match(part)]
            if bad:
                problem = f"{bad[0]!r} holds characters W&B does not allow in names"
        if problem:
            raise ArtifactReferenceError(
                f"Artifact reference {reference!r} is incomplete or malformed: {problem}. Expected {EXPECTED_FORM}."
            )
        entity, project, name = parts
        return cls(entity=entity, project=project, name=name, alias=alias)

    @property
    def project_path(self) -> str:
        """``entity/project``."""
        return f"{self.entity}/{self.project}"

    def with_name(self, name: str) -> ArtifactRef:
        """The same reference for another artifact name."""
        return ArtifactRef(self.entity, self.project, name, self.alias)

    def __str__(self) -> str:
        return f"{self.entity}/{self.project}/{self.name}:{self.alias}"
