#!/usr/bin/env bash
# The role alerting's Prometheus rules on the controller, with Debian's own promtool:
#   scripts/alert-rules.sh check   render the rules (each language) and `promtool check rules` them (make lint)
#   scripts/alert-rules.sh test    the same, then `promtool test rules tests/prometheus/*.test.yml` (make unit)
#
# promtool comes from Debian's `prometheus` package, unpacked into .cache/prometheus-deb (apt-get
# download + dpkg-deb -x: no daemon, no root, nothing installed on the machine). Idempotent: done once
# per package version; the apt lists the machine already has name the version (bookworm: 2.42).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MODE=${1:-check}
DEB_DIR="$CACHE_DIR/prometheus-deb"
PROMTOOL="$DEB_DIR/usr/bin/promtool"
RULES_DIR="$CACHE_DIR/prometheus"

promtool_step() {
  local version
  version=$(apt-cache policy prometheus 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [ -z "$version" ] || [ "$version" = "(none)" ]; then
    # a machine whose package lists were never fetched (a fresh CI image)
    run as_root apt-get update -qq
    version=$(apt-cache policy prometheus 2>/dev/null | awk '/Candidate:/ {print $2}')
  fi
  [ -n "$version" ] && [ "$version" != "(none)" ] || die "apt knows no package prometheus"
  if [ -x "$PROMTOOL" ] && [ "$(cat "$DEB_DIR/.version" 2>/dev/null)" = "$version" ]; then
    return
  fi
  local tmp
  tmp=$(mktemp -d)
  log "promtool: apt-get download prometheus=$version into $DEB_DIR"
  (cd "$tmp" && apt-get download -q "prometheus=$version" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
  ls "$tmp"/prometheus_*.deb >/dev/null 2>&1 || die "promtool: the download of prometheus=$version failed"
  rm -rf "$DEB_DIR" && mkdir -p "$DEB_DIR"
  dpkg-deb -x "$tmp"/prometheus_*.deb "$DEB_DIR"
  rm -rf "$tmp" "$DEB_DIR/usr/bin/prometheus"   # only promtool is used
  echo "$version" >"$DEB_DIR/.version"
}

promtool_step
ansible-playbook -i localhost, "$REPO_ROOT/tests/prometheus/render.yml" >/dev/null \
  || ansible-playbook -i localhost, "$REPO_ROOT/tests/prometheus/render.yml"
for rules in "$RULES_DIR"/congvu-rules-*.yml; do
  "$PROMTOOL" check rules "$rules"
done
if [ "$MODE" = test ]; then
  "$PROMTOOL" test rules "$REPO_ROOT"/tests/prometheus/*.test.yml
fi
