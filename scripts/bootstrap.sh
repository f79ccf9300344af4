#!/usr/bin/env bash
# Set up everything `make lint|unit|molecule|demo` need on a Debian 12 host. Run as root (or a
# user with sudo) from anywhere; `make bootstrap` runs it. Idempotent: every step checks first and
# skips work already done, so a second run takes a few seconds.
#
#   1. Debian packages   make, python3-venv, docker.io, debootstrap, git, ...   (apt, only if missing)
#   2. .venv             requirements.txt + constraints.txt, with /usr/bin/python3 (skipped while
#                        .venv/.congvu-stamp matches those files and the interpreter)
#   3. docker engine     scripts/docker-up.sh: starts dockerd only when no engine answers
#   4. base image        scripts/image.sh: local/bookworm-systemd, built only when missing
#   5. collection link   scripts/collection-link.sh: the repository as the collection congvu.mail
#
# Knobs: CONGVU_SKIP_APT=1 skips step 1; CONGVU_NO_CONSTRAINTS=1 installs without constraints.txt
# (to regenerate it); see scripts/lib.sh for the rest.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$(now)

# --- 1. Debian packages --------------------------------------------------------------------------
# --no-install-recommends keeps needrestart & co. out; what docker.io and debootstrap need is listed.
APT_PACKAGES=(
  make git ca-certificates procps     # the repo itself; pgrep
  python3 python3-venv                # .venv (molecule, ansible, linters, pytest)
  docker.io iptables                  # the engine behind the molecule docker driver
  debootstrap debian-archive-keyring  # builds the base image without any image registry
  libpango-1.0-0 libpangoft2-1.0-0    # WeasyPrint: the report's PDF (playbooks/reports.yml)
  libharfbuzz-subset0                 # WeasyPrint embeds only the glyphs used (smaller, faster PDFs)
  fonts-dejavu-core                   # a font with every Vietnamese letter, for the PDF and charts
  poppler-utils                       # pdftoppm: the tests look at the report's pages as PNG
  postgresql                          # tests/unit: a throwaway server for the usage database on PostgreSQL
  pflogsumm                           # bench/bench_reports.py: the baseline of the collector (make bench-smoke)
  testssl.sh                          # tests/playbooks/demo: outside scanner of TLS (Art. 16.3); ssh-audit is in .venv
  shellcheck                          # ansible-test sanity's shellcheck test (scripts/sanity.sh, make lint)
  dpkg-dev gcc libc6-dev libldap-dev  # role packages: the project's .deb built on the controller (docs/packages.md)
)
apt_step() {
  if [ "${CONGVU_SKIP_APT:-0}" = 1 ]; then log "apt: skipped (CONGVU_SKIP_APT=1)"; return; fi
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "apt: all ${#APT_PACKAGES[@]} packages present (${APT_PACKAGES[*]})"
    return
  fi
  local t; t=$(now)
  log "apt: installing ${missing[*]}"
  run as_root apt-get update -qq
  run as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  log "apt: done in $(( $(now) - t ))s"
}

# --- 2. Python venv ------------------------------------------------------------------------------
venv_step() {
  local req="$REPO_ROOT/requirements.txt" con="$REPO_ROOT/constraints.txt" stamp="$VENV/.congvu-stamp"
  local cargs=()
  if [ -f "$con" ] && [ "${CONGVU_NO_CONSTRAINTS:-0}" != 1 ]; then cargs=(-c "$con"); fi
  [ -x "$PYTHON" ] || die "venv: $PYTHON not found (install python3, or set CONGVU_PYTHON)"
  local want
  want=$( { "$PYTHON" --version; cat "$req"; [ ${#cargs[@]} -eq 0 ] || cat "$con"; } 2>&1 | sha256sum | cut -d' ' -f1)
  if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    log "venv: $VENV up to date with requirements.txt (stamp ${want:0:12})"
    return
  fi
  local t; t=$(now)
  # a .venv made by another interpreter (pyenv, another Python) is made again
  if [ -x "$VENV/bin/python" ] && [ "$(readlink -f "$VENV/bin/python")" != "$(readlink -f "$PYTHON")" ]; then
    log "venv: $VENV uses $(readlink -f "$VENV/bin/python"), not $PYTHON: recreating it"
    rm -rf "$VENV"
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    run "$PYTHON" -m venv "$VENV"
  fi
  # (the sed drops pip's notes about unusable extra index locations some machines configure globally)
  run "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$req" "${cargs[@]}" 2>&1 \
    | sed '/is ignored: it is neither a file nor a directory/d'
  "$VENV/bin/python" -c 'import yaml, sys; sys.exit(0 if yaml.__with_libyaml__ else 1)' \
    || die "venv: PyYAML has no libyaml (yaml.__with_libyaml__ is False)"
  echo "$want" >"$stamp"
  log "venv: ready in $(( $(now) - t ))s: $("$VENV/bin/python" -c \
    'import ansible.release as a, molecule as m; print(f"ansible-core {a.__version__}, molecule {m.__version__}")')"
}

apt_step
venv_step
"$REPO_ROOT/scripts/docker-up.sh"
"$REPO_ROOT/scripts/image.sh"
"$REPO_ROOT/scripts/collection-link.sh"
log "bootstrap done in $(( $(now) - T0 ))s"
