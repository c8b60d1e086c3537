from __future__ import annotations

from pathlib import Path

import pytest

from lightning_reflow.launch.environment import EnvSpec, config_environment, read_env_file
from lightning_reflow.launch.errors import LaunchError, MissingSecret

CONFIG = {
    "trainer": {
        "callbacks": [
            {"class_path": "lightning_reflow.callbacks.PauseCallback", "init_args": {"checkpoint_dir": "x"}},
            {
                "class_path": "lightning_reflow.callbacks.EnvironmentCallback",
                "init_args": {"env_vars": {"PYTORCH_CUDA_ALLOC_CONF": "max_split_size_mb:128", "A": "config"}},
            },
        ]
    }
}


def test_config_environment_reads_environment_callbacks() -> None:
    assert config_environment(CONFIG) == {"PYTORCH_CUDA_ALLOC_CONF": "max_split_size_mb:128", "A": "config"}
    assert config_environment({"trainer": {"callbacks": None}}) == {}
    assert config_environment(None) == {}


def test_precedence_command_line_over_env_file_over_config(tmp_path: Path) -> None:
    env_file = tmp_path / "vars.env"
    env_file.write_text("# comment\n\nA=file\nB='quoted value'\nexport C=exported\n")
    spec = EnvSpec.build(config_environment(CONFIG), [env_file], ["B=cli", "D=x=y"], ["TOKEN"])
    assert spec.variables == {
        "PYTORCH_CUDA_ALLOC_CONF": "max_split_size_mb:128",
        "A": "file",
        "B": "cli",
        "C": "exported",
        "D": "x=y",
    }
    assert spec.secrets == ("TOKEN",)


def test_a_secret_is_never_a_plain_variable() -> None:
    spec = EnvSpec.build({"TOKEN": "from-config"}, [], ["TOKEN=from-cli"], ["TOKEN"])
    assert "TOKEN" not in spec.variables
    assert spec.secret_values({"TOKEN": "v"}) == {"TOKEN": "v"}


def test_missing_secret_names_the_variable() -> None:
    spec = EnvSpec.build(secrets=["WANDB_API_KEY", "OTHER"])
    with pytest.raises(MissingSecret, match=r"--secret WANDB_API_KEY, OTHER: not set in your environment"):
        spec.secret_values({})


@pytest.mark.parametrize(
    ("assignment", "match"),
    [("NOVALUE", r"expected KEY=VALUE.*--secret NOVALUE"), ("1BAD=x", "expected KEY=VALUE")],
)
def test_bad_assignments(assignment: str, match: str) -> None:
    with pytest.raises(LaunchError, match=match):
        EnvSpec.build(assignments=[assignment])


def test_env_file_errors(tmp_path: Path) -> None:
    with pytest.raises(LaunchError, match="no such file"):
        read_env_file(tmp_path / "missing.env")
    bad = tmp_path / "bad.env"
    bad.write_text("OK=1\nnot an assignment\n")
    with pytest.raises(LaunchError, match=r"line 2: expected KEY=VALUE"):
        read_env_file(bad)
