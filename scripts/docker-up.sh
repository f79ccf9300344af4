#!/usr/bin/env bash
# Make sure a docker engine answers. A running engine (the user's own Docker, or one we started
# before) is used as it is; otherwise Debian's /usr/sbin/dockerd is started in the background
# (hosts without systemd, such as CI machines), its log in $DOCKERD_LOG.
# Prints which client talks to which engine: the docker CLI on PATH may be newer than the engine
# (e.g. a v28 client in /usr/local/bin and Debian's 20.10 engine); it negotiates the API version down.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/congvu-dockerd.log}

command -v docker >/dev/null || die "no docker client on PATH (apt-get install docker.io)"

if docker_ok; then
  log "docker: engine already answers"
else
  [ -x "$DOCKERD" ] || die "docker: no engine answers and $DOCKERD is missing (apt-get install docker.io)"
  if [ -S /var/run/docker.sock ] && pgrep -x dockerd >/dev/null 2>&1; then
    log "docker: dockerd runs but does not answer yet; waiting"
  else
    t=$(now)
    # a stale pid file (left by a dockerd that was killed) makes a new dockerd refuse to start
    as_root rm -f /var/run/docker.pid
    log "docker: starting $DOCKERD in the background (log: $DOCKERD_LOG)"
    as_root mkdir -p "$(dirname "$DOCKERD_LOG")"
    # setsid + nohup: dockerd outlives this script and the make that ran it
    # shellcheck disable=SC2016  # $0 and $1 are expanded by that inner sh
    as_root sh -c 'exec setsid nohup "$0" >>"$1" 2>&1 </dev/null' "$DOCKERD" "$DOCKERD_LOG" &
  fi
  for _ in $(seq 1 120); do
    docker_ok && break
    sleep 0.5
  done
  if ! docker_ok; then
    tail -n 40 "$DOCKERD_LOG" >&2 || true
    die "docker: the engine did not answer within 60s"
  fi
  log "docker: engine up in $(( $(now) - ${t:-$(now)} ))s"
fi

# Report both ends and the negotiated API, so a client/engine mismatch is visible in CI logs.
log "docker: $(docker version --format \
  'client {{.Client.Version}} ({{.Client.APIVersion}}) at '"$(command -v docker)"' -> engine {{.Server.Version}} (API {{.Server.APIVersion}}, min {{.Server.MinAPIVersion}})')"
log "docker: $(docker info --format 'storage {{.Driver}}, cgroup v{{.CgroupVersion}} ({{.CgroupDriver}}), runtime {{.DefaultRuntime}}, root {{.DockerRootDir}}')"
