"""The firewall between the province's hosts (Art. 16.3, docs/hardening.md "Between the province's hosts").

A port one service of a host gives a service of another host of the province is opened to the addresses of
the hosts of the groups that use it, never to a network: the province's hosts often share a provider's subnet
with others' machines. Role hardening's `hardening__firewall_peer_rules` (what to open, to which groups) goes
in, with the inventory's groups and each host's facts; the rules its nftables template renders come out.

Plain data in and out: no Ansible, no I/O (docs/architecture.md, "Layers"); the filter
congvu.mail.congvu_peer_rules (plugins/filter/congvu_firewall.py) hands it the inventory.
"""

import re

# proto -> whether a rule of that protocol names ports. VRRP (IP protocol 112, keepalived's adverts between the
# mail pair) has none.
PROTOCOLS = {"tcp": True, "vrrp": False}

_IPV4 = re.compile(r"^[0-9.]+$")


def host_addresses(facts, given):
    """(IPv4, IPv6) of a host: its facts' default addresses, else its ansible_host `given` when that is an address
    of the family (a name is never resolved here: the controller's resolver is not the hosts' network). None for a
    family with neither."""
    facts = facts or {}
    given = "" if given is None else str(given)
    v4 = (facts.get("default_ipv4") or {}).get("address") or (given if _IPV4.match(given) else None)
    v6 = (facts.get("default_ipv6") or {}).get("address") or (given if ":" in given else None)
    return v4, v6


def _unique(items):
    return list(dict.fromkeys(items))


def peer_rules(rules, groups, hosts, here, public_ports=()):
    """The rules of `here` as its nftables template renders them: [{name, proto, ports, v4, v6}].

    rules: [{name, ports, from: [group, ...], proto (tcp by default)}]; groups: {group: [host, ...]} of the
    inventory; hosts: {host: (facts, ansible_host)} for the hosts of those groups (a host missing there has no
    address); here: this host, left out of every rule; public_ports: open to everybody already, left out of the
    tcp rules.

    A rule's sources are the hosts of its groups (an unknown group names none), sorted by name, each once, and
    their addresses each once. A rule with no source, or a tcp rule with no port left, renders nothing.
    """
    public = {int(port) for port in public_ports}
    result = []
    for rule in rules:
        proto = str(rule.get("proto") or "tcp")
        if proto not in PROTOCOLS:
            raise ValueError(f"peer rule {rule.get('name')!r}: protocol {proto!r} is not one of "
                             f"{', '.join(sorted(PROTOCOLS))}")
        ports = sorted({int(port) for port in rule.get("ports") or []} - public)
        if not PROTOCOLS[proto] and ports:
            raise ValueError(f"peer rule {rule.get('name')!r}: protocol {proto} has no ports ({ports})")
        names = sorted({name for group in rule.get("from") or [] for name in groups.get(group) or []} - {here})
        v4, v6 = [], []
        for name in names:
            address4, address6 = host_addresses(*hosts.get(name, ({}, "")))
            v4 += [address4] if address4 else []
            v6 += [address6] if address6 else []
        if (ports or not PROTOCOLS[proto]) and (v4 or v6):
            result.append({"name": rule["name"], "proto": proto, "ports": ports, "v4": _unique(v4),
                           "v6": _unique(v6)})
    return result
