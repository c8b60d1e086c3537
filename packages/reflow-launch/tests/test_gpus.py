from __future__ import annotations

import pytest

from lightning_reflow.launch.errors import GpuRequestError
from lightning_reflow.launch.gpus import GpuInventory, GpuRequest

TWO = GpuInventory.from_nvidia_smi("node", "0, GPU-aaa\n1, GPU-bbb\n")
NONE = GpuInventory.from_nvidia_smi("node", None)


@pytest.mark.parametrize(
    ("text", "requests", "flag"),
    [
        ("0,1", [{"Driver": "nvidia", "Capabilities": [["gpu"]], "DeviceIDs": ["0", "1"]}], '"device=0,1"'),
        ("device=1", [{"Driver": "nvidia", "Capabilities": [["gpu"]], "DeviceIDs": ["1"]}], '"device=1"'),
        ("all", [{"Driver": "nvidia", "Capabilities": [["gpu"]], "Count": -1}], "all"),
        ("count=2", [{"Driver": "nvidia", "Capabilities": [["gpu"]], "Count": 2}], "count=2"),
        ("1", [{"Driver": "nvidia", "Capabilities": [["gpu"]], "DeviceIDs": ["1"]}], '"device=1"'),
        ("GPU-bbb", [{"Driver": "nvidia", "Capabilities": [["gpu"]], "DeviceIDs": ["GPU-bbb"]}], '"device=GPU-bbb"'),
    ],
)
def test_parse_to_device_requests(text: str, requests: list, flag: str) -> None:
    request = GpuRequest.parse(text)
    assert request.device_requests() == requests
    assert request.cli_flag() == flag
    request.validate(TWO)


@pytest.mark.parametrize(
    ("text", "inventory", "match"),
    [
        ("0,2", TWO, r"GPU 2 does not exist on host node, which has GPUs 0, 1 \(2 found by nvidia-smi\)"),
        ("count=3", TWO, r"has only GPUs 0, 1"),
        ("2", TWO, r"GPU 2 does not exist"),
        ("0", NONE, r"host node reports no GPU \(nvidia-smi not found\)\. Run without --gpus"),
        ("all", NONE, r"reports no GPU"),
    ],
)
def test_validate_names_what_the_host_has(text: str, inventory: GpuInventory, match: str) -> None:
    with pytest.raises(GpuRequestError, match=match):
        GpuRequest.parse(text).validate(inventory)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", r"use indices \(0,1 or device=2\)"),
        ("0;1", r"use indices"),
        ("gpu0", r"use indices"),
        ("-1", r"use indices"),
        ("device=", r"use indices"),
        ("count=0", r"a count must be a number of at least 1"),
        ("count=x", r"a count must be"),
    ],
)
def test_malformed_values(text: str, match: str) -> None:
    with pytest.raises(GpuRequestError, match=match):
        GpuRequest.parse(text)
