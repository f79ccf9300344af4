"""Jinja filters of congvu-mail, for playbooks and roles."""


def congvu_base_dn(domain):
    """The directory's base DN for a mail domain: quangbinh.gov.vn -> dc=quangbinh,dc=gov,dc=vn.

    The same rule as congvu.directory.base_dn (docs/directory.md, "Tree").
    """
    return ",".join(f"dc={part}" for part in str(domain).split("."))


class FilterModule:
    def filters(self):
        return {"congvu_base_dn": congvu_base_dn}
