#!/usr/bin/env python3
"""Prepare the demo accounts on the demo host and print them as JSON (run by playbooks/demo.yml).

The demo needs accounts people and outside tools can log in with: some ready to use, one that must
change its initial password at the first login (Art. 4.3), one suspended (Art. 7.2) and one delegate of
an agency mailbox (Art. 10). The roster created every mailbox with a random initial password and
`pwdReset: TRUE`; a "ready" account is one whose owner has done the first login: this script binds as
the user with the initial password and changes it through the LDAP password-modify operation, the path
webmail takes, so slapd's Art. 8 policy checks the new one like any other.

The choice is deterministic (sorted by staff id) and kept in STORE, so a second `make demo` returns the
same accounts and passwords instead of changing them again. Runs as root on the directory host with
python3-ldap (installed by the directory role); standard library otherwise.
"""

import csv
import glob
import json
import os
import secrets
import sys

import ldap

STORE = "/var/lib/congvu/demo-accounts.json"
INITIAL = "/var/lib/congvu/initial-passwords"
READY = 3
# the classes of Art. 8 (the same pools as congvu.passwords: no look-alikes, nothing CSV would quote)
POOLS = ("abcdefghijkmnopqrstuvwxyz", "ABCDEFGHJKLMNPQRSTUVWXYZ", "23456789", "!#%+-=?@_")


def new_password(length=16):
    chars = [secrets.choice(pool) for pool in POOLS]
    chars += [secrets.choice("".join(POOLS)) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def as_root():
    conn = ldap.initialize("ldapi:///")
    conn.sasl_external_bind_s()
    return conn


def binds(dn, password):
    conn = ldap.initialize("ldapi:///")
    try:
        conn.simple_bind_s(dn, password)
        return True
    except (ldap.INVALID_CREDENTIALS, ldap.UNWILLING_TO_PERFORM):
        return False
    finally:
        conn.unbind_s()


def text(entry, name):
    values = entry.get(name) or [b""]
    return values[0].decode()


def initial_passwords():
    found = {}
    for path in sorted(glob.glob(os.path.join(INITIAL, "*.csv"))):
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                found[row["address"]] = row["initial_password"]  # a later line (a reset) wins
    return found


def still_valid(accounts, dns):
    """The stored accounts still log in as stored (the demo host was not rebuilt meanwhile)."""
    for account in accounts:
        dn = dns.get(account["address"])
        if dn is None:
            return False
        if account["state"] == "active" and not binds(dn, account["password"]):
            return False
    return True


def main(base):
    root = as_root()
    people = root.search_s(f"ou=people,{base}", ldap.SCOPE_ONELEVEL, "(objectClass=congvuMailbox)",
                           ["uid", "mail", "congvuState", "congvuDelegateOf", "pwdReset"])
    agencies = root.search_s(f"ou=agencies,{base}", ldap.SCOPE_ONELEVEL, "(objectClass=congvuAgencyMailbox)",
                             ["mail", "congvuHead"])
    head_of = {text(e, "mail"): text(e, "congvuHead") for _, e in agencies}
    people.sort(key=lambda item: text(item[1], "uid"))
    dns = {text(e, "mail"): dn for dn, e in people}

    if os.path.exists(STORE):
        with open(STORE, encoding="utf-8") as handle:
            stored = json.load(handle)
        if still_valid(stored, dns):
            return stored, False

    initial = initial_passwords()
    active = [(dn, e) for dn, e in people if text(e, "congvuState") == "active" and text(e, "mail") in initial
              and text(e, "pwdReset").upper() == "TRUE"]
    # a true delegate (not the head: the head owns the agency mailbox, Art. 10)
    delegate = next(((dn, e) for dn, e in active for box in e.get("congvuDelegateOf", [])
                     if head_of.get(box.decode()) != dn), None)
    if delegate is None:
        raise SystemExit("the demo roster has no active delegate of an agency mailbox")
    others = [item for item in active if item[0] != delegate[0]]
    ready, must_change = others[:READY], others[READY]
    suspended = next((dn, e) for dn, e in people if text(e, "congvuState") == "suspended")

    accounts = []
    for dn, entry in [*ready, delegate]:
        address, password = text(entry, "mail"), new_password()
        user = ldap.initialize("ldapi:///")
        user.simple_bind_s(dn, initial[address])
        user.passwd_s(dn, initial[address], password)  # the first login's change (Art. 4.3)
        user.unbind_s()
        accounts.append({"address": address, "password": password, "state": "active", "must_change": "no",
                         "delegate_of": text(entry, "congvuDelegateOf")})
    for _dn, entry, state in [(*must_change, "active"), (*suspended, "suspended")]:
        address = text(entry, "mail")
        accounts.append({"address": address, "password": initial.get(address, ""), "state": state,
                         "must_change": "yes", "delegate_of": ""})

    fd = os.open(STORE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(accounts, handle, ensure_ascii=False, indent=1)
    return accounts, True


if __name__ == "__main__":
    found, changed = main(sys.argv[1])
    print(json.dumps({"changed": changed, "accounts": found}, ensure_ascii=False))
