#!/usr/bin/python3
"""Every Sieve redirect of every mailbox, and whether it leaves the official system (Art. 13.8, 15.2).

Role imap, docs/forwarding.md. Reads each mailbox's Sieve scripts through doveadm (the same
scripts ManageSieve and the webmail wrote), finds the addresses of their `redirect` actions and of
`notify` by mailto, and prints one JSON document: the mailboxes with a redirect outside the domain
and the outside domains the province listed (/etc/dovecot/congvu-forwarding.conf). No words for
people here: playbooks/forwarding_report.yml turns it into the operator's report, in Vietnamese by
default.

An address built at run time (`redirect "${to}"`) cannot be checked before it runs: it is listed
as outside, so that a person looks at it; Postfix refuses it anyway when it leaves the domain.
"""

import json
import subprocess
import sys

CONF = "/etc/dovecot/congvu-forwarding.conf"


def settings(path=CONF):
    conf = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                conf[key.strip()] = value.strip()
    return conf


def tokens(script):
    """The identifiers, tags, strings and semicolons of a Sieve script, comments left out."""
    out, i, n = [], 0, len(script)
    while i < n:
        c = script[i]
        if c == "#":
            while i < n and script[i] != "\n":
                i += 1
        elif script.startswith("/*", i):
            end = script.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif c == '"':
            i += 1
            value = []
            while i < n and script[i] != '"':
                if script[i] == "\\" and i + 1 < n:
                    i += 1
                value.append(script[i])
                i += 1
            out.append(("string", "".join(value)))
            i += 1
        elif script.startswith("text:", i):
            # multi-line string: up to a line holding a single dot
            end = script.find("\n.\n", i)
            body = script[script.find("\n", i) + 1:n if end < 0 else end + 1]
            out.append(("string", body.replace("\n..", "\n.")))
            i = n if end < 0 else end + 3
        elif c == ";":
            out.append(("semicolon", c))
            i += 1
        elif c.isalpha() or c == "_" or c == ":":
            start = i
            i += 1
            while i < n and (script[i].isalnum() or script[i] in "_.-"):
                i += 1
            out.append(("word", script[start:i].lower()))
        else:
            i += 1
    return out


def destinations(script):
    """(kind, address) of each redirect and each notify by mailto in the script, in order."""
    found, toks = [], tokens(script)
    for k, (kind, value) in enumerate(toks):
        if kind != "word" or value not in ("redirect", "notify"):
            continue
        strings = []
        for kind2, value2 in toks[k + 1:]:
            if kind2 == "semicolon":
                break
            if kind2 == "string":
                strings.append(value2)
        if value == "redirect" and strings:
            found.append(("redirect", strings[-1].strip()))
        elif value == "notify":
            for text in strings:
                if text.lower().startswith("mailto:"):
                    found.append(("notify", text[7:].split("?", 1)[0].strip()))
    return found


def inside(address, domains, allowed):
    """True when the address stays in the official system (its domain, or a former one during a change
    of domain) or goes to a listed outside domain."""
    if "${" in address or "@" not in address:
        return False
    host = address.rsplit("@", 1)[1].lower().rstrip(">")
    return host in domains or any(host == d or host.endswith("." + d) for d in allowed)


def doveadm(*args):
    return subprocess.run(["doveadm", *args], capture_output=True, text=True, check=True).stdout


def main():
    conf = settings(sys.argv[1] if len(sys.argv) > 1 else CONF)
    domain = conf["DOMAIN"].lower()
    allowed = [d.strip().lower() for d in conf.get("ALLOWED", "").split(",") if d.strip()]
    own = {domain, *(d.strip().lower() for d in conf.get("FORMER", "").split(",") if d.strip())}
    rows, users = [], sorted({line.strip() for line in doveadm("user", "*").splitlines() if line.strip()})
    for user in users:
        try:
            listing = doveadm("sieve", "list", "-u", user)
        except subprocess.CalledProcessError:
            continue   # a mailbox never delivered to has no Sieve storage yet
        for line in listing.splitlines():
            parts = line.split()
            if not parts:
                continue
            name, active = parts[0], "ACTIVE" in parts[1:]
            text = doveadm("sieve", "get", "-u", user, name)
            for kind, address in destinations(text):
                if not inside(address, own, allowed):
                    rows.append({"mailbox": user, "script": name, "active": active, "kind": kind,
                                 "address": address})
    json.dump({"domain": domain, "allowed_domains": allowed, "mailboxes_checked": len(users),
               "outside": rows}, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
