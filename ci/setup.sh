#!/usr/bin/env bash
# One-time machine set-up for the test suite: tox, and the system services the launcher tests use
# (a Docker engine, sshd, debootstrap for the local base image). Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -m tox --version >/dev/null 2>&1; then
    python3 -m pip install -q 'tox>=4.11'
fi

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
    else
        echo "ci/setup.sh: missing ${need[*]}; install them as root (apt-get install ${need[*]})" >&2
    fi
fi

if [ -x ci/start-services.sh ]; then
    bash ci/start-services.sh
fi
