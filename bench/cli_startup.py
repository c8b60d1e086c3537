"""Start-up of `reflow --help` / `reflow fit --help` against a plain LightningCLI script, side by side.

Goal: at most 1.1x. Usage: ``python bench/cli_startup.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _cli_bench import compare, write_script

PLAIN_GENERIC = """from lightning.pytorch.cli import LightningCLI
LightningCLI(save_config_callback=None)
"""
PLAIN_DEMO = """from lightning.pytorch.cli import LightningCLI
from reflow_demo import DemoDataModule, DemoModel
LightningCLI(DemoModel, DemoDataModule, save_config_callback=None)
"""
REFLOW_DEMO = """from lightning_reflow.cli import LightningReflowCLI
from reflow_demo import DemoDataModule, DemoModel
LightningReflowCLI(DemoModel, DemoDataModule)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    with tempfile.TemporaryDirectory(prefix="reflow-cli-bench-") as tmp:
        run(Path(tmp), repeats)


def run(folder: Path, repeats: int) -> None:
    plain = str(write_script(folder, "plain_cli.py", PLAIN_GENERIC))
    plain_demo = str(write_script(folder, "plain_demo.py", PLAIN_DEMO))
    reflow_demo = str(write_script(folder, "reflow_demo_cli.py", REFLOW_DEMO))
    reflow = [sys.executable, "-m", "lightning_reflow.cli"]
    cases = {
        "reflow --help  vs  LightningCLI() --help": ([*reflow, "--help"], [sys.executable, plain, "--help"]),
        "reflow fit --help  vs  LightningCLI() fit --help": (
            [*reflow, "fit", "--help"],
            [sys.executable, plain, "fit", "--help"],
        ),
        "LightningReflowCLI(Demo..) fit --help  vs  LightningCLI(Demo..)": (
            [sys.executable, reflow_demo, "fit", "--help"],
            [sys.executable, plain_demo, "fit", "--help"],
        ),
    }
    compare(cases, folder, repeats)


if __name__ == "__main__":
    main()
