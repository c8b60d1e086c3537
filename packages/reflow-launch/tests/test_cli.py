"""Bad input through the real command: one clear message each, the documented exit status, no traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lightning_reflow.launch.cli import main

SECRET = "hunter2-do-not-print"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    file = tmp_path / "train.yaml"
    file.write_text(
        "trainer:\n  max_epochs: 1\n  callbacks:\n"
        "    - class_path: lightning_reflow.callbacks.EnvironmentCallback\n"
        "      init_args: {env_vars: {TOKENIZERS_PARALLELISM: 'false'}}\n"
    )
    return file


def _invoke(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    return result.exit_code, result.output


def _one_error(output: str, pattern: str) -> None:
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    assert pytest.importorskip("re").search(pattern, lines[0]), lines[0]


def test_missing_config(tmp_path: Path) -> None:
    code, out = _invoke(["fit", str(tmp_path / "nope.yaml"), "--state-dir", str(tmp_path)])
    assert code == 2
    _one_error(out, r"config .*nope\.yaml: no such file\. Pass the path of your training config")


def test_config_that_is_not_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("trainer: [unclosed\n")
    code, out = _invoke(["fit", str(bad), "--state-dir", str(tmp_path)])
    assert code == 2
    _one_error(out, r"is not valid YAML")


def test_missing_secret(config: Path, tmp_path: Path) -> None:
    code, out = _invoke(["fit", str(config), "--no-project", "--secret", "REFLOW_TEST_UNSET_SECRET"], env={})
    assert code == 2
    _one_error(out, r"--secret REFLOW_TEST_UNSET_SECRET: not set in your environment\. Export it first")


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="this host has GPUs")
def test_unknown_gpu_index(config: Path, tmp_path: Path) -> None:
    code, out = _invoke(["fit", str(config), "--no-project", "--gpus", "3", "--dry-run", "--state-dir", str(tmp_path)])
    assert code == 2
    _one_error(out, r"--gpus 3: host local reports no GPU \(nvidia-smi not found\)\. Run without --gpus")


def test_no_engine(config: Path, tmp_path: Path) -> None:
    sock = tmp_path / "no-docker.sock"
    code, out = _invoke(
        ["fit", str(config), "--no-project", "--state-dir", str(tmp_path)], env={"DOCKER_HOST": f"unix://{sock}"}
    )
    assert code == 69
    _one_error(out, rf"No Docker engine answers at unix://{sock} .*Start it")


def test_unreachable_host(config: Path, tmp_path: Path) -> None:
    code, out = _invoke(["build", "--no-project", "--host", "root@127.0.0.1:1", "--state-dir", str(tmp_path)])
    assert code == 69
    _one_error(out, r"Cannot reach root@127\.0\.0\.1:1 over SSH \(port 1\).*Check the host name")


def test_unknown_host_key(ssh_home: Path, sshd: dict, tmp_path: Path) -> None:
    (ssh_home / ".ssh" / "known_hosts").write_text("")
    code, out = _invoke(["build", "--no-project", "--host", sshd["spec"], "--state-dir", str(tmp_path)])
    assert code == 69
    _one_error(out, rf"host key of \[127\.0\.0\.1\]:{sshd['port']} is not in .*known_hosts.*ssh-keyscan -p")


def test_unknown_run(tmp_path: Path) -> None:
    for command in (["pause", "nope"], ["stop", "nope"], ["resume", "nope"], ["logs", "nope"]):
        code, out = _invoke([*command, "--state-dir", str(tmp_path)])
        assert code == 2
        _one_error(out, r"'nope' is not a known run in .*reflow-launch ps")


def test_bad_env_assignment(config: Path, tmp_path: Path) -> None:
    code, out = _invoke(["fit", str(config), "--no-project", "-e", "TOKEN", "--state-dir", str(tmp_path)])
    assert code == 2
    _one_error(out, r"-e 'TOKEN': expected KEY=VALUE\. .*use --secret TOKEN")


def test_dry_run_masks_secrets_and_passes_arguments_through(config: Path, tmp_path: Path) -> None:
    args = ["fit", str(config), "--no-project", "--secret", "MY_TOKEN", "--dry-run", "--state-dir", str(tmp_path),
            "--", "--trainer.max_epochs=3"]  # fmt: skip
    code, out = _invoke(args, env={"MY_TOKEN": SECRET})
    assert code == 0, out
    assert SECRET not in out and '{"MY_TOKEN": "***"}' in out
    assert "--trainer.max_epochs=3" in out and "TOKENIZERS_PARALLELISM=false" in out
    assert not (tmp_path / "runs").exists()  # a dry run writes no record


def test_launcher_starts_without_torch_or_lightning() -> None:
    code = "import sys, lightning_reflow.launch.cli; sys.exit(bool({'torch', 'lightning'} & set(sys.modules)))"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
