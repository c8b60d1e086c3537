"""The ``s3`` resume source against a real S3 protocol endpoint on loopback (moto in server mode)."""

from __future__ import annotations

import shutil
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from _helpers import assert_same_weights, last_pause, weights

from lightning_reflow.cli.sources.s3 import S3ResumeSource
from lightning_reflow.utils.checkpoint import extract_embedded_config

Runner = Callable[..., tuple[int, str]]
BUCKET = "reflow-ckpts"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[object]:
    """A moto S3 server on 127.0.0.1 with one bucket; AWS_* variables point every client at it."""
    server_module = pytest.importorskip("moto.server")
    s3fs = pytest.importorskip("s3fs")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    fs = s3fs.S3FileSystem(skip_instance_cache=True, endpoint_url=f"http://{host}:{port}")
    fs.mkdir(BUCKET)
    yield fs
    # moto keeps its state per process: reset it so the next test starts with an empty store
    urllib.request.urlopen(urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST")).close()
    server.stop()


def test_resume_from_s3_matches_an_uninterrupted_run(
    tmp_path: Path, write_config: Callable[..., Path], reflow: Runner, s3: object
) -> None:
    assert reflow("fit", "--config", write_config("reference", max_epochs=2))[0] == 0
    assert reflow("fit", "--config", write_config("paused", pause_at=5, max_epochs=2))[0] == 75
    local = Path(last_pause(tmp_path / "paused" / "pause")["checkpoint"])
    s3.put(str(local), f"{BUCKET}/runs/paused.ckpt")
    no_pauser = tmp_path / "no-pauser.yaml"
    no_pauser.write_text(
        yaml.safe_dump({"trainer": {"callbacks": extract_embedded_config(local)["trainer"]["callbacks"][:2]}})
    )
    shutil.rmtree(local.parent)  # only the bucket has it now

    code, err = reflow("resume", "--checkpoint-path", f"s3://{BUCKET}/runs/paused.ckpt", "--config", no_pauser)
    assert code == 0, err
    assert_same_weights(
        weights(tmp_path / "reference" / "ckpt" / "last.ckpt"), weights(tmp_path / "paused" / "ckpt" / "last.ckpt")
    )
    downloaded = tmp_path / "cache" / "checkpoints" / "s3" / BUCKET / "runs" / "paused.ckpt"
    assert downloaded.read_bytes() == s3.cat(f"{BUCKET}/runs/paused.ckpt")


def test_second_resolve_uses_the_downloaded_copy(tmp_path: Path, s3: object) -> None:
    s3.pipe(f"{BUCKET}/a.ckpt", b"checkpoint bytes")
    source = S3ResumeSource()
    first = source.resolve(f"s3://{BUCKET}/a.ckpt", download_dir=tmp_path / "dl")
    stamp = first.path.stat().st_mtime_ns
    second = source.resolve(f"s3://{BUCKET}/a.ckpt", download_dir=tmp_path / "dl")
    assert second.path == first.path and second.path.stat().st_mtime_ns == stamp
    assert first.extra["etag"]
    s3.pipe(f"{BUCKET}/a.ckpt", b"new checkpoint bytes")  # a changed object is downloaded again
    assert (
        source.resolve(f"s3://{BUCKET}/a.ckpt", download_dir=tmp_path / "dl").path.read_bytes()
        == b"new checkpoint bytes"
    )


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        (f"s3://{BUCKET}/missing.ckpt", "No object at s3://reflow-ckpts/missing.ckpt"),
        ("s3://no-such-bucket/x.ckpt", "No object at s3://no-such-bucket/x.ckpt"),
        (f"s3://{BUCKET}/", "expected s3://BUCKET/PATH/TO/FILE.ckpt"),
        ("s3://", "expected s3://BUCKET/PATH/TO/FILE.ckpt"),
    ],
)
def test_bad_s3_references(reflow: Runner, s3: object, reference: str, expected: str) -> None:
    code, err = reflow("resume", "--checkpoint-path", reference)
    assert code == 2 and "Traceback" not in err
    assert expected in err


def test_missing_s3fs_names_the_extra(reflow: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "s3fs", None)  # as if `reflow-cli[s3]` was not installed
    code, err = reflow("resume", "--checkpoint-path", f"s3://{BUCKET}/x.ckpt")
    assert code == 2 and "pip install 'reflow-cli[s3]'" in err
