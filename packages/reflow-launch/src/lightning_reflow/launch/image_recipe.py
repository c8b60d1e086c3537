"""What goes into the trainer image, as two hash-tagged build steps (dependencies, then reflow and project)."""

from __future__ import annotations

import fnmatch
import re
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from lightning_reflow.launch import _dockerfile
from lightning_reflow.launch._hashing import FileHasher, digest_of
from lightning_reflow.launch.errors import LaunchError

#: The default base for GPU nodes: CUDA runtime libraries; the recipe adds Python when it is missing.
DEFAULT_BASE_IMAGE = "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04"
#: Installed from the package index when no wheelhouse is given (pip picks the CUDA build of torch on Linux).
PYPI_DEPENDENCIES = ("torch>=2.1", "lightning>=2.6,<2.7")
PYPI_REFLOW = ("reflow-callbacks", "reflow-cli")
#: Never copied into the image from a project folder.
DEFAULT_EXCLUDES = (
    ".git", ".hg", ".venv", "venv", ".tox", "__pycache__", "*.pyc", ".pytest_cache", ".ruff_cache", ".mypy_cache",
    "*.egg-info", "build", "dist", "node_modules", "*.ckpt", "runs", "wandb", "lightning_logs", "pause_checkpoints",
    ".reflow",
)  # fmt: skip
_WHEEL = re.compile(r"^(?P<dist>[A-Za-z0-9_.]+)-(?P<version>[^-]+)-.+\.whl$")


@dataclass(frozen=True)
class BuildStep:
    """One ``docker build``: the Dockerfile, the context files (name in context -> file or bytes), the tag."""

    tag: str
    dockerfile: str
    files: dict[str, Path | bytes] = field(default_factory=dict)

    def summary(self) -> str:
        """A short description of the context for printed plans."""
        groups: dict[str, int] = {}
        for name in self.files:
            top = name.split("/", 1)[0]
            groups[top] = groups.get(top, 0) + 1
        return ", ".join(f"{top} ({n} file{'s' if n != 1 else ''})" for top, n in sorted(groups.items()))


@dataclass(frozen=True)
class ImageRecipe:
    """The inputs of the trainer image.

    Args:
        base_image: the image to start from (default: a CUDA runtime image; Python is added if missing).
        project: the user's project folder, copied in last (``/workspace``, on ``PYTHONPATH``).
        wheelhouse: a folder of wheels to install from instead of the package index (``reflow_*`` wheels
            go into the reflow layer, all others into the dependency layer).
        requirements: extra pip requirements of the project, installed with the dependencies.
        reflow_version: the version specifier of the reflow distributions from the index (no wheelhouse).
        name: the image repository name; the tag is a hash of all inputs.
    """

    base_image: str = DEFAULT_BASE_IMAGE
    project: Path | None = None
    wheelhouse: Path | None = None
    requirements: tuple[str, ...] = ()
    reflow_version: str = "~=0.1"
    name: str = "reflow-app"

    def steps(self, hasher: FileHasher | None = None) -> tuple[BuildStep, BuildStep]:
        """The dependency image step and the app image step, tagged by their inputs' hash."""
        hasher = hasher or FileHasher()
        reflow_wheels, dep_wheels = self._wheels()
        if self.wheelhouse is not None:
            requirements = [*_requirements_of(reflow_wheels), *self.requirements]
            reflow_install = [f"{_dockerfile.REFLOW_WHEELS}/{w.name}" for w in reflow_wheels]
        else:
            requirements = [*PYPI_DEPENDENCIES, *self.requirements]
            reflow_install = [f"{dist}{self.reflow_version}" for dist in PYPI_REFLOW]
        deps_files: dict[str, Path | bytes] = {f"deps/{w.name}": w for w in dep_wheels}
        deps_text = _dockerfile.deps_dockerfile(self.base_image, requirements, self.wheelhouse is not None)
        deps_hash = _hash_step(deps_text, deps_files, hasher)
        deps = BuildStep(f"reflow-deps:{deps_hash[:16]}", deps_text, deps_files)

        app_files: dict[str, Path | bytes] = {f"reflow/{w.name}": w for w in reflow_wheels}
        app_files["entry.py"] = entry_shim()
        if self.project is not None:
            app_files.update({f"project/{rel}": path for rel, path in project_files(self.project)})
        probe = _dockerfile.app_dockerfile(
            deps.tag, reflow_install, self.wheelhouse is not None, bool(self.project), ""
        )
        app_hash = _hash_step(probe, app_files, hasher)
        app_text = _dockerfile.app_dockerfile(
            deps.tag, reflow_install, self.wheelhouse is not None, self.project is not None, app_hash[:16]
        )
        hasher.save()
        return deps, BuildStep(f"{_repo_name(self.name)}:{app_hash[:16]}", app_text, app_files)

    def _wheels(self) -> tuple[list[Path], list[Path]]:
        if self.wheelhouse is None:
            return [], []
        if not self.wheelhouse.is_dir():
            raise LaunchError(f"--wheelhouse {self.wheelhouse}: no such folder.")
        latest: dict[str, tuple[tuple, Path]] = {}
        deps: list[Path] = []
        for wheel in sorted(self.wheelhouse.glob("*.whl")):
            match = _WHEEL.match(wheel.name)
            dist = match.group("dist").lower().replace(".", "_") if match else ""
            if not dist.startswith("reflow_"):
                deps.append(wheel)
            elif dist != "reflow_launch":
                key = _version_key(match.group("version"))
                if dist not in latest or key > latest[dist][0]:
                    latest[dist] = (key, wheel)
        if not latest:
            raise LaunchError(
                f"--wheelhouse {self.wheelhouse} holds no reflow wheel (reflow_callbacks-*.whl, reflow_cli-*.whl). "
                "Build them with: python -m pip wheel --no-deps -w WHEELHOUSE reflow-callbacks reflow-cli"
            )
        return [w for _, w in sorted(latest.values(), key=lambda kv: kv[1].name)], deps


def entry_shim() -> bytes:
    """The container entry shim shipped in this package (stdlib only)."""
    return resources.files("lightning_reflow.launch").joinpath("_entry.py").read_bytes()


def project_files(root: Path) -> list[tuple[str, Path]]:
    """The project's files, relative names sorted, without VCS folders, caches, checkpoints and runs.

    Extra patterns come from ``.dockerignore`` or ``.reflowignore`` in the project (one glob per line).
    """
    if not root.is_dir():
        raise LaunchError(f"--project {root}: no such folder.")
    patterns = list(DEFAULT_EXCLUDES)
    for ignore in (".dockerignore", ".reflowignore"):
        file = root / ignore
        if file.is_file():
            patterns += [p.strip().strip("/") for p in file.read_text().splitlines() if p.strip() and p[0] != "#"]
    result: list[tuple[str, Path]] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        parts = rel.split("/")
        if any(fnmatch.fnmatch(part, pat) or fnmatch.fnmatch(rel, pat) for part in parts for pat in patterns):
            continue
        if path.is_file() and not path.is_symlink():
            result.append((rel, path))
    return result


def _hash_step(dockerfile: str, files: dict[str, Path | bytes], hasher: FileHasher) -> str:
    import hashlib

    parts = [("Dockerfile", hashlib.sha256(dockerfile.encode()).hexdigest())]
    for name, source in files.items():
        value = hashlib.sha256(source).hexdigest() if isinstance(source, bytes) else hasher.file(source)
        parts.append((name, value))
    return digest_of(parts)


def _requirements_of(wheels: list[Path]) -> list[str]:
    """``Requires-Dist`` of the reflow wheels, minus reflow itself and extras-only entries, de-duplicated."""
    seen: dict[str, None] = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            text = archive.read(meta).decode()
        for line in text.splitlines():
            if not line.startswith("Requires-Dist:"):
                continue
            requirement = line.split(":", 1)[1].strip()
            name = re.split(r"[\s\[<>=!~;(]", requirement, maxsplit=1)[0].lower().replace("_", "-")
            if name.startswith("reflow-") or "extra ==" in requirement.replace("extra==", "extra =="):
                continue
            seen.setdefault(requirement)
    return list(seen)


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else -1 for p in re.split(r"[.+-]", version))


def _repo_name(name: str) -> str:
    cleaned = re.sub(r"[^a-z0-9._/-]+", "-", name.lower()).strip("-./") or "reflow-app"
    return cleaned
