"""The ``s3`` resume source: a checkpoint in an S3 (or S3-compatible) bucket, through fsspec/s3fs.

Credentials and the endpoint come from the usual places, never from reflow's own config: the AWS
variables and files (``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ...), ``AWS_ENDPOINT_URL`` for an
S3-compatible store (MinIO, Ceph, moto), or fsspec's ``FSSPEC_S3_*`` variables
(e.g. ``FSSPEC_S3_ENDPOINT_URL``).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

from lightning_reflow.utils.checkpoint import ResolvedCheckpoint

INSTALL_HINT = "pip install 'reflow-cli[s3]'"
_REFERENCE = re.compile(r"^s3://(?P<bucket>[^/]+)/(?P<key>.+)$")


class S3ResumeSource:
    """Downloads ``s3://bucket/key.ckpt`` into the download folder and returns the local copy.

    Args:
        storage_options: extra keyword arguments for ``s3fs.S3FileSystem`` (e.g. ``endpoint_url``);
            by default everything comes from the environment.
    """

    scheme = "s3"

    def __init__(self, storage_options: dict[str, Any] | None = None) -> None:
        self.storage_options = dict(storage_options or {})

    def resolve(self, reference: str, *, download_dir: Path) -> ResolvedCheckpoint:
        """Download the object at ``reference`` (skipped when an identical copy is already there).

        Raises:
            ValueError: the reference is not ``s3://bucket/key``, s3fs is missing, or no credentials.
            FileNotFoundError: the bucket or the object does not exist.
        """
        match = _REFERENCE.match(reference)
        if match is None or match["key"].endswith("/"):
            raise ValueError(
                f"{reference!r} is not an S3 checkpoint reference; expected s3://BUCKET/PATH/TO/FILE.ckpt."
            )
        fs = self._filesystem()
        remote = f"{match['bucket']}/{match['key']}"
        info = self._info(fs, remote, reference)
        if info.get("type") == "directory":
            raise ValueError(f"{reference} is a folder; pass the s3:// path of a `.ckpt` file inside it.")
        local = Path(download_dir) / "s3" / match["bucket"] / match["key"]
        tag = str(info.get("ETag") or info.get("etag") or "").strip('"')
        size = int(info.get("size") or 0)
        if not self._cached(local, size, tag):
            self._download(fs, remote, local)
            local.with_name(local.name + ".etag").write_text(tag)
        return ResolvedCheckpoint(
            path=local.resolve(),
            description=f"{reference} (ETag {tag or 'unknown'})",
            extra={"etag": tag, "size": size},
        )

    def _filesystem(self) -> Any:
        try:
            import s3fs
        except ImportError as err:
            raise ValueError(f"Resuming from s3:// needs s3fs, which is not installed: {INSTALL_HINT}") from err
        options = dict(self.storage_options)
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint and "endpoint_url" not in options:
            options["endpoint_url"] = endpoint
        # Always a fresh instance: a cached one may hold credentials or an endpoint of another store.
        return s3fs.S3FileSystem(skip_instance_cache=True, **options)

    @staticmethod
    def _info(fs: Any, remote: str, reference: str) -> dict[str, Any]:
        try:
            return fs.info(remote)
        except FileNotFoundError as err:
            raise FileNotFoundError(
                f"No object at {reference}: check the bucket and key (`aws s3 ls {reference.rsplit('/', 1)[0]}/`)."
            ) from err
        except PermissionError as err:
            raise ValueError(
                f"Access to {reference} was denied: check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID) "
                "and the bucket policy."
            ) from err
        except Exception as err:
            if type(err).__name__ in {"NoCredentialsError", "PartialCredentialsError"}:
                raise ValueError(
                    f"No AWS credentials to read {reference}: set AWS_PROFILE or AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL for an S3-compatible store)."
                ) from err
            raise

    @staticmethod
    def _cached(local: Path, size: int, tag: str) -> bool:
        marker = local.with_name(local.name + ".etag")
        return (
            bool(tag)
            and local.is_file()
            and local.stat().st_size == size
            and marker.is_file()
            and (marker.read_text() == tag)
        )

    @staticmethod
    def _download(fs: Any, remote: str, local: Path) -> None:
        # Stream into a temporary file beside the target, then rename: an interrupted download never
        # leaves a partial checkpoint under the final name.
        local.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{local.name}.part-", dir=local.parent)
        try:
            with os.fdopen(fd, "wb") as out, fs.open(remote, "rb", block_size=8 * 2**20) as src:
                while chunk := src.read(8 * 2**20):
                    out.write(chunk)
            os.replace(tmp, local)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
