#!/usr/bin/env bash
# Make this repository the collection congvu.mail for Ansible runs from the repository, with no
# install: .cache/collections/ansible_collections/congvu/mail -> the repository root, and ansible.cfg
# (collections_path) and .config/molecule/config.yml look there. Idempotent; `make` runs it before
# every target that runs Ansible, and bootstrap.sh runs it too.
#
# The link is a loop (the repository holds a path back to itself): it lives under .cache/, which
# yamllint, ansible-lint, ruff, pytest, git and `ansible-galaxy collection build` all leave out.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LINK_DIR="$REPO_ROOT/.cache/collections/ansible_collections/congvu"
# relative, so that the checkout can move
TARGET=../../../..
if [ "$(readlink "$LINK_DIR/mail" 2>/dev/null)" = "$TARGET" ]; then
  exit 0
fi
mkdir -p "$LINK_DIR"
rm -rf "${LINK_DIR:?}/mail"
ln -s "$TARGET" "$LINK_DIR/mail"
log "collection congvu.mail: $LINK_DIR/mail -> $REPO_ROOT"
