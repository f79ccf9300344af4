"""Jinja filters of congvu-mail, for playbooks and roles."""


def congvu_base_dn(domain):
    """The directory's base DN for a mail domain: quangbinh.gov.vn -> dc=quangbinh,dc=gov,dc=vn.

    The same rule as congvu.directory.base_dn (docs/directory.md, "Tree").
    """
    return ",".join(f"dc={part}" for part in str(domain).split("."))


def congvu_base_domain(base_dn, default=""):
    """The domain a base DN was made from: dc=quangbinh,dc=gov,dc=vn -> quangbinh.gov.vn (`default` when the
    base has no dc= part). What stays when the mail domain changes (the directory does not move): the mail
    store's folder, the names of the local CAs."""
    parts = [rdn.strip()[3:] for rdn in str(base_dn).split(",") if rdn.strip().lower().startswith("dc=")]
    return ".".join(parts) or default


def congvu_quota_bytes(text):
    """A quota as the roster writes it (`2G`, `500M`) -> bytes, by the rule of congvu.settings.parse_quota
    (Art. 9: binary units, a unit is required)."""
    import re  # noqa: PLC0415

    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt])(?:i?b)?\s*$", str(text), re.IGNORECASE)
    if not match:
        raise ValueError(f"cannot read quota {text!r}: write a number and a unit, e.g. 2G, 500M")
    return int(float(match.group(1)) * 1024 ** ("kmgt".index(match.group(2).lower()) + 1))


LDAPI = "ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi"


def congvu_ldap_uris(providers, here, port=636, consumers=(), binds=False):
    """The directory as one LDAP URI list (space-separated: libldap, Postfix and Dovecot try them in
    order and go to the next when one does not answer, docs/cluster.md). On a provider, or on a
    read-only consumer (`consumers`), its own socket comes first (no TLS, no network); the providers
    follow over ldaps://, in inventory order.

    `binds`: the list for password binds (Dovecot's passdb). On a consumer its socket then comes last:
    slapd 2.5.13 records a consumer's successful bind (pwdLastSuccess) on the consumer only (the
    forwarding of that write is in 2.6, ITS#9863), and the inactivity job of Art. 7.2 reads the
    providers; the consumer answers binds when no provider does. A provider's own socket stays first.

    One host: exactly the single URI of before (ldapi:// on the directory host, ldaps:// elsewhere).
    """
    providers = list(providers or [])
    remote = [f"ldaps://{host}:{port}" for host in providers if host != here]
    if here in providers:
        return " ".join([LDAPI] + remote)
    if here in list(consumers or []):
        return " ".join(remote + [LDAPI] if binds else [LDAPI] + remote)
    return " ".join(remote)


class FilterModule:
    def filters(self):
        return {"congvu_base_dn": congvu_base_dn, "congvu_base_domain": congvu_base_domain,
                "congvu_quota_bytes": congvu_quota_bytes, "congvu_ldap_uris": congvu_ldap_uris}
