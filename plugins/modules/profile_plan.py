#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible adapter over congvu.profile: what switching to another regulation's profile changes, counted."""

DOCUMENTATION = r"""
module: profile_plan
short_description: Plan a switch of the regulation's profile on a running directory
author: congvu-mail maintainers !UNKNOWN
description:
  - >-
    Compares the profile in force (what the role C(directory) recorded on the host) with the one the
    inventory now names, rule by rule (module_utils/congvu/profile.py), and counts in the directory the
    personal mailboxes each change concerns: the passwords whose clock a new maximum age restarts, the
    mailboxes the inactivity job would suspend at its next run, the mailboxes on the default quota.
  - >-
    Changes nothing: the switch itself is C(playbooks/site.yml) with the new C(congvu__profile). Returns
    the plan as a list and as Markdown, in Vietnamese by default.
options:
  current: {description: The profile in force (the host's profile.json)., type: dict}
  wanted: {description: The profile to switch to., type: dict, required: true}
  notice_days:
    description: Days a password older than a new maximum age is given (role directory).
    type: int
    default: 30
  domain: {description: Mail domain., type: str, required: true}
  base_dn:
    description: The directory's base DN; empty for the one derived from I(domain) (it stays when the domain changes).
    type: str
    default: ""
  language: {description: Language of the Markdown., type: str, choices: [vi, en], default: vi}
requirements: [python-ldap]
attributes:
  check_mode:
    support: full
    details: The module only reads; check mode plans the same.
  diff_mode:
    support: none
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - congvu.mail.congvu_connection
"""

EXAMPLES = r"""
- name: Plan the switch to Ninh Bình's regulation
  congvu.mail.profile_plan:
    current: "{{ (lookup('ansible.builtin.file', '/etc/ldap/congvu/profile.json')) | from_json }}"
    wanted: "{{ lookup('congvu.mail.congvu_profile', profile='ninhbinh-2025') }}"
    domain: quangbinh.gov.vn
"""

RETURN = r"""
changes:
  description: >-
    One item per rule that differs: key, old, new, when, stricter, concerned (null: every account).
  type: list
  returned: always
markdown: {description: The plan to read., type: str, returned: always}
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.congvu.mail.plugins.module_utils.congvu import directory, messages, profile  # noqa: F401  (bundled)
from ansible_collections.congvu.mail.plugins.module_utils.congvu.messages import N_, tr
from ansible_collections.congvu.mail.plugins.module_utils.congvu_ldap import CONNECTION_ARGS, connect_python_ldap

try:
    import ldap

    LDAPError = ldap.LDAPError
except ImportError:  # reported by connect_python_ldap()
    ldap = None
    LDAPError = OSError


def count(conn, base, filt):
    """Entries matching `filt` under `base`, read in pages of names only."""
    from ldap.controls import SimplePagedResultsControl  # noqa: PLC0415

    control = SimplePagedResultsControl(True, size=1000, cookie="")
    found = 0
    while True:
        msgid = conn.search_ext(base, ldap.SCOPE_ONELEVEL, filt, ["1.1"], serverctrls=[control])
        _type, data, _id, answers = conn.result3(msgid)
        found += sum(1 for dn, _attrs in data if dn)
        cookie = next((c.cookie for c in answers if c.controlType == SimplePagedResultsControl.controlType), "")
        if not cookie:
            return found
        control.cookie = cookie


def _shown(value, language):
    if isinstance(value, bool):
        return tr(N_("yes") if value else N_("no"), language)
    if isinstance(value, list):
        return ", ".join(f"{p['label']} {p['start']}-{p['end']}" for p in value)
    return str(value)


def markdown(current, wanted, items, notice_days, language):
    title = tr(N_("Switch of regulation: %(old)s -> %(new)s"), language, old=current.get("name", "-"),
               new=wanted["name"])
    out = [f"# {title}", ""]
    if not items:
        return "\n".join(out + [tr(N_("Nothing changes."), language), ""])
    heads = [tr(N_("rule"), language), tr(N_("now"), language), tr(N_("new"), language),
             tr(N_("applies"), language), tr(N_("personal mailboxes concerned"), language)]
    out += ["| " + " | ".join(heads) + " |", "|---|---|---|---|---:|"]
    for item in items:
        concerned = tr(N_("all"), language) if item["concerned"] is None else str(item["concerned"])
        stricter = " **(" + tr(N_("stricter"), language) + ")**" if item["stricter"] else ""
        out.append(f"| `{item['key']}`{stricter} | {_shown(item['old'], language)} | {_shown(item['new'], language)} | "
                   f"{tr(profile.WHEN_TEXT[item['when']], language, notice=notice_days)} | {concerned} |")
    out += ["", tr(N_("Nobody is locked out by the switch: a stricter password rule applies at each person's next "
                      "change, and a password older than a new maximum age gets %(notice)s days."), language,
                   notice=notice_days), ""]
    return "\n".join(out)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            current=dict(type="dict"),
            wanted=dict(type="dict", required=True),
            notice_days=dict(type="int", default=30),
            domain=dict(type="str", required=True),
            base_dn=dict(type="str", default=""),
            language=dict(type="str", choices=["vi", "en"], default="vi"),
            **CONNECTION_ARGS,
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        wanted = profile.check(params["wanted"], "wanted")
        current = profile.check(params["current"], "current") if params["current"] else None
    except profile.ProfileInvalid as exc:
        module.fail_json(msg=str(exc))
    items = []
    if current is not None:  # the playbook passes the default profile when the host recorded none
        tree = directory.Tree(params["domain"], params["base_dn"])
        conn = None
        now = int(time.time())
        for change in profile.changes(current, wanted):
            wanted_count = profile.concerned_filter(change, now, params["notice_days"])
            concerned = None
            if wanted_count is not None:
                template, cutoff = wanted_count
                stamp = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(cutoff)) if cutoff is not None else ""
                try:
                    conn = conn or connect_python_ldap(module, params)
                    concerned = count(conn, tree.people, template.format(cutoff=stamp))
                except (LDAPError, OSError) as exc:
                    module.fail_json(msg=f"cannot count in the directory at {params['server_uri']}: {exc}")
            items.append({"key": change.key, "old": change.old, "new": change.new, "when": change.when,
                          "stricter": change.stricter, "concerned": concerned})
    shown = current or {"name": "-"}
    module.exit_json(changed=False, changes=items,
                     markdown=markdown(shown, wanted, items, params["notice_days"], params["language"]))


if __name__ == "__main__":
    main()
