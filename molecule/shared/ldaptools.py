"""LDAP helpers shared by the testinfra tests of the scenarios `directory` and `roster`.

The real OpenLDAP clients (ldapsearch, ldapmodify) run inside the container through testinfra's
`host.run`; these helpers only quote the command line and read the LDIF back. Import from a test
file with:

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
    import ldaptools
"""

import base64
import shlex

BASE = "dc=quangbinh,dc=gov,dc=vn"
PEOPLE = f"ou=people,{BASE}"
AGENCIES = f"ou=agencies,{BASE}"
ADMINS = f"ou=admins,{BASE}"
SYSTEM = f"ou=system,{BASE}"
ROOT = ["-Q", "-Y", "EXTERNAL", "-H", "ldapi:///"]  # root on the socket: the rootdn, no password


def sh(host, argv, stdin=None):
    """Run argv in the container (quoted), with `stdin` piped in when given."""
    cmd = " ".join(shlex.quote(str(a)) for a in argv)
    if stdin is not None:
        cmd = f"printf '%s' {shlex.quote(stdin)} | {cmd}"
    return host.run(cmd)


def root_search_ldif(host, base, filt="(objectClass=*)", *attrs, scope="sub"):
    """ldapsearch as root: the LDIF text, unwrapped; no such object gives an empty text."""
    r = sh(host, ["ldapsearch", "-LLL", "-o", "ldif-wrap=no", *ROOT, "-s", scope, "-b", base, filt, *attrs])
    assert r.rc in (0, 32), r.stderr
    return r.stdout


def parse_ldif(text):
    """LDIF (unwrapped, as ldapsearch -o ldif-wrap=no prints it) -> {dn: {attr: [values]}}, base64
    values decoded as UTF-8."""
    entries, current = {}, None
    for line in text.splitlines():
        if not line:
            current = None
            continue
        name, sep, value = line.partition(":: ") if ":: " in line else line.partition(": ")
        if sep == ":: ":
            value = base64.b64decode(value).decode("utf-8", "replace")
        if name == "dn":
            current = entries.setdefault(value, {})
        elif current is not None:
            current.setdefault(name, []).append(value)
    return entries


def root_search(host, base, filt="(objectClass=*)", *attrs, scope="sub"):
    """ldapsearch as root, as {dn: {attr: [values]}}."""
    return parse_ldif(root_search_ldif(host, base, filt, *attrs, scope=scope))


def attr_values(ldif, attr):
    """The values of `attr` in an LDIF text (base64 values stay encoded)."""
    return [line.split(":", 1)[1].lstrip(": ").strip() for line in ldif.splitlines()
            if line.lower().startswith(attr.lower() + ":")]
