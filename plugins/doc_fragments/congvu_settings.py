"""The province-wide settings every roster module takes (congvu_args.SETTINGS_ARGS), documented once."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  domain: {description: Mail domain (Art. 5)., type: str, default: quangbinh.gov.vn}
  default_quota: {description: Default quota (Art. 9)., type: str, default: 2G}
  guard_max_count:
    description: >-
      The guard's absolute limit: a plan that suspends and terminates more mailboxes than this, or than
      I(guard_max_ratio) of the roster, stops before any write unless it is overridden for the run.
    type: int
    default: 50
  guard_max_ratio:
    description: The guard's limit as a share of the roster (see I(guard_max_count)).
    type: float
    default: 0.05
  transfer_alias_days: {description: Days an old address keeps working after a transfer., type: int, default: 90}
  profile:
    description: The name of the regulation in force (profiles/*.yml), named in the plan's header.
    type: str
    default: ""
  former_addresses_until:
    description: >-
      Until when (YYYY-MM-DD) the addresses a reorganisation retires keep delivering; empty: one year after
      the plan's date (docs/reorganisation.md).
    type: str
    default: ""
  former_domains:
    description: >-
      The province's former mail domains (a change of domain, docs/reorganisation.md): every mailbox of one
      of them moves to I(domain) in one plan, its old address delivering until I(former_addresses_until).
    type: list
    elements: str
    default: []
  base_dn:
    description: >-
      The directory's base DN; empty: derived from I(domain). Required with I(former_domains): the directory
      stays where it was.
    type: str
    default: ""
  sub_units:
    description: >-
      The profile's address formats allow sub-units (C(addresses.sub_units), docs/profiles.md): an agency file
      may have the code C(<unit>.<parent>), its staff getting C(<name>.<unit>.<parent>@domain) (Art. 5).
    type: bool
    default: false
"""
