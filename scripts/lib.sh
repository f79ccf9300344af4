# shellcheck shell=bash
# Helpers shared by scripts/*.sh. Source it; it does nothing by itself.
#
# Knobs (environment):
#   CONGVU_IMAGE       base image for the test containers   (default local/bookworm-systemd)
#   CONGVU_CACHE_DIR   scratch space (rootfs, build context) (default <repo>/.cache)
#   CONGVU_PYTHON      interpreter for .venv                 (default /usr/bin/python3, Debian 12's 3.11)
#   CONGVU_MIRROR      Debian mirror for debootstrap         (default: the host's own apt sources)
#   DOCKERD_LOG        dockerd's log when we start it        (default /var/log/congvu-dockerd.log)

# shellcheck disable=SC2034  # the scripts that source this file use these
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_DIR=${CONGVU_CACHE_DIR:-$REPO_ROOT/.cache}
IMAGE=${CONGVU_IMAGE:-local/bookworm-systemd}
MINBASE_IMAGE=${CONGVU_MINBASE_IMAGE:-local/bookworm-minbase}
PYTHON=${CONGVU_PYTHON:-/usr/bin/python3}
VENV=${CONGVU_VENV:-$REPO_ROOT/.venv}
export DEBIAN_FRONTEND=noninteractive

_LOG_TAG=$(basename "${0%.sh}")

log() { printf '[%s %s] %s\n' "$_LOG_TAG" "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s; }

# run CMD...: print the command, then run it
run() { log "+ $*"; "$@"; }

# as_root CMD...: run as root (directly when we are root, else through sudo)
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -- "$@"; fi
}

# docker_ok: true when a docker engine answers the docker client on PATH
docker_ok() { docker version >/dev/null 2>&1; }

# apt_mirror: the Debian mirror the host already uses (first deb URI for the main archive)
apt_mirror() {
  if [ -n "${CONGVU_MIRROR:-}" ]; then echo "$CONGVU_MIRROR"; return; fi
  local m=""
  if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
    # deb822: URIs of a stanza whose Suites include plain "bookworm" (not only -security)
    m=$(awk '
      /^[[:space:]]*$/ { if (uri != "" && main) { print uri; exit } uri=""; main=0; next }
      /^URIs:/   { uri=$2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") main=1 }
      END        { if (uri != "" && main) print uri }
    ' /etc/apt/sources.list.d/*.sources | head -1)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
      /etc/apt/sources.list)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}
