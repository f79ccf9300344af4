#!/usr/bin/env bash
# Run named test jobs, at most $LANES at a time, each with its own log; print one line per job as it
# ends, the whole log of every failed job at the end, and exit 1 if any failed.
#
#   scripts/lanes.sh LOGDIR name1 "command 1" name2 "command 2" ...
#
# Why: the molecule scenarios and the demo test spend much of their time waiting (apt downloads,
# daemons starting, mail queues), so two at once on the 2-core CI machine finish the suite in about
# two thirds of the serial time. Jobs are started in the order given: put the longest first.
set -u -o pipefail

LANES=${LANES:-2}
logdir=$1
shift
mkdir -p "$logdir"

declare -A pid_name=() started=() took_s=()
failed=()
order=()
passed=0

finish() {   # $1: pid that ended, $2: its status
  local name=${pid_name[$1]}
  local took=$(( $(date +%s) - started[$name] ))
  took_s[$name]=$took
  if [ "$2" -eq 0 ]; then
    passed=$((passed + 1))
    echo "=== $name: passed in ${took}s"
  else
    failed+=("$name")
    echo "=== $name: FAILED (exit $2) in ${took}s, log $logdir/$name.log"
  fi
  unset "pid_name[$1]"
}

reap_one() {
  local pid status
  wait -n -p pid
  status=$?
  finish "$pid" "$status"
}

while [ $# -ge 2 ]; do
  name=$1 cmd=$2
  shift 2
  while [ ${#pid_name[@]} -ge "$LANES" ]; do reap_one; done
  echo "=== $name: started ($(date +%H:%M:%S))"
  order+=("$name")
  started[$name]=$(date +%s)
  bash -c "$cmd" >"$logdir/$name.log" 2>&1 &
  pid_name[$!]=$name
done
while [ ${#pid_name[@]} -gt 0 ]; do reap_one; done

for name in "${failed[@]}"; do
  echo
  echo "################ log of $name ################"
  cat "$logdir/$name.log"
done
# the time of every job again, in one block at the end, where a log cut to its tail still shows it
echo "lanes: seconds per job (started in this order, $LANES at a time):"
for name in "${order[@]}"; do
  echo "  $(printf '%-12s %6s' "$name" "${took_s[$name]}")$([[ " ${failed[*]} " == *" $name "* ]] && echo "  FAILED")"
done
echo "lanes: $passed passed, ${#failed[@]} failed${failed:+: ${failed[*]}}"
[ ${#failed[@]} -eq 0 ]
