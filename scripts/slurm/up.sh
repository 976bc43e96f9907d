#!/usr/bin/env bash
# Start a real one-node SLURM cluster (with accounting) on this machine, for
# integration tests. Idempotent: when the cluster is already up it only prints
# the environment. All state lives under $CRIMENET_SLURM_DIR.
#
# Progress goes to stderr; stdout carries only the environment, and its last
# line is `export SLURM_CONF=...`, so callers can do:
#     eval "$(bash scripts/slurm/up.sh | tail -1)"
# See scripts/slurm/README.md.
set -euo pipefail

PROG=up.sh
SLURM_DIR=${CRIMENET_SLURM_DIR:-/tmp/crimenet-slurm}
PORT_BASE=${CRIMENET_SLURM_PORT_BASE:-6817}   # slurmctld, slurmd = +1, slurmdbd = +2
DB_PORT=${CRIMENET_SLURM_DB_PORT:-13306}      # private MariaDB, on 127.0.0.1
TIMEOUT=${CRIMENET_SLURM_TIMEOUT:-60}         # seconds to wait for each daemon
MAX_ARRAY_SIZE=${CRIMENET_SLURM_MAX_ARRAY_SIZE:-1001}   # slurm.conf MaxArraySize (SLURM's default: 1001)
CLUSTER=crimenet
ACCOUNT=crimenet
PARTITION=debug
PACKAGES=(slurmctld slurmd slurm-client munge slurmdbd mariadb-server)
DAEMONS=(munged mariadbd slurmdbd slurmctld slurmd)   # start order

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

log() { echo "$PROG: $*" >&2; }
die() {
    echo "$PROG: ERROR: $*" >&2
    if compgen -G "${PIDS:-/nonexistent}/*.pid" >/dev/null; then
        echo "$PROG: (daemons already started are left running; stop them with scripts/slurm/down.sh)" >&2
    fi
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and runs slurmd)"

mkdir -p "$SLURM_DIR"
SLURM_DIR=$(cd "$SLURM_DIR" && pwd -P)
ETC=$SLURM_DIR/etc
LOGS=$SLURM_DIR/log
PIDS=$SLURM_DIR/pids      # written by this script from $!, used by down.sh
RUN=$SLURM_DIR/run        # the daemons' own pid files
MUNGE_DIR=$SLURM_DIR/munge
MUNGE_SOCKET=$MUNGE_DIR/munge.socket
DB_DIR=$SLURM_DIR/mariadb
DB_SOCKET=$DB_DIR/mariadbd.sock
MY_CNF=$ETC/my.cnf
SLURM_CONF_FILE=$ETC/slurm.conf
ENV_FILE=$SLURM_DIR/env.sh
CTLD_PORT=$PORT_BASE
SLURMD_PORT=$((PORT_BASE + 1))
DBD_PORT=$((PORT_BASE + 2))
NODE=$(hostname -s 2>/dev/null || uname -n)
NODE=${NODE%%.*}
RUN_USER=$(id -un)

export SLURM_CONF=$SLURM_CONF_FILE
ENV_LINE="export SLURM_CONF=$SLURM_CONF_FILE"

# ---------------------------------------------------------------- helpers
pid_of() {  # prints the PID of a daemon we started if it is still that daemon
    local name=$1 f=$PIDS/$1.pid pid comm
    [ -s "$f" ] || return 1
    pid=$(cat "$f" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [ "$comm" = "$name" ] || return 1   # PID reused by something else
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1   # exited, unreaped
    echo "$pid"
}

port_open_at() {  # true if something accepts TCP connections on $1:$2
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}
port_open() { port_open_at 127.0.0.1 "$1" || { [ "${ADDR:-127.0.0.1}" != 127.0.0.1 ] && port_open_at "$ADDR" "$1"; }; }

print_env() {
    printf '%s\n' "$ENV_LINE" >"$ENV_FILE"
    log "cluster '$CLUSTER' up: node $NODE, partition $PARTITION; state and logs in $SLURM_DIR"
    echo "$ENV_LINE"
}

# start NAME OUTFILE CMD...: run a daemon in the foreground of its own session,
# detached from our stdio and any other inherited descriptors (a daemon holding
# the caller's pipe open would hang `$(up.sh)`), and record its PID. Its
# stdout/stderr go to OUTFILE: NAME.log for munged (which logs to stderr when
# in the foreground), NAME.out for the others, which write NAME.log themselves
# (NAME.out then repeats it and holds errors from before the log was opened).
start() {
    local name=$1 out=$2; shift 2
    local pid
    (
        for fd in /proc/"$BASHPID"/fd/*; do
            fd=${fd##*/}
            if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
        done
        exec setsid "$@" </dev/null >>"$out" 2>&1
    ) &
    pid=$!
    echo "$pid" >"$PIDS/$name.pid"
    log "started $name (pid $pid, log $LOGS/$name.log)"
}

# starting_or_up NAME: the PID recorded for NAME is alive and is NAME, or is
# still the subshell / setsid of `start` that is about to exec NAME (right after
# `start`, /proc/PID/comm can still read "bash" or "setsid" for a moment; under
# load that window is long enough for a first failed readiness check).
starting_or_up() {
    local name=$1 f=$PIDS/$1.pid pid comm
    pid_of "$name" >/dev/null && return 0
    pid=$(cat "$f" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    case $comm in bash|setsid) ;; *) return 1 ;; esac
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# wait_for NAME CHECK...: poll CHECK until it succeeds; fail fast if NAME died.
wait_for() {
    local name=$1; shift
    local deadline=$((SECONDS + TIMEOUT)) why="" see
    until "$@" >/dev/null 2>&1; do
        if ! starting_or_up "$name"; then
            why="exited during startup"
        elif [ "$SECONDS" -ge "$deadline" ]; then
            why="not ready after ${TIMEOUT}s"
        fi
        if [ -n "$why" ]; then
            see=$LOGS/$name.log
            if [ -s "$LOGS/$name.out" ]; then see="$see and $LOGS/$name.out"; fi
            die "$name $why; see $see"
        fi
        sleep 0.3
    done
}

check_port_free() {  # before starting a daemon, make sure nobody else has its port
    local name=$1 port=$2
    if port_open "$port"; then
        die "port $port (for $name) is already in use by another program; stop it or set CRIMENET_SLURM_PORT_BASE / CRIMENET_SLURM_DB_PORT"
    fi
}

CHANGED=()   # config files write_if_changed rewrote
write_if_changed() {  # write_if_changed FILE MODE  (content on stdin)
    local f=$1 mode=$2 tmp
    tmp=$(mktemp "$f.XXXXXX")
    cat >"$tmp"
    chmod "$mode" "$tmp"
    if [ -f "$f" ] && cmp -s "$tmp" "$f"; then rm -f "$tmp"; else mv -f "$tmp" "$f"; CHANGED+=("$f"); fi
}

stop_daemon() {  # stop_daemon NAME: SIGTERM, wait, SIGKILL after $TIMEOUT s (as down.sh)
    local name=$1 pid deadline
    pid=$(pid_of "$name") || return 0
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + TIMEOUT))
    while pid_of "$name" >/dev/null; do
        if [ "$SECONDS" -ge "$deadline" ]; then kill -KILL "$pid" 2>/dev/null || true; sleep 1; break; fi
        sleep 0.2
    done
    rm -f "$PIDS/$name.pid"
    log "stopped $name (pid $pid) to apply the changed slurm.conf"
}

# One up.sh/down.sh at a time per state directory (e.g. parallel test workers).
# The lock descriptor is not inherited by the daemons (start() closes it).
exec 9>"$SLURM_DIR/.lock"
flock -w $((TIMEOUT * 5)) 9 || die "another up.sh/down.sh holds $SLURM_DIR/.lock"

# ---------------------------------------------------------------- fast path
all_up=1
for d in "${DAEMONS[@]}"; do pid_of "$d" >/dev/null || { all_up=0; break; }; done
if [ "$all_up" = 1 ] && [ -f "$SLURM_CONF_FILE" ] && grep -qx "MaxArraySize=$MAX_ARRAY_SIZE" "$SLURM_CONF_FILE" \
        && timeout 10 sinfo -h >/dev/null 2>&1; then
    log "already up"
    print_env
    exit 0
fi

# ---------------------------------------------------------------- packages
missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]} (apt-get)"
    t0=$SECONDS
    # Keep the packages' maintainer scripts from starting the system-wide
    # munge/mariadb/slurm services: we run our own private instances.
    created_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
        || die "apt-get install ${missing[*]} failed"
    if [ "$created_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
    log "packages installed in $((SECONDS - t0))s"
fi
for c in munged munge unmunge mariadbd mariadb-install-db mariadb mariadb-admin \
         slurmdbd slurmctld slurmd sacctmgr sinfo srun sbatch sacct scontrol setsid timeout; do
    command -v "$c" >/dev/null || die "command '$c' not found after installing ${PACKAGES[*]}"
done

# ---------------------------------------------------------------- state and config
t_start=$SECONDS
mkdir -p "$ETC" "$LOGS" "$PIDS" "$RUN" "$MUNGE_DIR" "$DB_DIR" \
         "$SLURM_DIR/state/slurmctld" "$SLURM_DIR/state/slurmd"
# munged refuses a socket directory that other users cannot traverse (0700 fails)
chmod 0755 "$SLURM_DIR" "$MUNGE_DIR" "$ETC"   # slurmdbd.conf and db.pass stay 0600

if [ ! -s "$MUNGE_DIR/munge.key" ]; then
    (umask 077; head -c 1024 /dev/urandom >"$MUNGE_DIR/munge.key")
fi
chmod 0400 "$MUNGE_DIR/munge.key"

if [ ! -s "$ETC/db.pass" ]; then
    (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=\n' >"$ETC/db.pass")
fi
DB_PASS=$(cat "$ETC/db.pass")

# Node size as slurmd sees it (`slurmd -C`); fall back to nproc and /proc/meminfo.
hw=$(slurmd -C 2>/dev/null | head -1 || true)
hwval() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" <<<"$hw"; }
cpus=$(hwval CPUs)
mem=$(hwval RealMemory)
topo=""
if [ -n "$cpus" ] && [ -n "$(hwval ThreadsPerCore)" ]; then
    topo="Boards=$(hwval Boards) SocketsPerBoard=$(hwval SocketsPerBoard) CoresPerSocket=$(hwval CoresPerSocket) ThreadsPerCore=$(hwval ThreadsPerCore)"
fi
[ -n "$cpus" ] || cpus=$(nproc)
[ -n "$mem" ] || mem=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)

# Loopback only. SLURM daemons either listen on every interface or, with
# NoInAddrAny / NoCtldInAddrAny, on the address that this machine's hostname
# resolves to. So when the hostname resolves to a loopback address (Debian puts
# it in /etc/hosts as 127.0.1.1 or 127.0.0.1) we use that address for the node,
# controller and dbd and bind to it; otherwise we keep 127.0.0.1 for all
# traffic but the three SLURM daemons also listen on other interfaces
# (requests are still munge-authenticated).
ADDR=$(getent ahostsv4 "$(uname -n)" 2>/dev/null | awk 'NR == 1 {print $1}' || true)
if [[ $ADDR == 127.* ]]; then
    COMM_PARAMS="CommunicationParameters=NoCtldInAddrAny,NoInAddrAny"
else
    log "warning: hostname $(uname -n) does not resolve to a loopback address;" \
        "slurmctld, slurmd and slurmdbd will also listen on non-loopback interfaces"
    ADDR=127.0.0.1
    COMM_PARAMS="#CommunicationParameters=NoCtldInAddrAny,NoInAddrAny  (hostname not on loopback)"
fi

write_if_changed "$MY_CNF" 0644 <<EOF
# Private MariaDB for slurmdbd (generated by scripts/slurm/up.sh)
[client]
socket = $DB_SOCKET
port = $DB_PORT

[mysqld]
user = $RUN_USER
datadir = $DB_DIR/data
socket = $DB_SOCKET
port = $DB_PORT
bind-address = 127.0.0.1
pid-file = $RUN/mariadbd.pid
log-error = $LOGS/mariadbd.log
skip-name-resolve
skip-log-bin
performance_schema = OFF
innodb_buffer_pool_size = 512M
innodb_log_file_size = 64M
innodb_lock_wait_timeout = 900
innodb_flush_log_at_trx_commit = 2
innodb_use_native_aio = 0
EOF

write_if_changed "$ETC/slurmdbd.conf" 0600 <<EOF
# generated by scripts/slurm/up.sh
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdHost=localhost
DbdAddr=$ADDR
$COMM_PARAMS
DbdPort=$DBD_PORT
SlurmUser=$RUN_USER
PidFile=$RUN/slurmdbd.pid
LogFile=$LOGS/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF

write_if_changed "$SLURM_CONF_FILE" 0644 <<EOF
# One-node test cluster (generated by scripts/slurm/up.sh)
ClusterName=$CLUSTER
SlurmctldHost=$NODE($ADDR)
SlurmUser=$RUN_USER
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
$COMM_PARAMS
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
StateSaveLocation=$SLURM_DIR/state/slurmctld
SlurmdSpoolDir=$SLURM_DIR/state/slurmd
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
MailProg=/bin/true
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=5
InactiveLimit=0
MinJobAge=300
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=$ADDR
AccountingStoragePort=$DBD_PORT
AccountingStoragePass=$MUNGE_SOCKET
JobCompType=jobcomp/none
MaxArraySize=$MAX_ARRAY_SIZE
NodeName=$NODE NodeAddr=$ADDR CPUs=$cpus $topo RealMemory=$mem State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF

# Fail before starting anything if another program holds one of our ports.
for pair in "mariadbd:$DB_PORT" "slurmdbd:$DBD_PORT" "slurmctld:$CTLD_PORT" "slurmd:$SLURMD_PORT"; do
    pid_of "${pair%%:*}" >/dev/null || check_port_free "${pair%%:*}" "${pair#*:}"
done

# ---------------------------------------------------------------- munged
munge_ok() { munge -S "$MUNGE_SOCKET" -n | unmunge -S "$MUNGE_SOCKET"; }
if ! pid_of munged >/dev/null; then
    rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"   # stale after an unclean stop
    # --force: do not refuse to start over permission warnings about parent
    # directories of $CRIMENET_SLURM_DIR (this is a private test instance)
    start munged "$LOGS/munged.log" munged --foreground --force --socket="$MUNGE_SOCKET" \
        --key-file="$MUNGE_DIR/munge.key" --seed-file="$MUNGE_DIR/munged.seed" \
        --pid-file="$RUN/munged.pid"
fi
wait_for munged munge_ok

# ---------------------------------------------------------------- mariadb
db() { mariadb --defaults-file="$MY_CNF" --protocol=socket -uroot; }
db_ok() { mariadb-admin --defaults-file="$MY_CNF" --protocol=socket -uroot --connect-timeout=2 ping; }
if ! pid_of mariadbd >/dev/null; then
    if [ ! -d "$DB_DIR/data/mysql" ]; then
        log "initialising MariaDB data directory"
        rm -rf "$DB_DIR/data"
        mariadb-install-db --defaults-file="$MY_CNF" --auth-root-authentication-method=socket \
            --skip-test-db >"$LOGS/mariadb-install-db.log" 2>&1 \
            || die "mariadb-install-db failed; see $LOGS/mariadb-install-db.log"
    fi
    start mariadbd "$LOGS/mariadbd.out" mariadbd --defaults-file="$MY_CNF"
fi
wait_for mariadbd db_ok
db <<EOF || die "could not create the slurm database user; see $LOGS/mariadbd.log"
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
ALTER USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
FLUSH PRIVILEGES;
EOF

# ---------------------------------------------------------------- slurmdbd
if ! pid_of slurmdbd >/dev/null; then
    start slurmdbd "$LOGS/slurmdbd.out" slurmdbd -D
fi
dbd_ok() { port_open_at "$ADDR" "$DBD_PORT" && timeout 10 sacctmgr -n -P list cluster; }
wait_for slurmdbd dbd_ok

# Accounting associations (once): cluster, account, users.
if [ -z "$(sacctmgr -n -P list cluster "$CLUSTER" format=cluster)" ]; then
    sacctmgr -i add cluster "$CLUSTER" >>"$LOGS/sacctmgr.log"
    log "registered cluster $CLUSTER in slurmdbd"
fi
if [ -z "$(sacctmgr -n -P list account "$ACCOUNT" format=account)" ]; then
    sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" Description=crimenet Organization=crimenet \
        >>"$LOGS/sacctmgr.log"
    log "registered account $ACCOUNT"
fi
for u in $(printf '%s\n' root "$RUN_USER" "${SUDO_USER:-}" | sort -u); do
    if [ -z "$(sacctmgr -n -P list assoc cluster="$CLUSTER" account="$ACCOUNT" user="$u" format=user)" ]; then
        sacctmgr -i add user "$u" Account="$ACCOUNT" Cluster="$CLUSTER" >>"$LOGS/sacctmgr.log"
        log "registered user $u in account $ACCOUNT"
    fi
done

# ---------------------------------------------------------------- slurmctld
# slurm.conf changed under running daemons (e.g. another MaxArraySize): restart them; `scontrol
# reconfigure` does not apply every setting (a larger MaxArraySize stays refused until a restart)
if [[ " ${CHANGED[*]} " == *" $SLURM_CONF_FILE "* ]]; then
    stop_daemon slurmd
    stop_daemon slurmctld
fi
if ! pid_of slurmctld >/dev/null; then
    start slurmctld "$LOGS/slurmctld.out" slurmctld -D
fi
wait_for slurmctld timeout 5 scontrol ping

# ---------------------------------------------------------------- slurmd
if ! pid_of slurmd >/dev/null; then
    start slurmd "$LOGS/slurmd.out" slurmd -D -N "$NODE"
fi
node_state() { timeout 5 sinfo -h -N -n "$NODE" -o %T 2>/dev/null; }
node_ready() {
    local s
    s=$(node_state) || return 1
    case $s in
        idle*|mixed*|allocated*|completing*) return 0 ;;
        *drain*|down)   # left over from an earlier run: resume it
            scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
            return 1 ;;
        *) return 1 ;;
    esac
}
wait_for slurmd node_ready

# ---------------------------------------------------------------- verify
log "verifying: srun -N1 hostname, then sacct"
workdir=$(mktemp -d "$SLURM_DIR/verify.XXXXXX")
# shellcheck disable=SC2016  # $SLURM_JOB_ID is expanded inside the job
if ! out=$(cd "$workdir" && timeout 60 srun -N1 -p "$PARTITION" -J crimenet-verify -t 1 \
           bash -c 'echo "$SLURM_JOB_ID $(hostname -s)"' 2>"$workdir/stderr"); then
    die "test job (srun) failed: $(tr '\n' ' ' <"$workdir/stderr"); see $LOGS/slurmctld.log and $LOGS/slurmd.log"
fi
rm -rf "$workdir"
out=$(tail -1 <<<"$out")
jobid=${out%% *}
[[ $jobid =~ ^[0-9]+$ ]] || die "unexpected srun output: '$out'"
deadline=$((SECONDS + 30))
until [ "$(sacct -n -P -X -j "$jobid" -o State 2>/dev/null)" = COMPLETED ]; do
    [ "$SECONDS" -lt "$deadline" ] \
        || die "test job $jobid not COMPLETED in sacct after 30s; see $LOGS/slurmdbd.log and $LOGS/slurmctld.log"
    sleep 0.5
done
log "test job $jobid ran on ${out#* } and is COMPLETED in sacct; startup took $((SECONDS - t_start))s"

print_env
