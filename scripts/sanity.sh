#!/usr/bin/env bash
# ansible-test sanity on the collection congvu.mail as `ansible-galaxy collection build` ships it
# (docs/collection.md). ansible-test wants the collection under a path ending in
# ansible_collections/congvu/mail: the built tarball is unpacked so in a temporary folder, outside
# the checkout (inside it, ansible-test would ask git, which ignores .cache/, and find no file); the
# repository's tests/sanity/ignore-2.NN.txt goes with it (each line says why).
#
# Left out (SKIP below): the tests that ansible-test runs in a virtualenv of its own, which it
# bootstraps with a pip script downloaded from ci-files.testing.ansible.com, not a package registry,
# so they cannot run here. What stands for them: ansible-doc -> tests/unit/test_collection_modules.py
# (every module renders, its documentation is its argument spec); yamllint -> make lint (yamllint);
# pep8 -> make lint (ruff); import -> tests/unit/test_core_purity.py (every file of plugins/module_utils
# imported with the standard library alone). validate-modules, pylint and runtime-metadata have no stand-in.
# pslint is PowerShell (none here).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SKIP=(ansible-doc import pep8 pylint pslint runtime-metadata validate-modules yamllint)
DEST=$(mktemp -d "${TMPDIR:-/tmp}/congvu-sanity.XXXXXX")
trap 'rm -rf "$DEST"' EXIT
COLLECTION="$DEST/ansible_collections/congvu/mail"

mkdir -p "$COLLECTION"
ansible-galaxy collection build --output-path "$DEST" "$REPO_ROOT" >/dev/null
tar -xzf "$DEST"/congvu-mail-*.tar.gz -C "$COLLECTION"
args=()
for test in "${SKIP[@]}"; do args+=(--skip-test "$test"); done
cd "$COLLECTION"
# --local: the .venv's Python; C.UTF-8 is what this Debian has (ansible-test asks for en_US.UTF-8)
LC_ALL=C.UTF-8 ansible-test sanity --local --python 3.11 --color no "${args[@]}"
