#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible adapter: Art. 6 password reset on request (congvu.passwords + congvu.directory + congvu_directory)."""

DOCUMENTATION = r"""
module: password_reset
short_description: Reset a mailbox password on the owner's or the agency's request (Art. 6)
author: congvu-mail maintainers !UNKNOWN
description:
  - >-
    Sets a new random password that satisfies Art. 8 through the LDAP password-modify operation, so the
    directory's own policy applies, and marks it so that the owner must change it at the next login
    (pwdReset). An account locked by too many failed logins is unlocked; a suspended or terminated
    mailbox is refused (reactivate it through the roster first).
  - >-
    The new password is never returned: it is appended to the agency's file in I(initial_passwords_dir)
    (0600). Who asked, why, who did it and when go to the audit log.
options:
  address:
    description: "The mailbox address (or an alias of it); with I(admin), the administrator's uid."
    type: str
    required: true
  admin:
    description:
      - >-
        Rotate an administrator's password (Art. 8: at least monthly; slapd expires it after 30 days).
        The new 20-character password goes to I(admin_password_dir)/<uid>.initial (0600) and must be
        replaced by the administrator's own at the next bind, which slapd checks (length 14, classes,
        not equal to another administrator's).
    type: bool
    default: false
  admin_password_dir:
    description: Folder of the administrators' initial passwords.
    type: path
    default: /etc/ldap/congvu/admins
  requested_by: {description: "Who asked for the reset (name, office, document number).", type: str, required: true}
  reason: {description: "Why, in a few words.", type: str, default: ""}
  actor: {description: The operator doing it., type: str}
  audit_log: {description: JSON-lines audit log., type: path}
  initial_passwords_dir: {description: Folder of the per-agency password files (personal mailboxes)., type: path}
  domain: {description: Mail domain., type: str, default: quangbinh.gov.vn}
  base_dn:
    description: The directory's base DN; empty for the one derived from I(domain) (it stays when the domain changes).
    type: str
    default: ""
requirements: [ldap3]
attributes:
  check_mode:
    support: full
    details: >-
      Finds the account and checks that it may be reset (a personal mailbox must be active); reports
      C(changed=true) with its DN and changes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - congvu.mail.congvu_connection
"""

EXAMPLES = r"""
- name: Reset a mailbox password on the owner's written request
  congvu.mail.password_reset:
    address: nguyen.van.an@quangbinh.gov.vn
    requested_by: "Nguyễn Văn An, Sở Nội vụ, đơn số 12/2026"
    reason: quên mật khẩu
    actor: "{{ lookup('ansible.builtin.env', 'USER') }}"
    audit_log: /var/log/congvu/roster-audit.jsonl
    initial_passwords_dir: /var/lib/congvu/initial-passwords
    domain: quangbinh.gov.vn
    bind_dn: cn=reconcile,ou=system,dc=quangbinh,dc=gov,dc=vn
    bind_password_file: /etc/ldap/congvu/reconcile.secret

- name: Rotate an administrator's password (Art. 8), as root over ldapi://
  congvu.mail.password_reset:
    address: admin.tran
    admin: true
    requested_by: monthly rotation
    domain: quangbinh.gov.vn
    audit_log: /var/log/congvu/roster-audit.jsonl
"""

RETURN = r"""
dn: {description: The entry whose password was reset., type: str, returned: success}
password_file: {description: Where the new password was written., type: str, returned: success}
"""

import datetime as dt
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.congvu.mail.plugins.module_utils.congvu import directory, passwords, plan, state  # noqa: F401
from ansible_collections.congvu.mail.plugins.module_utils.congvu_directory import AuditLog, SecretSink
from ansible_collections.congvu.mail.plugins.module_utils.congvu_ldap import CONNECTION_ARGS, connect


def _actor(params):
    return params["actor"] or os.environ.get("SUDO_USER") or os.environ.get("USER") or "unknown"


def rotate_admin(module, conn, tree, uid):
    """Art. 8: a new random password for one administrator, to be replaced at the next bind."""
    from ldap3 import MODIFY_REPLACE

    params = module.params
    dn = f"uid={uid},{tree.admins}"
    conn.search(tree.admins, f"(uid={uid})", attributes=["uid"])
    if len(conn.entries) != 1:
        module.fail_json(msg=f"no administrator has the uid {uid}")
    if module.check_mode:
        module.exit_json(changed=True, dn=dn)
    new = passwords.generate(20)
    os.makedirs(params["admin_password_dir"], mode=0o700, exist_ok=True)
    path = os.path.join(params["admin_password_dir"], f"{uid}.initial")
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(new)
    os.replace(path + ".tmp", path)
    if not conn.extend.standard.modify_password(user=dn, new_password=new):
        module.fail_json(msg=f"the directory refused the new password: {conn.result.get('message')}")
    if not conn.modify(dn, {"pwdReset": [(MODIFY_REPLACE, ["TRUE"])], "pwdAccountLockedTime": [(MODIFY_REPLACE, [])]}):
        module.fail_json(msg=f"could not mark {dn} for a password change: {conn.result.get('description')}")
    AuditLog(params["audit_log"], "", _actor(params)).write({
        "action": "admin_password_rotate", "kind": "admin", "id": uid, "requested_by": params["requested_by"],
        "reason": params["reason"], "outcome": "applied"})
    module.exit_json(changed=True, dn=dn, password_file=path)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            address=dict(type="str", required=True),
            requested_by=dict(type="str", required=True),
            reason=dict(type="str", default=""),
            actor=dict(type="str"),
            audit_log=dict(type="path"),
            initial_passwords_dir=dict(type="path"),
            admin=dict(type="bool", default=False),
            admin_password_dir=dict(type="path", default="/etc/ldap/congvu/admins"),
            domain=dict(type="str", default="quangbinh.gov.vn"),
            base_dn=dict(type="str", default=""),
            **CONNECTION_ARGS,
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not params["requested_by"].strip():
        module.fail_json(msg="requested_by is required: Art. 6 resets happen on a request, record whose")
    address = params["address"].strip().lower()
    tree = directory.Tree(params["domain"], params["base_dn"])
    conn = connect(module, params)
    if params["admin"]:
        rotate_admin(module, conn, tree, address)
    search = f"(&(objectClass=congvuMailbox)(|(mail={address})(congvuAlias={address})))"
    conn.search(tree.people, search, attributes=directory.PERSON_ATTRS)
    if len(conn.entries) != 1:
        module.fail_json(msg=f"no personal mailbox has the address {address}")
    dn = conn.entries[0].entry_dn
    box = directory.mailbox_from_entry(conn.entries[0].entry_attributes_as_dict)
    if box.state != "active":
        module.fail_json(msg=f"{address} is {box.state}: reactivate it through the roster first")
    if module.check_mode:
        module.exit_json(changed=True, dn=dn)

    if not params["initial_passwords_dir"]:
        module.fail_json(msg="initial_passwords_dir is required to reset a personal mailbox")
    new = passwords.generate()
    sink = SecretSink(params["initial_passwords_dir"])
    sink.store(box.agency, box.address, new, dt.date.today().isoformat())
    if not conn.extend.standard.modify_password(user=dn, new_password=new):
        module.fail_json(msg=f"the directory refused the new password: {conn.result.get('message')}")
    # The policy's pwdMustChange marks a password set by someone else; set it explicitly all the same,
    # and lift a lockout caused by the failed logins that usually lead to the request.
    from ldap3 import MODIFY_REPLACE

    ok = conn.modify(dn, {"pwdReset": [(MODIFY_REPLACE, ["TRUE"])],
                          "pwdAccountLockedTime": [(MODIFY_REPLACE, [])]})
    if not ok:
        module.fail_json(msg=f"could not mark {dn} for a password change: {conn.result.get('description')}")
    AuditLog(params["audit_log"], "", _actor(params)).write({
        "action": "password_reset", "kind": "person", "id": box.id, "address": box.address,
        "agency": box.agency, "requested_by": params["requested_by"], "reason": params["reason"],
        "outcome": "applied"})
    module.exit_json(changed=True, dn=dn,
                     password_file=os.path.join(params["initial_passwords_dir"], f"{box.agency}.csv"))


if __name__ == "__main__":
    main()
