#!/usr/bin/env bash
# A one-node SLURM cluster (with accounting) on localhost, for tests and small sweeps.
#
#   launchers/slurm_cluster.sh up       # install what is missing, configure, start, wait until usable
#   launchers/slurm_cluster.sh down     # stop exactly the processes `up` started
#   launchers/slurm_cluster.sh status   # what runs (exit 0: all up, 3: nothing, 1: partial)
#   eval "$(launchers/slurm_cluster.sh env)"   # SLURM_CONF for sbatch/sinfo/sacct/scancel
#
# Everything lives in a state dir (${XLT_SLURM_DIR:-<repo>/.slurm}): configs, munge key, mariadb datadir,
# spool, logs and the PID of every daemon started. Daemons run as root in the foreground of their own
# session (setsid ... &), so $! is the daemon's PID and `down` never has to look processes up by name:
# other SLURM/munge/mysql instances on the machine are left alone. Ports are private too (see below),
# and munge uses its own socket, so a system SLURM on the default ports does not collide with this one.
#
# Settings that matter (see /work/shared/GUIDE.md, "SLURM on one machine"):
#   SlurmUser=root, proctrack/linuxproc, task/none, jobacct_gather/none: run without systemd/cgroups.
#   slurmdbd + mariadb: submitit polls sacct; without accounting a cancelled job hangs a sweep.
#   AuthInfo=cred_expire=10: a requeued job restarts after ~11 s instead of 120 s.
#   SchedulerParameters=sched_interval=2,bf_interval=1: no 30 s scheduling waits.
#
# Environment knobs: XLT_SLURM_DIR, XLT_SLURM_PORT (base port, default 16817: ctld, +1 slurmd, +2 dbd,
# +3 mariadb), XLT_SLURM_TIMEOUT (seconds to wait for readiness, default 90), XLT_SLURM_CLUSTER (name).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
S="${XLT_SLURM_DIR:-$REPO/.slurm}"
mkdir -p "$S" 2>/dev/null || true
S="$(cd "$S" 2>/dev/null && pwd || echo "$S")"   # absolute: configs embed it
# The base port: XLT_SLURM_PORT, else the one this state dir used last ($S/port), else 16817.
PORT="${XLT_SLURM_PORT:-$(cat "$S/port" 2>/dev/null || echo 16817)}"
set_ports() { CTLD_PORT=$PORT; SLURMD_PORT=$((PORT + 1)); DBD_PORT=$((PORT + 2)); DB_PORT=$((PORT + 3)); }
set_ports
TIMEOUT="${XLT_SLURM_TIMEOUT:-90}"
CLUSTER="${XLT_SLURM_CLUSTER:-xlt}"
PARTITION=xlt
ACCOUNT=xlt
CONF="$S/etc/slurm.conf"
MUNGE_SOCK="$S/munge/munge.socket"
DB_SOCK="$S/mysql/mysqld.sock"
PIDS="$S/pids"                       # our record: <name>.pid holds "<pid> <starttime>"
# Start order; `down` goes in reverse.
DAEMONS=(munged mariadb slurmdbd slurmctld slurmd)

log() { echo "[slurm_cluster] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- PID bookkeeping -------------------------------------------------------------------------
# Start time (clock ticks since boot, field 22 of /proc/PID/stat) guards against PID reuse: a PID
# recorded yesterday that now belongs to someone else's process is never signalled.
starttime() { awk '{sub(/^.*\) /, ""); print $20}' "/proc/$1/stat" 2>/dev/null; }
recorded_pid() {   # prints the PID if the recorded process is still the one we started
  local f="$PIDS/$1.pid" pid st
  [[ -f $f ]] || return 1
  read -r pid st <"$f" || return 1
  [[ -n $pid && "$(starttime "$pid")" == "$st" ]] || return 1
  echo "$pid"
}
record_pid() { mkdir -p "$PIDS"; echo "$2 $(starttime "$2")" >"$PIDS/$1.pid"; }

# Run a daemon in the foreground of a new session, logs to the state dir, remember its PID.
spawn() {   # spawn NAME CMD...
  local name=$1; shift
  # setsid: no controlling terminal, so a Ctrl-C in the shell that ran `up` does not reach the
  # daemons; and the daemon is the session leader, which lets `down` find its leftover children.
  SLURM_CONF="$CONF" setsid "$@" </dev/null >>"$S/log/$name.out" 2>&1 9>&- &
  local pid=$!
  sleep 0.2
  kill -0 "$pid" 2>/dev/null || { tail -n 20 "$S/log/$name.out" >&2; die "$name exited at once (log: $S/log/$name.out)"; }
  record_pid "$name" "$pid"
  log "started $name (pid $pid)"
}

wait_for() {   # wait_for SECONDS DESCRIPTION CMD...   (polls CMD until it succeeds)
  local t=$1 what=$2; shift 2
  local end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || return 1
    sleep 0.5
  done
}

fail_with_logs() {
  log "ERROR: $1. Logs:"
  local f
  for f in "$S"/log/*; do
    [[ -s $f ]] || continue
    echo "---- $f (last 15 lines)" >&2; tail -n 15 "$f" >&2
  done
  exit 1
}

# --- Packages ----------------------------------------------------------------------------------
installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]; }
has_candidate() { apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [^(]'; }

install_packages() {
  local want=(munge slurmctld slurmd slurm-client slurmdbd) missing=() p
  # The MySQL server package: mariadb-server on Debian 12/13; default-mysql-server is the
  # metapackage that points at it. Any mariadbd/mysqld already installed will do.
  if ! command -v mariadbd >/dev/null && ! command -v mysqld >/dev/null && [[ ! -x /usr/sbin/mariadbd && ! -x /usr/sbin/mysqld ]]; then
    want+=(mariadb-server)
  fi
  for p in "${want[@]}"; do installed "$p" || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  [[ $EUID -eq 0 ]] || die "packages missing (${missing[*]}) and not root: apt-get install them first"
  command -v apt-get >/dev/null || die "packages missing (${missing[*]}) and no apt-get on this machine"
  log "installing: ${missing[*]}"
  local need_update=0
  for p in "${missing[@]}"; do has_candidate "$p" || need_update=1; done
  if ((need_update)); then
    if [[ " ${missing[*]} " == *" mariadb-server "* ]] && ! has_candidate mariadb-server && has_candidate default-mysql-server; then
      missing=("${missing[@]/mariadb-server/default-mysql-server}")
    else
      apt-get update -qq || die "apt-get update failed"
    fi
  fi
  # policy-rc.d exit 101: package scripts must not start the system's own munge/mariadb/slurm
  # services (we run private instances; a system mariadb would also hold port 3306 and /run/mysqld).
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; made_policy=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$S/log/apt.log" 2>&1 || rc=$?
  if ((rc)) && ((!need_update)); then   # stale package lists (404): refresh once and retry
    apt-get update -qq && rc=0 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >>"$S/log/apt.log" 2>&1 || rc=$?
  fi
  ((made_policy)) && rm -f "$policy"
  ((rc == 0)) || { tail -n 20 "$S/log/apt.log" >&2; die "apt-get install failed (log: $S/log/apt.log)"; }
}

# --- Configuration -----------------------------------------------------------------------------
slurm_version() { slurmd -V 2>/dev/null | awk '{print $2}'; }   # "slurm 22.05.8" -> 22.05.8
version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

write_configs() {
  mkdir -p "$S/etc" "$S/munge" "$S/mysql" "$S/spool/ctld" "$S/spool/d" "$S/log" "$S/var" "$PIDS"
  # munged refuses key/socket dirs writable by others, and clients need to traverse the socket dir.
  chmod 755 "$S/munge"
  if [[ ! -s $S/munge/munge.key ]]; then
    (umask 077; dd if=/dev/urandom of="$S/munge/munge.key" bs=1024 count=1 status=none)
  fi
  [[ -s $S/etc/dbpass ]] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$S/etc/dbpass")

  # Node hardware as slurmd sees it, less a margin: if RealMemory exceeded what slurmd measures,
  # the node would be drained ("Low RealMemory").
  local host cpus boards sockets cores threads mem margin hw
  host="$(hostname -s)"
  hw="$(SLURM_CONF=/dev/null slurmd -C 2>/dev/null | head -n1)"
  cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$hw"); cpus=${cpus:-$(nproc)}
  boards=$(sed -n 's/.* Boards=\([0-9]*\).*/\1/p' <<<"$hw")
  sockets=$(sed -n 's/.* SocketsPerBoard=\([0-9]*\).*/\1/p' <<<"$hw")
  cores=$(sed -n 's/.* CoresPerSocket=\([0-9]*\).*/\1/p' <<<"$hw")
  threads=$(sed -n 's/.* ThreadsPerCore=\([0-9]*\).*/\1/p' <<<"$hw")
  mem=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
  mem=${mem:-$(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo)}
  margin=$((mem / 10)); ((margin >= 512)) || margin=512
  mem=$((mem - margin))
  local topo=""
  [[ -n $boards && -n $sockets && -n $cores && -n $threads ]] &&
    topo="Boards=$boards SocketsPerBoard=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads"

  cat >"$CONF" <<EOF
# Generated by launchers/slurm_cluster.sh: a private one-node cluster. Edits are overwritten by \`up\`.
ClusterName=$CLUSTER
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# Own munge socket (no clash with a system munged); cred_expire=10 -> requeue restarts after ~11 s.
AuthInfo=socket=$MUNGE_SOCK,cred_expire=10
StateSaveLocation=$S/spool/ctld
SlurmdSpoolDir=$S/spool/d
SlurmctldPidFile=$S/var/slurmctld.pid
SlurmdPidFile=$S/var/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No systemd, no cgroups: track processes by parentage, no task binding, no per-task accounting.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SelectType=select/cons_tres
# Memory is consumable (mem_gb in the presets means something); a job without --mem gets a
# per-CPU share rather than the whole node, so jobs still run side by side.
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$((mem / cpus))
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=1
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$DBD_PORT
# For the slurmdbd connection the munge socket is taken from here, not from AuthInfo.
AccountingStoragePass=$MUNGE_SOCK
JobCompType=jobcomp/none
# Requeue (submitit's timeout/preemption handling, scontrol requeue) must be allowed.
JobRequeue=1
# Finished jobs leave slurmctld's memory quickly (sacct keeps them); short kill grace period.
MinJobAge=10
KillWait=5
InactiveLimit=0
# A node that went down (e.g. slurmd restarted) returns to service when it registers again.
ReturnToService=2
MailProg=/bin/true
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus $topo RealMemory=$mem State=UNKNOWN
PartitionName=$PARTITION Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF

  # slurmdbd refuses a config readable by others (it holds the DB password).
  (umask 077; cat >"$S/etc/slurmdbd.conf" <<EOF
# Generated by launchers/slurm_cluster.sh
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCK
DbdAddr=127.0.0.1
DbdHost=$host
DbdPort=$DBD_PORT
SlurmUser=root
LogFile=$S/log/slurmdbd.log
PidFile=$S/var/slurmdbd.pid
DebugLevel=info
StorageType=accounting_storage/mysql
# TCP on a private port: slurmdbd has no socket option, and 127.0.0.1 forces TCP in the client lib.
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$(cat "$S/etc/dbpass")
StorageLoc=slurm_acct_db
EOF
  )
  chmod 600 "$S/etc/slurmdbd.conf"

  # From 23.11 slurmd loads the cgroup plugin even with proctrack/linuxproc; disable it (no cgroup
  # delegation without systemd). Older versions do not know the value, so only write it there.
  local v; v="$(slurm_version)"
  if [[ -n $v ]] && version_ge "$v" 23.11; then
    echo "CgroupPlugin=disabled" >"$S/etc/cgroup.conf"
  else
    rm -f "$S/etc/cgroup.conf"
  fi
}

# --- Daemons -----------------------------------------------------------------------------------
mysqld_bin() { command -v mariadbd || command -v mysqld || { [[ -x /usr/sbin/mariadbd ]] && echo /usr/sbin/mariadbd; } || echo /usr/sbin/mysqld; }
mysql_cli() { if command -v mariadb >/dev/null; then mariadb "$@"; else mysql "$@"; fi; }
db_sql() { mysql_cli --no-defaults --protocol=socket --socket="$DB_SOCK" -uroot -N -e "$1"; }

start_munged() {
  recorded_pid munged >/dev/null && return 0
  rm -f "$MUNGE_SOCK" "$MUNGE_SOCK.lock"
  # --force: run although the socket path may be stale; root is allowed to run munged.
  spawn munged "$(command -v munged || echo /usr/sbin/munged)" --foreground --force \
    --socket="$MUNGE_SOCK" --key-file="$S/munge/munge.key" --seed-file="$S/munge/munge.seed" \
    --pid-file="$S/var/munged.pid" --log-file="$S/log/munged.log"
  wait_for 15 munge test -S "$MUNGE_SOCK" || fail_with_logs "munged did not create its socket"
}

start_mariadb() {
  recorded_pid mariadb >/dev/null && return 0
  local bin; bin="$(mysqld_bin)"
  if [[ ! -d $S/mysql/data/mysql ]]; then
    local inst; inst="$(command -v mariadb-install-db || command -v mysql_install_db)" || die "mariadb-install-db not found"
    log "initialising mariadb datadir"
    "$inst" --no-defaults --user=root --datadir="$S/mysql/data" --auth-root-authentication-method=socket \
      --skip-test-db >"$S/log/mariadb-install.log" 2>&1 || fail_with_logs "mariadb-install-db failed"
  fi
  rm -f "$DB_SOCK"
  # --no-defaults: ignore /etc/mysql (port 3306, /run/mysqld); everything private to the state dir.
  # innodb_lock_wait_timeout=900 is what slurmdbd asks for; a small buffer pool keeps RAM down.
  spawn mariadb "$bin" --no-defaults --user=root --datadir="$S/mysql/data" --socket="$DB_SOCK" \
    --port="$DB_PORT" --bind-address=127.0.0.1 --pid-file="$S/var/mariadb.pid" \
    --log-error="$S/log/mariadb.log" --innodb-buffer-pool-size=64M --innodb-lock-wait-timeout=900 \
    --innodb-log-file-size=64M --skip-name-resolve
  wait_for 60 mariadb db_sql "SELECT 1" || fail_with_logs "mariadb did not answer on $DB_SOCK"
  local pw; pw="$(cat "$S/etc/dbpass")"
  db_sql "CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$pw';
          ALTER USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$pw';
          GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1'; FLUSH PRIVILEGES;" ||
    fail_with_logs "could not create the slurm database user"
}

start_slurmdbd() {
  recorded_pid slurmdbd >/dev/null && return 0
  spawn slurmdbd "$(command -v slurmdbd || echo /usr/sbin/slurmdbd)" -D
}

register_accounts() {
  # sacctmgr answering means slurmdbd is up and connected to the database.
  wait_for 60 slurmdbd env SLURM_CONF="$CONF" sacctmgr -n -P show cluster ||
    fail_with_logs "slurmdbd did not answer sacctmgr"
  # Register cluster and account before slurmctld connects (idempotent: add only what is missing).
  if [[ -z "$(SLURM_CONF="$CONF" sacctmgr -n -P show cluster "$CLUSTER" format=cluster)" ]]; then
    SLURM_CONF="$CONF" sacctmgr -i add cluster "$CLUSTER" >/dev/null
  fi
  if [[ -z "$(SLURM_CONF="$CONF" sacctmgr -n -P show account "$ACCOUNT" format=account)" ]]; then
    SLURM_CONF="$CONF" sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" Description="xlt sweeps" Organization=xlt >/dev/null
  fi
  if [[ -z "$(SLURM_CONF="$CONF" sacctmgr -n -P show assoc cluster="$CLUSTER" account="$ACCOUNT" user=root format=user)" ]]; then
    SLURM_CONF="$CONF" sacctmgr -i add user root Account="$ACCOUNT" Cluster="$CLUSTER" >/dev/null
  fi
}

start_slurmctld() {
  recorded_pid slurmctld >/dev/null && return 0
  spawn slurmctld "$(command -v slurmctld || echo /usr/sbin/slurmctld)" -D -f "$CONF"
}

start_slurmd() {
  recorded_pid slurmd >/dev/null && return 0
  spawn slurmd "$(command -v slurmd || echo /usr/sbin/slurmd)" -D -f "$CONF"
}

node_idle() { [[ "$(SLURM_CONF="$CONF" sinfo -h -N -o '%T' 2>/dev/null | head -n1)" =~ ^(idle|mixed|allocated)$ ]]; }
sacct_ok() { SLURM_CONF="$CONF" sacct -n -X -S now-1minutes >/dev/null 2>&1; }
all_up() { local d; for d in "${DAEMONS[@]}"; do recorded_pid "$d" >/dev/null || return 1; done; }

# Something listening on a port (another cluster from another checkout, a system SLURM ...).
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ports_busy() { local p; for p in $CTLD_PORT $SLURMD_PORT $DBD_PORT $DB_PORT; do port_busy "$p" && return 0; done; return 1; }

# Our daemons are down here, so a busy port belongs to someone else: move to a free base port
# (unless XLT_SLURM_PORT pins it) and remember it, so `env`/`down` and the next `up` agree.
choose_ports() {
  local tries=0
  while ports_busy; do
    [[ -z "${XLT_SLURM_PORT:-}" ]] || die "ports $PORT..$((PORT + 3)) are in use (XLT_SLURM_PORT=$XLT_SLURM_PORT); pick another base port"
    (( ++tries <= 50 )) || die "no free block of 4 ports from 16817 upwards"
    PORT=$((PORT + 10)); set_ports
  done
  echo "$PORT" >"$S/port"
}

cmd_up() {
  [[ $EUID -eq 0 ]] || die "run as root (daemons run as root without systemd)"
  mkdir -p "$S/log"
  # One `up`/`down` at a time (e.g. parallel test sessions sharing the state dir).
  exec 9>"$S/lock"; flock -w 300 9 || die "another up/down holds $S/lock"
  if all_up && node_idle && sacct_ok; then log "already up ($S)"; return 0; fi
  local t0=$SECONDS
  install_packages
  choose_ports
  write_configs
  start_munged
  start_mariadb
  start_slurmdbd
  register_accounts
  start_slurmctld
  start_slurmd
  wait_for "$TIMEOUT" "node idle" node_idle ||
    fail_with_logs "node not idle after ${TIMEOUT}s (sinfo: $(SLURM_CONF="$CONF" sinfo -h -N -o '%T %E' 2>&1 | head -n1))"
  wait_for "$TIMEOUT" sacct sacct_ok || fail_with_logs "sacct does not answer after ${TIMEOUT}s"
  log "up in $((SECONDS - t0)) s; state dir $S; use: eval \"\$($0 env)\""
}

# Every process whose session is one of ours: the daemon itself plus what it left behind
# (slurmstepd and job processes started by slurmd stay in slurmd's session).
session_members() {   # session_members SID -> PIDs
  ps -e -o pid=,sid= | awk -v sid="$1" '$2 == sid {print $1}'
}

stop_one() {   # stop_one NAME: TERM, wait up to 20 s, then KILL
  local name=$1 pid
  pid="$(recorded_pid "$name")" || { rm -f "$PIDS/$name.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  local end=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < end)); do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then log "$name (pid $pid) ignored TERM; killing"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
  # Leftovers in its session (only slurmd has any: job steps). The session id is our PID.
  local left; left="$(session_members "$pid" | tr '\n' ' ')"
  if [[ -n ${left// /} ]]; then kill -KILL $left 2>/dev/null || true; fi
  rm -f "$PIDS/$name.pid"
  log "stopped $name (pid $pid)"
}

cmd_down() {
  [[ -d $S ]] || { log "nothing to stop ($S does not exist)"; return 0; }
  exec 9>"$S/lock"; flock -w 300 9 || die "another up/down holds $S/lock"
  # Cancel jobs first so slurmd/slurmstepd end them cleanly and sacct records them.
  if recorded_pid slurmctld >/dev/null; then
    SLURM_CONF="$CONF" scancel --quiet --full -u root 2>/dev/null || true
    local end=$((SECONDS + 15))
    while [[ -n "$(SLURM_CONF="$CONF" squeue -h -t R,CG 2>/dev/null)" ]] && ((SECONDS < end)); do sleep 0.5; done
  fi
  local i t0=$SECONDS
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do stop_one "${DAEMONS[i]}"; done
  log "down in $((SECONDS - t0)) s"
}

cmd_status() {
  local d pid n=0 state
  for d in "${DAEMONS[@]}"; do
    if pid="$(recorded_pid "$d")"; then echo "$d: running (pid $pid)"; n=$((n + 1)); else echo "$d: stopped"; fi
  done
  if recorded_pid slurmctld >/dev/null; then
    state="$(SLURM_CONF="$CONF" sinfo -h -N -o '%N %P %T %c cpus %m MB' 2>&1 | head -n1)"
    echo "node: $state"
    echo "queue: $(SLURM_CONF="$CONF" squeue -h 2>/dev/null | wc -l) job(s)"
  fi
  echo "state dir: $S"
  ((n == ${#DAEMONS[@]})) && return 0
  ((n == 0)) && return 3
  return 1
}

cmd_env() {
  echo "export SLURM_CONF=$(printf '%q' "$CONF")"
  echo "export XLT_SLURM_DIR=$(printf '%q' "$S")"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
