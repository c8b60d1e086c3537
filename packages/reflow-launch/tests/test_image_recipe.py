from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from lightning_reflow.launch.errors import LaunchError
from lightning_reflow.launch.image_recipe import ImageRecipe, entry_shim, project_files

REPO = Path(__file__).resolve().parents[3]


def _wheel(folder: Path, dist: str, version: str, requires: list[str]) -> Path:
    path = folder / f"{dist}-{version}-py3-none-any.whl"
    meta = "Metadata-Version: 2.1\nName: x\n" + "".join(f"Requires-Dist: {r}\n" for r in requires)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{dist}-{version}.dist-info/METADATA", meta)
    return path


@pytest.fixture
def recipe(tmp_path: Path) -> ImageRecipe:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels, "reflow_callbacks", "0.1.0", ["lightning<2.7,>=2.6", "torch>=2.1", 'pytest>=8; extra == "test"'])
    _wheel(wheels, "reflow_cli", "0.1.0", ["reflow-callbacks<0.2,>=0.1", "jsonargparse[signatures]>=4.40"])
    _wheel(wheels, "reflow_launch", "0.1.0", ["click>=8.1"])
    (wheels / "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl").write_bytes(b"torch")
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "pkg" / "__init__.py").write_text("X = 1\n")
    for junk in (".git/config", "runs/r1/last.ckpt", "pkg/__pycache__/m.pyc", "model.ckpt", "notes/big.bin"):
        (project / junk).parent.mkdir(parents=True, exist_ok=True)
        (project / junk).write_text("junk")
    (project / ".dockerignore").write_text("# data\nnotes\n")
    return ImageRecipe(base_image="base:1", project=project, wheelhouse=wheels, name="My Project")


def test_layers_and_tags(recipe: ImageRecipe) -> None:
    deps, app = recipe.steps()
    assert deps.tag.startswith("reflow-deps:") and app.tag.startswith("my-project:")
    assert sorted(deps.files) == ["deps/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"]
    # the dependency layer installs what the reflow wheels require, without reflow itself or test extras
    assert '"lightning<2.7,>=2.6", "torch>=2.1", "jsonargparse[signatures]>=4.40"]' in deps.dockerfile
    assert "pytest" not in deps.dockerfile and "reflow-callbacks<0.2" not in deps.dockerfile
    assert sorted(app.files) == [
        "entry.py",
        "project/.dockerignore",
        "project/pkg/__init__.py",
        "reflow/reflow_callbacks-0.1.0-py3-none-any.whl",
        "reflow/reflow_cli-0.1.0-py3-none-any.whl",
    ]
    text = app.dockerfile
    assert text.index(f"FROM {deps.tag}") < text.index("COPY reflow/") < text.index("COPY entry.py")
    assert text.index("COPY entry.py") < text.index("COPY project/")


def test_tags_follow_the_inputs(recipe: ImageRecipe) -> None:
    deps, app = recipe.steps()
    assert recipe.steps() == (deps, app)  # same inputs, same tags: no rebuild
    (recipe.project / "pkg" / "__init__.py").write_text("X = 2\n")
    deps2, app2 = recipe.steps()
    assert deps2.tag == deps.tag and app2.tag != app.tag  # a code change rebuilds only the last image
    (recipe.project / "runs" / "r1" / "other.ckpt").write_text("new checkpoint")
    assert recipe.steps()[1].tag == app2.tag  # outputs of runs are not inputs
    torch = next(recipe.wheelhouse.glob("torch-*.whl"))
    torch.write_bytes(b"another torch")
    deps3, app3 = recipe.steps()
    assert deps3.tag != deps.tag and app3.tag != app2.tag


def test_pypi_recipe_without_wheelhouse() -> None:
    deps, app = ImageRecipe(base_image="base:1").steps()
    assert deps.files == {}
    assert '"pip", "install", "torch>=2.1", "lightning>=2.6,<2.7"' in deps.dockerfile
    assert '"reflow-callbacks~=0.1", "reflow-cli~=0.1"' in app.dockerfile
    assert "COPY project/" not in app.dockerfile


def test_wheelhouse_without_reflow_wheels(tmp_path: Path) -> None:
    with pytest.raises(LaunchError, match=r"holds no reflow wheel .*pip wheel --no-deps"):
        ImageRecipe(wheelhouse=tmp_path).steps()


def test_project_files_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(LaunchError, match="no such folder"):
        project_files(tmp_path / "nope")


def test_docker_folder_holds_the_default_recipe() -> None:
    """docker/Dockerfile.* are the recipe the launcher generates by default (golden records)."""
    deps, app = ImageRecipe().steps()
    assert (REPO / "docker" / "Dockerfile.deps").read_text() == deps.dockerfile
    expected_app = "\n".join(
        line if "lightning-reflow.inputs" not in line else 'LABEL lightning-reflow.image="app"'
        for line in app.dockerfile.splitlines()
    )
    assert (REPO / "docker" / "Dockerfile.app").read_text().rstrip("\n") == expected_app.rstrip("\n")
    assert (REPO / "docker" / "entry.py").read_bytes() == entry_shim()
