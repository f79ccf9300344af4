#!/usr/bin/env bash
# ansible-test sanity on the collection congvu.mail as `ansible-galaxy collection build` ships it
# (docs/collection.md). ansible-test wants the collection under a path ending in
# ansible_collections/congvu/mail: the built tarball is unpacked so in a temporary folder, outside
# the checkout (inside it, ansible-test would ask git, which ignores .cache/, and find no file); the
# repository's tests/sanity/ignore-2.NN.txt goes with it (each line says why).
#
# Two halves, so that `make lint` stays quick:
#   scripts/sanity.sh          the tests ansible-test runs with the .venv's own Python (make lint);
#   scripts/sanity.sh --venv   the tests it runs in virtualenvs of their own, with the packages it pins
#                              (import, pylint, pep8, validate-modules, ansible-doc, runtime-metadata,
#                              yamllint; make sanity-venv, a job beside the scenarios in make test).
# Those virtualenvs start from a get-pip script that ansible-test downloads from
# ci-files.testing.ansible.com, which is no package registry: scripts/ansible_test_get_pip.py stands in
# for it (ansible-test takes it from its cache), and the packages come from PyPI like every other.
# pslint is PowerShell (none here).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VENV_TESTS=(ansible-doc import pep8 pylint runtime-metadata validate-modules yamllint)
args=()
if [ "${1:-}" = --venv ]; then
  # the pip release ansible-test bootstraps (python_requirements.py: default_packages pip='...')
  src=$(python3 -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
  pip_version=$(sed -n "s/^ *pip='\([0-9.]*\)',$/\1/p" "$src/_internal/python_requirements.py")
  [ -n "$pip_version" ] || die "sanity: cannot read the pip version ansible-test pins"
  cache="$HOME/.ansible/test/cache"
  mkdir -p "$cache"
  cp "$REPO_ROOT/scripts/ansible_test_get_pip.py" "$cache/get_pip_${pip_version//./_}.py"
  for test in "${VENV_TESTS[@]}"; do args+=(--test "$test"); done
else
  for test in pslint "${VENV_TESTS[@]}"; do args+=(--skip-test "$test"); done
fi
DEST=$(mktemp -d "${TMPDIR:-/tmp}/congvu-sanity.XXXXXX")
trap 'rm -rf "$DEST"' EXIT
COLLECTION="$DEST/ansible_collections/congvu/mail"

mkdir -p "$COLLECTION"
ansible-galaxy collection build --output-path "$DEST" "$REPO_ROOT" >/dev/null
tar -xzf "$DEST"/congvu-mail-*.tar.gz -C "$COLLECTION"
cd "$COLLECTION"
# --local: the .venv's Python; C.UTF-8 is what this Debian has (ansible-test asks for en_US.UTF-8)
LC_ALL=C.UTF-8 ansible-test sanity --local --python 3.11 --color no "${args[@]}"
