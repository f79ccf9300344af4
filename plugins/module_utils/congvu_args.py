"""Argument specs shared by the congvu modules (Ansible-facing, unlike the congvu package)."""

SETTINGS_ARGS = dict(
    domain=dict(type="str", default="quangbinh.gov.vn"),
    default_quota=dict(type="str", default="2G"),
    guard_max_count=dict(type="int", default=50),
    guard_max_ratio=dict(type="float", default=0.05),
    transfer_alias_days=dict(type="int", default=90),
    profile=dict(type="str", default=""),
    former_addresses_until=dict(type="str", default=""),
    former_domains=dict(type="list", elements="str", default=[]),
    base_dn=dict(type="str", default=""),
    sub_units=dict(type="bool", default=False),
)


def settings_from_params(params):
    """Build congvu.settings.Settings from a module's parameters (same names, without the prefix)."""
    from ansible_collections.congvu.mail.plugins.module_utils.congvu.settings import Settings

    return Settings.from_vars({name: params[name] for name in SETTINGS_ARGS})
