"""Stand-in for the get-pip script ansible-test downloads to start each of its virtualenvs.

ansible-test (the collection's sanity tests that need their own Python packages: import, pylint,
pep8, validate-modules, ansible-doc, runtime-metadata, yamllint) fetches get-pip from
ci-files.testing.ansible.com, which is no package registry and cannot be reached here. It first looks
in its cache (~/.ansible/test/cache/get_pip_<version>.py); scripts/sanity.sh puts this file there.
It does what get-pip does with Python's own means: pip from the standard library's ensurepip, then
the pip release ansible-test pins (and anything else it names) from the package index pip is
configured for, the same index every other test package comes from.
"""

import ensurepip
import runpy
import sys

# get-pip's own options, which `pip install` does not know
GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")

ensurepip.bootstrap(upgrade=False, default_pip=False, verbosity=0)
sys.argv = ["pip", "install"] + [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
