# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lookup plugin congvu_core_dir: the folder of the policy core on the controller, packaged as congvu-core."""

DOCUMENTATION = r"""
name: congvu_core_dir
short_description: The folder of the collection's policy core on the controller
description:
  - >-
    Returns the path, on the controller, of the collection's C(plugins/module_utils): the policy core
    that role C(packages) builds into the Debian package C(congvu-core) for the host jobs
    (docs/packages.md). Where the collection is installed, or the repository linked as it, the path
    follows; no role has to know the collection's layout.
options: {}
"""

EXAMPLES = r"""
- name: Where the policy core comes from
  ansible.builtin.debug:
    msg: "{{ lookup('congvu.mail.congvu_core_dir') }}"
"""

RETURN = r"""
_raw:
  description: One path, the folder holding the packages congvu, congvu_usage and the others.
  type: list
"""

import os

from ansible.plugins.lookup import LookupBase

CORE = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "module_utils"))


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        return [CORE]
