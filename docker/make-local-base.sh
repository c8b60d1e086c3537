#!/usr/bin/env bash
# Build a minimal Debian 12 base image with python3 locally, without any registry:
#   docker/make-local-base.sh [TAG]        (default reflow-local-base:bookworm)
# For machines (and CI) that cannot pull images. Uses debootstrap (apt-get install debootstrap),
# takes 1-2 minutes, and does nothing when the tag already exists. Pass the tag to the launcher
# with `reflow-launch build --base-image TAG`. The host's CA bundle is copied in so that pip behind
# an intercepting proxy works in build steps.
set -euo pipefail
TAG="${1:-reflow-local-base:bookworm}"
if docker image inspect "$TAG" >/dev/null 2>&1; then
    echo "$TAG already present"
    exit 0
fi
command -v debootstrap >/dev/null || { echo "make-local-base.sh: apt-get install debootstrap" >&2; exit 1; }
ROOTFS="$(mktemp -d "${TMPDIR:-/tmp}/reflow-rootfs.XXXXXX")"
trap 'rm -rf "$ROOTFS"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip bookworm "$ROOTFS" >"$ROOTFS.log" 2>&1 \
    || { tail -20 "$ROOTFS.log" >&2; exit 1; }
rm -f "$ROOTFS.log"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    mkdir -p "$ROOTFS/etc/ssl/certs"
    cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
fi
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
tar -C "$ROOTFS" -c . | docker import -c 'ENV LANG=C.UTF-8' -c 'CMD ["python3"]' - "$TAG" >/dev/null
echo "$TAG built"
