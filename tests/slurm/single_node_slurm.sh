#!/usr/bin/env bash
# A throw-away single-node Slurm (slurmctld + slurmd + munged) in one folder, for the tests that
# run lrsweep's Slurm scripts for real. Runs as the calling user; no systemd, no cgroups.
#
#   tests/slurm/single_node_slurm.sh start DIR   # prints SLURM_CONF=DIR/slurm.conf when ready
#   SLURM_CONF=DIR/slurm.conf sbatch ...
#   tests/slurm/single_node_slurm.sh stop DIR    # cancels jobs, stops the daemons
#
# The node has 2 CPUs and 2 "gpu" GRES without device files, so job scripts that ask for
# --gres=gpu:1 are scheduled as on a GPU node (their workers run with --device cpu here).
# Exit 3 when Slurm or munge is not installed (the caller skips), 1 when they do not start.
set -euo pipefail
cmd=${1:?usage: $0 start|stop DIR}
dir=${2:?usage: $0 start|stop DIR}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

stop() {
  export SLURM_CONF="$dir/slurm.conf"
  if [ -f "$SLURM_CONF" ]; then
    scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 50); do
      [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  for daemon in slurmd slurmctld munged; do
    if [ -f "$dir/$daemon.pid" ]; then
      kill "$(cat "$dir/$daemon.pid")" 2>/dev/null || true
    fi
  done
  sleep 0.5
  for daemon in slurmd slurmctld munged; do
    if [ -f "$dir/$daemon.pid" ]; then
      kill -9 "$(cat "$dir/$daemon.pid")" 2>/dev/null || true
      rm -f "$dir/$daemon.pid"
    fi
  done
  # A job's leftover slurmstepd or children (the daemons do not take them down).
  pkill -9 -f "slurmstepd.*$dir" 2>/dev/null || true
}

start() {
  for tool in slurmctld slurmd munged sbatch scancel squeue sinfo; do
    command -v "$tool" >/dev/null 2>&1 || { echo "not installed: $tool (apt-get install slurm-wlm munge)" >&2; exit 3; }
  done
  mkdir -p "$dir"/{munge/run,state,spool,log}
  chmod 0711 "$dir" "$dir/munge" "$dir/munge/run"
  head -c 1024 /dev/urandom > "$dir/munge/munge.key"
  chmod 0400 "$dir/munge/munge.key"
  local socket="$dir/munge/run/munge.socket"
  munged -F --force --socket="$socket" --key-file="$dir/munge/munge.key" \
    --log-file="$dir/log/munged.log" --pid-file="$dir/munge/munged.pid" \
    --seed-file="$dir/munge/munge.seed" > "$dir/log/munged.out" 2>&1 &
  echo $! > "$dir/munged.pid"

  local user ctld_port slurmd_port
  user=$(id -un)
  ctld_port=$(free_port)
  slurmd_port=$(free_port)
  cat > "$dir/slurm.conf" <<CONF
ClusterName=lrsweep-test
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=$user
SlurmdUser=$user
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
KillWait=30
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.daemon.pid
SlurmdPidFile=$dir/slurmd.daemon.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
NodeName=n1 NodeAddr=127.0.0.1 CPUs=2 RealMemory=2000 Gres=gpu:2 State=UNKNOWN
PartitionName=main Nodes=n1 Default=YES MaxTime=INFINITE State=UP
CONF
  # File-less GPUs are dropped by slurmd; two plain files stand in for /dev/nvidia0-1.
  touch "$dir/gpu0" "$dir/gpu1"
  printf "AutoDetect=off\nName=gpu File=%s/gpu[0-1]\n" "$dir" > "$dir/gres.conf"
  export SLURM_CONF="$dir/slurm.conf"
  for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
  slurmctld -D -f "$SLURM_CONF" > "$dir/log/slurmctld.out" 2>&1 &
  echo $! > "$dir/slurmctld.pid"
  slurmd -D -N n1 -f "$SLURM_CONF" > "$dir/log/slurmd.out" 2>&1 &
  echo $! > "$dir/slurmd.pid"
  for _ in $(seq 150); do
    if [ "$(sinfo -h -n n1 -o %t 2>/dev/null)" = "idle" ]; then
      echo "SLURM_CONF=$SLURM_CONF"
      return 0
    fi
    sleep 0.2
  done
  echo "single-node Slurm did not become idle in 30 s; logs in $dir/log:" >&2
  tail -n 20 "$dir"/log/*.log "$dir"/log/*.out >&2 || true
  stop
  exit 1
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
