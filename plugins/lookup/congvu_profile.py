# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lookup plugin congvu_profile: a rule of the regulation in force (profiles/<congvu__profile>.yml)."""

DOCUMENTATION = r"""
name: congvu_profile
short_description: A rule of the regulation in force, from the province's profile
description:
  - >-
    Reads the profile named by the variable C(congvu__profile) (default C(quangbinh-2015)) from the folder
    C(congvu__profile_dir) (default: the project's C(profiles/)), checks every rule of it
    (module_utils/congvu/profile.py) and returns the values of the dotted keys asked for; with no key,
    the whole profile. A profile with a missing, unknown or invalid rule fails the play, naming the file
    and the key. See docs/profiles.md.
options:
  _terms:
    description: Dotted keys of rules, e.g. C(passwords.user.min_length).
    required: false
  profile:
    description: Read this profile instead of C(congvu__profile).
    type: str
"""

EXAMPLES = r"""
# In a role's defaults, the value follows the inventory's congvu__profile:
#   directory__user_password_min_length: "{{ lookup('congvu.mail.congvu_profile', 'passwords.user.min_length') }}"
- name: Shortest user password of the regulation in force
  ansible.builtin.debug:
    msg: "{{ lookup('congvu.mail.congvu_profile', 'passwords.user.min_length') }}"

- name: Ninh Bình's attachment limit, whatever the inventory names
  ansible.builtin.debug:
    msg: "{{ lookup('congvu.mail.congvu_profile', 'mailbox.attachment_mb', profile='ninhbinh-2025') }}"
"""

RETURN = r"""
_raw:
  description: The value of each key asked for (the whole profile when none is).
  type: list
"""

import os

import yaml
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.congvu.mail.plugins.module_utils.congvu import profile as policy

_HERE = os.path.dirname(os.path.abspath(__file__))
PROFILES = os.path.join(_HERE, "..", "..", "profiles")
DEFAULT = "quangbinh-2015"

_CACHE = {}


def load(name, folder):
    """The checked profile `name` from `folder` (cached per file and modification time)."""
    path = os.path.normpath(os.path.join(folder, f"{name}.yml"))
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        known = sorted(n[:-4] for n in os.listdir(folder) if n.endswith(".yml")) if os.path.isdir(folder) else []
        raise AnsibleLookupError(f"congvu__profile {name!r}: no file {path} (profiles there: "
                                 f"{', '.join(known) or 'none'})") from None
    if _CACHE.get(path, (None,))[0] != stamp:
        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
            _CACHE[path] = (stamp, policy.check(data, path, expected_id=name))
        except (yaml.YAMLError, policy.ProfileInvalid) as exc:
            raise AnsibleLookupError(f"the profile {path} cannot be used:\n{exc}") from None
    return _CACHE[path][1]


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        name = self.get_option("profile") or self._templar.template(variables.get("congvu__profile", DEFAULT))
        folder = self._templar.template(variables.get("congvu__profile_dir", PROFILES))
        data = load(str(name), str(folder))
        if not terms:
            return [data]
        try:
            return [policy.value(data, str(term)) for term in terms]
        except KeyError as exc:
            raise AnsibleLookupError(f"the profile {name} has no rule {exc.args[0]!r} "
                                     f"(rules: {', '.join(policy.RULES)})") from None
