"""The mail pair (Art. 16.2, docs/cluster.md) as the inventory declares it: one definition for every role.

Dovecot's dsync replicates between pairs only, so the pair exists when group `imap` holds exactly two hosts
(role imap refuses three or more); its virtual address (role failover's keepalived) applies when the
inventory also sets `congvu__mail_virtual_ipv4`. Roles imap, mta, webmail, monitoring and hardening each
act on a part of this: they read it from here instead of each spelling the condition again.

Plain Python, no Ansible import, no I/O (the filter congvu.mail.congvu_mail_pair hands it the inventory).
"""


def mail_pair(imap_hosts, virtual_ipv4="", host=""):
    """What the pair is, seen from `host`:

    - nodes: the two mail nodes in the inventory's order, [] when there is no pair;
    - replicated: Dovecot replicates between them (there is a pair);
    - virtual_ipv4: the address every MX delivers to and clients use, '' without a pair or an address;
    - member: `host` is one of the two nodes;
    - node_virtual_ipv4: the virtual address when `host` is one of the nodes (the address it may hold), else ''.
    """
    imap_hosts = list(imap_hosts or [])
    nodes = imap_hosts if len(imap_hosts) == 2 else []
    address = str(virtual_ipv4 or "").strip() if nodes else ""
    member = host in nodes
    return {"nodes": nodes, "replicated": bool(nodes), "virtual_ipv4": address, "member": member,
            "node_virtual_ipv4": address if member else ""}
