#!/usr/bin/python3
"""Who may open each agency mailbox (Art. 10, 13.6): role imap, docs/mail.md "Delegation".

For every active agency mailbox in the directory, the ACL of its INBOX (inherited by its other
folders, acl_defaults_from_inbox) gives the head and the delegates (congvuHead, congvuDelegate,
active personal mailboxes only) the agency rights and nobody else anything; entries of people who
are no longer head or delegate are removed, so a handover (Art. 10) takes the old head's access
away. Idempotent: only differences are written, each one logged. Run by congvu-agency-acl.timer
and on demand (`systemctl start congvu-agency-acl`).

On a node of the mail pair (docs/cluster.md) that does not hold the pair's virtual address
(VIRTUAL_ADDRESS), an agency mailbox that does not exist yet is left alone: opening it here would create
its INBOX under a mailbox GUID of this node while the other node creates its own, and dsync cannot
reconcile two INBOXes of one user with different GUIDs ("Remote lost mailbox GUID", every sync of that
mailbox failed for good). It is created on the node that holds the address (where LMTP delivers), comes
here by dsync, and gets its ACL at the next run.

Why ACL entries per person and not `acl_groups` from congvuDelegateOf: Dovecot 2.3.19 (Debian 12)
keeps only the first value of a multi-valued LDAP attribute in a userdb field, so a person who may
open two agency mailboxes would get only one.
"""

import base64
import os
import subprocess
import sys

CONF = "/etc/dovecot/congvu-agency-acl.conf"
OWNER_RIGHTS = "lookup read write write-seen write-deleted insert post expunge create delete admin".split()


def settings():
    conf = {}
    with open(CONF, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                conf[key] = value
    return conf


def ldap_search(conf, base, filt, attrs, scope="one"):
    """Entries as [{attr: [values]}] (ldapsearch as the dovecot service account)."""
    env = dict(os.environ)
    if conf.get("LDAP_CA"):
        env["LDAPTLS_CACERT"] = conf["LDAP_CA"]
    proc = subprocess.run(
        ["ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-x", "-H", conf["LDAP_URI"], "-D", conf["LDAP_BIND_DN"],
         "-y", conf["LDAP_SECRET"], "-s", scope, "-b", base, filt, *attrs],
        capture_output=True, text=True, env=env, check=False)
    if proc.returncode not in (0, 32):
        sys.exit(f"ldapsearch {base} {filt}: {proc.stderr.strip()}")
    entries, current = [], None
    for line in proc.stdout.splitlines():
        if not line:
            current = None
            continue
        if line.startswith("dn:"):
            current = {}
            entries.append(current)
            continue
        name, sep, value = line.partition(":: ")
        if sep:
            value = base64.b64decode(value).decode()
        else:
            name, _, value = line.partition(": ")
        if current is not None:
            current.setdefault(name, []).append(value)
    return entries


def doveadm(*argv):
    return subprocess.run(["doveadm", *argv], capture_output=True, text=True, check=True).stdout


def current_acl(box):
    """{identifier: set(rights)} of the agency's INBOX, the global ACLs left out."""
    acl = {}
    lines = doveadm("-f", "tab", "acl", "get", "-u", box, "INBOX").splitlines()
    for line in lines[1:]:
        ident, glob, rights = (line.split("\t") + ["", ""])[:3]
        if glob.strip() not in ("1", "yes"):
            acl[ident] = set(rights.split())
    return acl


def holds(address):
    """Whether this host has `address` on one of its interfaces (keepalived put it there)."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=True).stdout
    return any(f" {address}/" in line for line in out.splitlines())


def exists(box):
    """Whether the mailbox's home is on this host's disk (it is made with the mailbox)."""
    home = doveadm("user", "-f", "home", box).strip()
    return bool(home) and os.path.isdir(home)


def main():
    conf = settings()
    may_create = not conf.get("VIRTUAL_ADDRESS") or holds(conf["VIRTUAL_ADDRESS"])
    rights = conf["RIGHTS"].split()
    agencies = ldap_search(conf, conf["LDAP_AGENCIES"], "(&(objectClass=congvuAgencyMailbox)(congvuState=active))",
                           ["mail", "congvuHead", "congvuDelegate"])
    changes = 0
    for agency in agencies:
        box = agency["mail"][0].lower()
        if not may_create and not exists(box):
            print(f"{box}: not created here, the node holding {conf['VIRTUAL_ADDRESS']} creates it")
            continue
        members = set()
        for dn in agency.get("congvuHead", []) + agency.get("congvuDelegate", []):
            for person in ldap_search(conf, dn, "(&(objectClass=congvuMailbox)(congvuState=active))", ["mail"],
                                      scope="base"):
                members.update(m.lower() for m in person.get("mail", []))
        wanted = {"owner": set(OWNER_RIGHTS), **{f"user={m}": set(rights) for m in members}}
        current = current_acl(box)
        changed = False
        for ident in sorted(set(current) - set(wanted)):
            doveadm("acl", "delete", "-u", box, "INBOX", ident)
            print(f"{box}: removed {ident}")
            changed = True
        for ident, want in sorted(wanted.items()):
            if current.get(ident) != want:
                doveadm("acl", "set", "-u", box, "INBOX", ident, *sorted(want))
                print(f"{box}: {ident} may {' '.join(sorted(want))}")
                changed = True
        if changed:
            # the shared-mailbox dictionary lets the new delegates LIST the agency's folders
            doveadm("acl", "recalc", "-u", box)
            changes += 1
    print(f"{len(agencies)} agency mailboxes, {changes} changed")


if __name__ == "__main__":
    main()
