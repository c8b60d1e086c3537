"""Artifact metadata and references: plain values, no secrets, strict names."""

from __future__ import annotations

import json

import pytest
import torch

from lightning_reflow.wandb import ArtifactRef, ArtifactReferenceError
from lightning_reflow.wandb._metadata import build_metadata


def test_metadata_is_plain_json_without_secret_values() -> None:
    extra = {
        "reason": "key",
        "HF_TOKEN": "hf_abc",
        "nested": {"wandb_api_key": "k" * 40, "db_password": "pw", "kept": 1},
        "score": torch.tensor(0.5),
        "opaque": object(),
    }
    metadata = build_metadata(
        run_id="r1",
        reason="pause",
        epoch=1,
        global_step=7,
        sha256="0" * 64,
        size=10,
        file_name="model.ckpt.gz",
        compression="gzip",
        monitor="val_loss",
        monitor_score=torch.tensor(float("nan")),
        extra=extra,
    )
    text = json.dumps(metadata)  # plain JSON types only
    assert "hf_abc" not in text and "k" * 40 not in text and "pw" not in text
    assert metadata["details"] == {"reason": "key", "nested": {"kept": 1}, "score": 0.5, "opaque": None}
    assert metadata["monitor_score"] is None  # NaN is not valid JSON
    assert metadata["versions"]["reflow-wandb"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ent/proj/3k9xq2lm:latest", ArtifactRef("ent", "proj", "3k9xq2lm", "latest")),
        ("wandb://ent/proj/checkpoint-abc:v3", ArtifactRef("ent", "proj", "checkpoint-abc", "v3")),
        (" my-team/my.project/run_1:epoch-2 ", ArtifactRef("my-team", "my.project", "run_1", "epoch-2")),
    ],
)
def test_reference_forms(text: str, expected: ArtifactRef) -> None:
    assert ArtifactRef.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("proj/run:latest", "2 of the 3 parts"),
        ("ent/proj/run", "no `:alias`"),
        ("ent//run:latest", "is empty"),
        ("ent/proj/run:lat est", "characters W&B does not allow"),
    ],
)
def test_partial_references_name_the_problem_and_the_expected_form(text: str, problem: str) -> None:
    with pytest.raises(ArtifactReferenceError, match=problem) as info:
        ArtifactRef.parse(text)
    assert "Expected entity/project/name:alias" in str(info.value)
