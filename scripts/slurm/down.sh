#!/usr/bin/env bash
# Stop the one-node SLURM cluster started by scripts/slurm/up.sh: exactly the
# daemons whose PIDs up.sh recorded in $CRIMENET_SLURM_DIR/pids, in reverse
# start order. State (config, database, munge key) is kept, so up.sh can start
# the same cluster again. See scripts/slurm/README.md.
set -euo pipefail

PROG=down.sh
SLURM_DIR=${CRIMENET_SLURM_DIR:-/tmp/crimenet-slurm}
TIMEOUT=${CRIMENET_SLURM_TIMEOUT:-60}   # seconds to wait for each daemon to exit
PIDS=$SLURM_DIR/pids
DAEMONS=(slurmd slurmctld slurmdbd mariadbd munged)   # reverse of the start order

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
log() { echo "$PROG: $*" >&2; }

if [ ! -d "$PIDS" ]; then
    log "nothing to stop ($PIDS does not exist)"
    exit 0
fi

exec 9>"$SLURM_DIR/.lock"
flock -w $((TIMEOUT * 5)) 9 || { log "ERROR: another up.sh/down.sh holds $SLURM_DIR/.lock"; exit 1; }

pid_of() {  # the recorded PID, only if that process is still the named daemon
    local name=$1 f=$PIDS/$1.pid pid comm
    [ -s "$f" ] || return 1
    pid=$(cat "$f" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [ "$comm" = "$name" ] || return 1   # PID reused by something else
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1   # exited, unreaped
    echo "$pid"
}

# Cancel jobs still queued or running, so that no job processes (slurmstepd and
# the job itself) outlive slurmd.
if pid_of slurmctld >/dev/null && [ -f "$SLURM_DIR/etc/slurm.conf" ]; then
    export SLURM_CONF=$SLURM_DIR/etc/slurm.conf
    jobs=$(timeout 10 squeue -h -o %A 2>/dev/null || true)
    if [ -n "$jobs" ]; then
        log "cancelling jobs: ${jobs//$'\n'/ }"
        # shellcheck disable=SC2086
        timeout 10 scancel $jobs 2>/dev/null || true
        deadline=$((SECONDS + 30))
        while [ -n "$(timeout 10 squeue -h -o %A 2>/dev/null || true)" ] && [ "$SECONDS" -lt "$deadline" ]; do
            sleep 0.5
        done
    fi
fi

status=0
for name in "${DAEMONS[@]}"; do
    f=$PIDS/$name.pid
    if ! pid=$(pid_of "$name"); then
        [ -e "$f" ] && log "$name: not running (stale $f removed)"
        rm -f "$f"
        continue
    fi
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + TIMEOUT))
    while pid_of "$name" >/dev/null; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "$name (pid $pid) still running ${TIMEOUT}s after SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 1
            status=1
            break
        fi
        sleep 0.2
    done
    rm -f "$f"
    log "stopped $name (pid $pid)"
done
exit "$status"
