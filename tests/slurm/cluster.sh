#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for tests/test_slurm.py (and for trying the
# workflow/profiles/slurm profile by hand). Run as root on Debian 12 (no systemd needed):
#
#   tests/slurm/cluster.sh up     # install (if missing) slurmctld slurmd slurm-client munge,
#                                 # write /etc/slurm/slurm.conf, start munged, slurmctld, slurmd,
#                                 # wait until the node is idle. Running it twice is fine.
#   tests/slurm/cluster.sh down   # stop slurmd and slurmctld (and munged, if `up` started it);
#                                 # purge the packages if `up` installed them
#
# State, spool, pid and log files go to $QUANTBENCH_SLURM_DIR (default /tmp/quantbench-slurm).
# The node is this machine: `hostname -s` on 127.0.0.1, with the CPUs slurmd detects and a
# RealMemory below the machine's. No accounting (no slurmdbd): run Snakemake with
# `--slurm-no-account --slurm-status-command squeue` (the slurm profile does). Finished jobs
# stay visible to `scontrol show jobs` for MinJobAge=600 s.
#
# Never touches a slurm.conf it did not write: if /etc/slurm/slurm.conf exists without the
# marker line below, `up` stops with an error instead of replacing a real cluster's config.
set -euo pipefail

DIR=${QUANTBENCH_SLURM_DIR:-/tmp/quantbench-slurm}
WAIT_S=${QUANTBENCH_SLURM_WAIT_S:-90}
CONF=/etc/slurm/slurm.conf
MARKER="# Written by quantbench tests/slurm/cluster.sh"
PACKAGES=(slurmctld slurmd slurm-client munge)

die() { echo "cluster.sh: error: $*" >&2; exit 1; }
log() { echo "cluster.sh: $*" >&2; }

# pid from a pid file, if that process is alive and is `name`
running_pid() { # pidfile name
    local pid
    [[ -s $1 ]] || return 1
    pid=$(<"$1")
    [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/comm ]] || return 1
    [[ $(</proc/"$pid"/comm) == "$2"* ]] || return 1
    echo "$pid"
}

stop_daemon() { # pidfile name
    local pid i
    pid=$(running_pid "$1" "$2") || return 0
    log "stopping $2 (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        [[ -d /proc/$pid ]] || return 0
        sleep 0.2
    done
    log "$2 (pid $pid) did not stop after TERM; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
}

install_packages() {
    local missing=() p
    for p in "${PACKAGES[@]}"; do
        if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) != "install ok installed" ]]; then
            missing+=("$p")
        fi
    done
    ((${#missing[@]} == 0)) && return 0
    command -v apt-get >/dev/null || die "packages missing (${missing[*]}) and apt-get is unavailable"
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # policy-rc.d: the packages' scripts must not try to start the daemons (no init system here)
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
    fi
    apt-get install -y -qq "${missing[@]}" >/dev/null || { ((made_policy)) && rm -f "$policy"; die "apt-get install ${missing[*]} failed"; }
    ((made_policy)) && rm -f "$policy"
    mkdir -p "$DIR"
    printf '%s\n' "${missing[@]}" >>"$DIR/installed-by-cluster.sh"
    return 0
}

write_conf() { # prints "changed" when the file was (re)written
    local host topo cpus mem_mb real_mb new
    host=$(hostname -s)
    # CPUs=... Boards=... SocketsPerBoard=... CoresPerSocket=... ThreadsPerCore=... as slurmd sees them
    topo=$(slurmd -C | head -1 | tr ' ' '\n' | grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=' | tr '\n' ' ')
    cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$topo")
    [[ -n $cpus ]] || die "could not read the CPU topology from 'slurmd -C'"
    mem_mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
    # below the machine's memory: keep 10% (at least 1 GiB) for the OS and the daemons
    real_mb=$((mem_mb - (mem_mb / 10 > 1024 ? mem_mb / 10 : 1024)))
    ((real_mb > 0)) || die "too little memory (${mem_mb} MB) for a Slurm node"
    new=$(
        cat <<EOF
$MARKER (do not edit: 'up' rewrites it)
ClusterName=quantbench
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=600
StateSaveLocation=${DIR}/state
SlurmdSpoolDir=${DIR}/spool
SlurmctldPidFile=${DIR}/slurmctld.pid
SlurmdPidFile=${DIR}/slurmd.pid
SlurmctldLogFile=${DIR}/log/slurmctld.log
SlurmdLogFile=${DIR}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=${host} NodeAddr=127.0.0.1 ${topo}RealMemory=${real_mb} State=UNKNOWN
PartitionName=quantbench Nodes=${host} Default=YES MaxTime=INFINITE State=UP
EOF
    )
    if [[ -e $CONF ]]; then
        grep -qF "$MARKER" "$CONF" || die "$CONF exists and was not written by this script; not replacing it (a real cluster's config?)"
        [[ $(<"$CONF") == "$new" ]] && return 0
    fi
    mkdir -p "$(dirname "$CONF")"
    printf '%s\n' "$new" >"$CONF"
    log "wrote $CONF (node $host: ${topo}RealMemory=${real_mb})"
    echo changed
}

start_munge() {
    if [[ ! -s /etc/munge/munge.key ]]; then
        log "creating /etc/munge/munge.key"
        mkdir -p /etc/munge
        mungekey --create --keyfile=/etc/munge/munge.key
        chown -R munge:munge /etc/munge
        chmod 0700 /etc/munge
        chmod 0400 /etc/munge/munge.key
    fi
    if munge -n >/dev/null 2>&1; then
        return 0
    fi
    log "starting munged"
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
    runuser -u munge -- /usr/sbin/munged </dev/null >>"$DIR/log/munged.out" 2>&1
    touch "$DIR/munged.started-by-cluster.sh"
    local i
    for ((i = 0; i < 50; i++)); do
        munge -n >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die "munged does not answer ('munge -n' fails); see /var/log/munge/munged.log"
}

node_state() { sinfo -h -N -n "$(hostname -s)" -o '%t' 2>/dev/null | head -1; }

wait_idle() {
    local host state i
    host=$(hostname -s)
    for ((i = 0; i < WAIT_S; i++)); do
        state=$(node_state || true)
        case $state in
        idle | mix | alloc) return 0 ;;
        drain* | drng | down*)
            # a node left down or drained by an earlier run of the daemons
            scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true ;;
        esac
        sleep 1
    done
    echo "cluster.sh: error: node $host not idle after ${WAIT_S} s (state: '${state:-no answer from slurmctld}')" >&2
    sinfo -N -l >&2 || true
    scontrol show node "$host" >&2 || true
    echo "--- tail of $DIR/log/slurmctld.log" >&2
    tail -n 20 "$DIR/log/slurmctld.log" >&2 || true
    echo "--- tail of $DIR/log/slurmd.log" >&2
    tail -n 20 "$DIR/log/slurmd.log" >&2 || true
    exit 1
}

up() {
    [[ $(id -u) == 0 ]] || die "must run as root (installs packages, starts daemons)"
    install_packages
    mkdir -p "$DIR"/{state,spool,log}
    local changed
    changed=$(write_conf)
    start_munge
    if [[ -n $changed ]]; then
        stop_daemon "$DIR/slurmd.pid" slurmd
        stop_daemon "$DIR/slurmctld.pid" slurmctld
    fi
    if ! running_pid "$DIR/slurmctld.pid" slurmctld >/dev/null; then
        log "starting slurmctld"
        slurmctld </dev/null >>"$DIR/log/slurmctld.out" 2>&1 || die "slurmctld failed to start; see $DIR/log/slurmctld.log and slurmctld.out"
    fi
    if ! running_pid "$DIR/slurmd.pid" slurmd >/dev/null; then
        log "starting slurmd"
        slurmd </dev/null >>"$DIR/log/slurmd.out" 2>&1 || die "slurmd failed to start; see $DIR/log/slurmd.log and slurmd.out"
    fi
    wait_idle
    log "up: $(sinfo -h -N -o '%N %t CPUs=%c Memory=%m')"
}

down() {
    stop_daemon "$DIR/slurmd.pid" slurmd
    stop_daemon "$DIR/slurmctld.pid" slurmctld
    if [[ -e $DIR/munged.started-by-cluster.sh ]]; then
        log "stopping munged"
        munged --stop >/dev/null 2>&1 || true
        rm -f "$DIR/munged.started-by-cluster.sh"
    fi
    # Leave the machine as `up` found it. An installed slurm-client without a running controller
    # costs every later `snakemake` start ~10 s: the slurm executor plugin runs
    # `scontrol show config` (10 s timeout) when it is imported.
    if [[ -e $DIR/installed-by-cluster.sh ]]; then
        mapfile -t pkgs < <(sort -u "$DIR/installed-by-cluster.sh")
        log "removing ${pkgs[*]} (installed by up)"
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${pkgs[@]}" >/dev/null 2>&1 || log "apt-get purge failed"
        rm -f "$DIR/installed-by-cluster.sh"
        if [[ -f $CONF ]] && grep -qF "$MARKER" "$CONF"; then rm -f "$CONF"; fi
    fi
}

case ${1:-} in
up) up ;;
down) down ;;
*) echo "usage: $0 up|down   (state in \$QUANTBENCH_SLURM_DIR, default /tmp/quantbench-slurm)" >&2; exit 2 ;;
esac
