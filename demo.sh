#!/usr/bin/env bash
# LightningReflow in one command: set up .venv (CPU torch, the four packages editable), then run the
# demo: train, pause by signal, resume with the printed command, and check that the final weights are
# bitwise identical to an uninterrupted run. Re-running skips the set-up when .venv is complete.
#   ./demo.sh [--workdir DIR]
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$PWD"
PYTHON="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv with $PYTHON"
    "$PYTHON" -m venv .venv
fi
if ! PYTHONPATH="$ROOT/examples" .venv/bin/python -c \
        "import lightning_reflow.cli.lightning_cli, lightning_reflow.callbacks.pause, lightning_reflow.launch, reflow_demo" \
        >/dev/null 2>&1; then
    echo "Installing the four reflow packages (editable) into .venv; torch is pinned to the CPU build by ci/constraints.txt"
    export PIP_CONSTRAINT="$ROOT/ci/constraints.txt"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q \
        -e packages/reflow-callbacks -e packages/reflow-cli -e packages/reflow-wandb -e packages/reflow-launch
fi

exec .venv/bin/python examples/run_demo.py "$@"
