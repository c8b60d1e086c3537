#!/usr/bin/env bash
# Start the system services the launcher tests use, idempotently:
#   - a Docker engine (dockerd without iptables/bridge, as these machines need; log in $REFLOW_SERVICES_DIR)
#   - a loopback sshd on 127.0.0.1:${REFLOW_SSHD_PORT:-2222} that accepts one generated client key.
# Everything the tests need to reach sshd (client key, host public key, port) is written to
# $REFLOW_SERVICES_DIR/sshd (default /var/lib/reflow-test-services/sshd). Safe to run again: a running
# service is left alone, a dead one is restarted after its stale pidfiles are removed.
set -euo pipefail

STATE="${REFLOW_SERVICES_DIR:-/var/lib/reflow-test-services}"
PORT="${REFLOW_SSHD_PORT:-2222}"
mkdir -p "$STATE"

if [ "$(id -u)" != 0 ]; then
    echo "ci/start-services.sh: needs root to start dockerd and sshd; skipping" >&2
    exit 0
fi

# A pidfile whose process is gone, or is not the daemon it names, makes dockerd refuse to start
# (or wait 50 s for containerd): remove it.
clean_pidfile() {  # FILE EXPECTED_COMM
    local file="$1" want="$2" pid comm
    [ -f "$file" ] || return 0
    pid="$(cat "$file" 2>/dev/null || true)"
    comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
    state="$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)"
    if [ -z "$pid" ] || [ "$comm" != "$want" ] || [ "$state" = Z ]; then
        rm -f "$file"
    fi
}

start_dockerd() {
    if docker version >/dev/null 2>&1; then
        return 0
    fi
    if ! command -v dockerd >/dev/null 2>&1; then
        echo "ci/start-services.sh: dockerd not installed (apt-get install docker.io)" >&2
        return 1
    fi
    clean_pidfile /var/run/docker.pid dockerd
    clean_pidfile /var/run/docker/containerd/containerd.pid containerd
    nohup dockerd --iptables=false --ip6tables=false --bridge=none >"$STATE/dockerd.log" 2>&1 &
    for _ in $(seq 1 300); do
        docker version >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "ci/start-services.sh: dockerd did not come up; see $STATE/dockerd.log" >&2
    tail -20 "$STATE/dockerd.log" >&2 || true
    return 1
}

start_sshd() {
    local dir="$STATE/sshd"
    mkdir -p "$dir" /run/sshd
    chmod 700 "$dir"
    [ -f "$dir/host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519_key"
    [ -f "$dir/client_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/client_ed25519_key"
    cp "$dir/client_ed25519_key.pub" "$dir/authorized_keys"
    cat >"$dir/sshd_config" <<CONF
Port $PORT
ListenAddress 127.0.0.1
HostKey $dir/host_ed25519_key
AuthorizedKeysFile $dir/authorized_keys
PidFile $dir/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
CONF
    echo "$PORT" >"$dir/port"
    clean_pidfile "$dir/sshd.pid" sshd
    if [ -f "$dir/sshd.pid" ]; then
        return 0
    fi
    /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
    for _ in $(seq 1 50); do
        [ -f "$dir/sshd.pid" ] && return 0
        sleep 0.1
    done
    echo "ci/start-services.sh: sshd did not start; see $dir/sshd.log" >&2
    return 1
}

start_dockerd
if [ -x /usr/sbin/sshd ]; then
    start_sshd
else
    echo "ci/start-services.sh: sshd not installed (apt-get install openssh-server)" >&2
fi
echo "ci/start-services.sh: dockerd and sshd (127.0.0.1:$PORT) are up; state in $STATE"
