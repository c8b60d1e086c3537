"""Dockerfile texts of the two images: dependencies first (rarely rebuilt), then reflow and the project."""

from __future__ import annotations

import json
from collections.abc import Sequence

RECIPE_VERSION = "1"
VENV = "/opt/reflow/venv"
WHEELS = "/opt/reflow/wheels"
REFLOW_WHEELS = "/opt/reflow/reflow-wheels"
ENTRY = "/opt/reflow/entry.py"
WORKSPACE = "/workspace"

_PYTHON = (
    "RUN if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then \\\n"
    "        apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\\n"
    "            python3 python3-venv python3-pip ca-certificates && rm -rf /var/lib/apt/lists/*; \\\n"
    "    fi \\\n"
    f"    && python3 -m venv {VENV}\n"
)


def _exec(argv: Sequence[str]) -> str:
    return json.dumps(list(argv))


def deps_dockerfile(base_image: str, requirements: Sequence[str], wheelhouse: bool) -> str:
    """Layer 1-3: the base, a Python venv, and the heavy dependencies (torch, Lightning, the user's)."""
    lines = [
        f"# reflow-launch recipe {RECIPE_VERSION}, image 1 of 2: dependencies. Rebuilt only when the base image,",
        "# the dependency list or the dependency wheels change.",
        f"FROM {base_image}",
        "ENV LANG=C.UTF-8 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \\\n"
        "    PIP_ROOT_USER_ACTION=ignore",
        _PYTHON.rstrip("\n"),
        f"ENV VIRTUAL_ENV={VENV} PATH={VENV}/bin:$PATH",
    ]
    if wheelhouse:
        lines.append(f"COPY deps/ {WHEELS}/")
        install = ["pip", "install", "--no-index", "--find-links", WHEELS, *requirements]
    else:
        install = ["pip", "install", *requirements]
    if requirements:
        lines.append(f"RUN {_exec(install)}")
    lines.append('LABEL lightning-reflow.image="deps"')
    return "\n".join(lines) + "\n"


def app_dockerfile(
    deps_tag: str, reflow_install: Sequence[str], wheelhouse: bool, has_project: bool, inputs_hash: str
) -> str:
    """Layers 4-6 on top of the dependency image: reflow, the entry shim, the user's project last."""
    lines = [
        f"# reflow-launch recipe {RECIPE_VERSION}, image 2 of 2: reflow and the project (rebuilt in seconds).",
        f"FROM {deps_tag}",
    ]
    if wheelhouse:
        lines.append(f"COPY reflow/ {REFLOW_WHEELS}/")
        install = ["pip", "install", "--no-index", "--find-links", WHEELS, "--find-links", REFLOW_WHEELS]
    else:
        install = ["pip", "install"]
    if reflow_install:
        lines.append(f"RUN {_exec([*install, *reflow_install])}")
    lines.append(f"COPY entry.py {ENTRY}")
    if has_project:
        lines.append(f"COPY project/ {WORKSPACE}/")
    lines += [
        f"ENV PYTHONPATH={WORKSPACE}/src:{WORKSPACE}",
        f"WORKDIR {WORKSPACE}",
        f'LABEL lightning-reflow.image="app" lightning-reflow.inputs="{inputs_hash}"',
    ]
    return "\n".join(lines) + "\n"
