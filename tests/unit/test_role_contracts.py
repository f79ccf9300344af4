"""The ports between roles (docs/architecture.md, "Contracts between roles"): each number is written once, in
the inventory's group_vars/all, and the roles' defaults render it the same on a host that runs only one side.

A role that listens and a role that connects run in different plays, often on different hosts, and under
--limit; a fact set by the listener is not there, and a role's defaults cannot read another role's defaults
(the argument validation at the start of a role templates them before any task could load the other role).
So the number is a province-wide setting, and no role spells it.
"""

import os
import re

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
from ansible.template import Templar, trust_as_template

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# the roles call the collection's filters by their full names (congvu.mail.congvu_peer_rules), as ansible-playbook
# finds them: through scripts/collection-link.sh's link
init_plugin_loader([os.path.join(ROOT, ".cache", "collections")])
INVENTORIES = ("demo", "example")

# setting -> the number, and how a role would spell it if it wrote it itself
CONTRACTS = {
    "congvu__lmtp_port": (24, re.compile(r"(?::|port\s*[:=]\s*|else\s+|\[)24\b")),
    "congvu__sasl_port": (12345, re.compile(r"\b12345\b")),
    "congvu__sieve_submission_port": (10027, re.compile(r"\b10027\b")),
    "congvu__managesieve_port": (4190, re.compile(r"\b4190\b")),
    "congvu__mail_replication_port": (12346, re.compile(r"\b12346\b")),
}


def role_files():
    for folder, subfolders, names in os.walk(os.path.join(ROOT, "roles")):
        subfolders[:] = [s for s in subfolders if not s.startswith(".")]
        for name in names:
            # the README is generated from meta/argument_specs.yml, which is checked here
            if name != "README.md":
                yield os.path.join(folder, name)


def test_no_role_writes_a_port_another_role_relies_on():
    found = []
    for path in role_files():
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                for setting, (_, pattern) in CONTRACTS.items():
                    if pattern.search(line.split("#", 1)[0] if path.endswith((".yml", ".j2")) else line):
                        found.append(f"{os.path.relpath(path, ROOT)}:{number}: {line.strip()} (use {setting})")
    assert not found, "\n".join(found)


def test_every_inventory_sets_each_port_once_with_the_same_number():
    for inventory in INVENTORIES:
        folder = os.path.join(ROOT, "inventories", inventory, "group_vars", "all")
        text = "".join(open(os.path.join(folder, name), encoding="utf-8").read() for name in sorted(os.listdir(folder)))
        for setting, (number, _) in CONTRACTS.items():
            lines = re.findall(rf"^{setting}:\s*(.*)$", text, re.MULTILINE)
            assert lines == [str(number)], f"{inventory}: {setting} {lines}"


def trusted(value):
    """Strings of the repository's own files are templates to Ansible (as when it loads a role or inventory)."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [trusted(v) for v in value]
    if isinstance(value, dict):
        return {k: trusted(v) for k, v in value.items()}
    return value


def render(host: str, groups: dict, names: list[str], hostvars: dict | None = None,
           inventory: dict | None = None) -> dict:
    """The roles' defaults (and role hardening's vars) as Ansible renders them on `host` of an inventory with
    these groups; `hostvars` as the facts of a run would give them, `inventory` the settings that differ from the
    demo's group_vars/all."""
    loader = DataLoader()
    variables = {}
    for path in [("inventories", "demo", "group_vars", "all", "congvu.yml")] + [
            ("roles", role, "defaults", "main.yml")
            for role in ("mta", "imap", "webmail", "hardening", "monitoring", "reports", "backup")
    ] + [("roles", "hardening", "vars", "main.yml")]:
        variables.update(trusted(loader.load_from_file(os.path.join(ROOT, *path))))
    variables.update(inventory or {})
    variables.update({
        "inventory_hostname": host,
        "groups": groups,
        "group_names": sorted(g for g, members in groups.items() if host in members and g != "all"),
        "ansible_facts": {},
        "hostvars": hostvars or {},
    })
    templar = Templar(loader=loader, variables=variables)
    return {name: templar.template(variables[name]) for name in names}


SPLIT = {"all": ["dir1", "mx1", "imap1", "web1"], "mail": ["dir1", "mx1", "imap1", "web1"], "directory": ["dir1"],
         "mx": ["mx1"], "imap": ["imap1"], "webmail": ["web1"]}


def test_an_mx_only_host_delivers_and_authenticates_on_the_imap_hosts_ports():
    got = render("mx1", SPLIT, ["mta__lmtp_destination", "mta__sasl_path", "mta__sieve_listener",
                                "hardening__firewall_sieve_ports"])
    assert got["mta__lmtp_destination"] == "lmtp:inet:imap1:24"
    assert got["mta__sasl_path"] == "inet:imap1:12345"
    assert str(got["mta__sieve_listener"]) == "10027"  # every address: Dovecot is on another host
    assert got["hardening__firewall_sieve_ports"] == []  # no ManageSieve on the MX


def test_an_imap_only_host_listens_where_the_mx_connects():
    got = render("imap1", SPLIT, ["imap__lmtp_port", "imap__auth_port", "imap__sieve_submission_host",
                                  "imap__managesieve_port", "hardening__firewall_sieve_ports"])
    assert int(got["imap__lmtp_port"]) == 24 and int(got["imap__auth_port"]) == 12345
    assert got["imap__sieve_submission_host"] == "mx1:10027"
    assert int(got["imap__managesieve_port"]) == 4190
    assert [int(p) for p in got["hardening__firewall_sieve_ports"]] == [4190]


def test_a_webmail_only_host_reaches_managesieve_on_the_imap_port():
    got = render("web1", SPLIT, ["webmail__sieve_port"])
    assert int(got["webmail__sieve_port"]) == 4190


def test_a_web_front_of_its_own_trusts_the_ca_of_every_host_its_roundcube_reaches():
    """Role tls signs each host's certificate with a CA of that host's own: a webmail host copies the CA of every
    other host of groups imap and mx (molecule/webmail: Roundcube on a front of its own verifies IMAP, submission
    and ManageSieve), the all-in-one host none, a node of the mail pair the other node's (it may hold the
    virtual address that the mail host name leads to)."""
    assert render("web1", SPLIT, ["webmail__mail_ca_hosts"])["webmail__mail_ca_hosts"] == ["imap1", "mx1"]
    groups = {g: ["mail1"] for g in ("all", "mail", "directory", "mx", "imap", "webmail")}
    assert render("mail1", groups, ["webmail__mail_ca_hosts"])["webmail__mail_ca_hosts"] == []
    pair = {**PAIR, "webmail": ["mail1", "mail2"]}
    assert render("mail1", pair, ["webmail__mail_ca_hosts"], PAIR_HOSTVARS, VIRTUAL)["webmail__mail_ca_hosts"] == [
        "mail2"]


@pytest.mark.parametrize("host", ["mail1"])
def test_the_all_in_one_host_uses_the_sockets_and_the_loopback(host):
    groups = {g: [host] for g in ("all", "mail", "directory", "mx", "imap", "webmail")}
    got = render(host, groups, ["mta__lmtp_destination", "mta__sasl_path", "mta__sieve_listener", "imap__lmtp_port",
                                "imap__sieve_submission_host"])
    assert got["mta__lmtp_destination"] == "lmtp:unix:private/dovecot-lmtp"
    assert got["mta__sasl_path"] == "private/auth"
    assert got["mta__sieve_listener"] == "127.0.0.1:10027"
    assert int(got["imap__lmtp_port"]) == 0
    assert got["imap__sieve_submission_host"] == "127.0.0.1:10027"


# A province on separate hosts: two directory providers, two MX, one IMAP host, a web front, a monitoring host.
# ldap2 has no facts in this run (--limit), only its ansible_host; web1 neither (it is left out).
SEPARATE = {"all": ["ldap1", "ldap2", "mx1", "mx2", "imap1", "web1", "mon1"],
            "mail": ["ldap1", "ldap2", "mx1", "mx2", "imap1", "web1", "mon1"],
            "directory": ["ldap1", "ldap2"], "mx": ["mx1", "mx2"], "imap": ["imap1"], "webmail": ["web1"],
            "monitoring": ["mon1"]}
ADDRESSES = {"ldap1": "10.0.0.1", "mx1": "10.0.0.11", "mx2": "10.0.0.12", "imap1": "10.0.0.21", "mon1": "10.0.0.41"}
HOSTVARS = {**{h: {"ansible_facts": {"default_ipv4": {"address": a}}} for h, a in ADDRESSES.items()},
            "ldap2": {"ansible_facts": {}, "ansible_host": "10.0.0.2"}, "web1": {"ansible_facts": {}}}


def peer_rules(host):
    return {rule["name"].split(" ")[0]: (rule["ports"], rule["v4"])
            for rule in render(host, SEPARATE, ["hardening__peer_rules"], HOSTVARS)["hardening__peer_rules"]}


def test_a_directory_provider_opens_replication_to_the_other_provider_and_ldaps_to_the_mail_hosts():
    rules = peer_rules("ldap1")
    assert rules["LDAP"] == ([389], ["10.0.0.2"])
    # web1's address is unknown in this run: left out, not guessed
    assert rules["LDAPS"] == ([636], ["10.0.0.21", "10.0.0.11", "10.0.0.12"])  # by host name
    assert rules["the"] == ([9100, 9154], ["10.0.0.41"])


def test_an_imap_host_opens_lmtp_and_sasl_to_the_mx_and_an_mx_its_sieve_port_to_the_imap_host():
    assert peer_rules("imap1")["LMTP"] == ([24, 12345], ["10.0.0.11", "10.0.0.12"])
    assert peer_rules("mx1")["mail"] == ([10027], ["10.0.0.21"])
    assert "LMTP" not in peer_rules("mx1")


def test_the_all_in_one_host_opens_nothing_to_peers():
    groups = {g: ["mail1"] for g in ("all", "mail", "directory", "mx", "imap", "webmail", "monitoring")}
    hostvars = {"mail1": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.9"}}}}
    assert render("mail1", groups, ["hardening__peer_rules"], hostvars)["hardening__peer_rules"] == []


# The mail pair (docs/cluster.md): two hosts in both mx and imap, as inventories/example.
PAIR = {"all": ["ldap1", "mail1", "mail2"], "mail": ["ldap1", "mail1", "mail2"], "directory": ["ldap1"],
        "mx": ["mail1", "mail2"], "imap": ["mail1", "mail2"]}
PAIR_HOSTVARS = {h: {"ansible_facts": {"default_ipv4": {"address": a}}}
                 for h, a in {"ldap1": "10.20.0.1", "mail1": "10.20.0.11", "mail2": "10.20.0.12"}.items()}
VIRTUAL = {"congvu__mail_virtual_ipv4": "10.20.0.100"}


def test_art16_5_a_mail_node_exports_its_copy_of_the_mail_database_for_a_restore_of_one_person():
    """The archives of a mail node that holds a read-only copy of the directory say whose each mailbox is
    (restore.yml -e restore_person=..., molecule/pair); a provider exports the configuration and the audit trail
    too; a host without slapd exports nothing."""
    pair = {**PAIR, "directory_consumers": ["mail1", "mail2"]}
    names = ["backup__ldap_dump", "backup__ldap_dump_databases"]
    assert render("mail1", pair, names) == {"backup__ldap_dump": True, "backup__ldap_dump_databases": [1]}
    assert render("ldap1", pair, names) == {"backup__ldap_dump": True, "backup__ldap_dump_databases": [0, 1, 2]}
    assert render("mail1", PAIR, names)["backup__ldap_dump"] is False


def test_art16_5_the_usage_database_of_several_collectors_is_dumped_on_its_own_host_only():
    """Both mail nodes collect usage records into one PostgreSQL database on the first (docs/reports.md, "Several
    hosts"): pg_dump runs there, not on the other node, which has no database."""
    pair = {**PAIR, "reports": ["mail1", "mail2"]}
    url = {"reports__database_url": "postgresql://congvu_reports@/congvu_reports?host=/run/postgresql"}
    name = ["backup__postgresql_databases"]
    assert render("mail1", pair, name, PAIR_HOSTVARS, url) == {"backup__postgresql_databases": ["congvu_reports"]}
    assert render("mail2", pair, name, PAIR_HOSTVARS, url) == {"backup__postgresql_databases": []}


def pair_rules(host, groups=PAIR, inventory=None):
    got = render(host, groups, ["hardening__peer_rules"], PAIR_HOSTVARS, inventory)["hardening__peer_rules"]
    return {rule["name"].split(" ")[0]: (rule["proto"], rule["ports"], rule["v4"]) for rule in got}


def test_art16_each_node_of_the_mail_pair_opens_dsync_and_vrrp_to_the_other_node_only():
    got = render("mail1", PAIR, ["imap__replication_port"], PAIR_HOSTVARS, VIRTUAL)
    assert int(got["imap__replication_port"]) == 12346
    assert pair_rules("mail1", inventory=VIRTUAL)["dsync"] == ("tcp", [12346], ["10.20.0.12"])
    assert pair_rules("mail2", inventory=VIRTUAL)["keepalived's"] == ("vrrp", [], ["10.20.0.11"])
    # LMTP from the other MX was already there; the directory host opens neither
    assert pair_rules("mail2", inventory=VIRTUAL)["LMTP"] == ("tcp", [24, 12345], ["10.20.0.11"])
    assert not {"dsync", "keepalived's"} & set(pair_rules("ldap1", inventory=VIRTUAL))


def test_art16_the_webmail_of_either_mail_node_reads_mail_on_the_node_holding_the_virtual_address():
    """Both nodes' Roundcube open IMAP and ManageSieve at the mail host name (DNS: the virtual address), not at
    their own Dovecot: the node without the address is a replica nobody writes to (docs/cluster.md)."""
    for host in ("mail1", "mail2"):
        got = render(host, PAIR, ["webmail__imap_host", "webmail__sieve_host", "webmail__smtp_host"],
                     PAIR_HOSTVARS, VIRTUAL)
        assert got["webmail__imap_host"] == got["webmail__sieve_host"] == "mail.quangbinh.gov.vn", host
        assert got["webmail__smtp_host"] == "localhost"  # submission: either MX queues and sends
    # without the virtual address (no role failover), and on one mail host, the host's own Dovecot
    assert render("mail1", PAIR, ["webmail__imap_host"], PAIR_HOSTVARS)["webmail__imap_host"] == "localhost"
    one = {**PAIR, "mx": ["mail1"], "imap": ["mail1"]}
    assert render("mail1", one, ["webmail__imap_host"], PAIR_HOSTVARS, VIRTUAL)["webmail__imap_host"] == "localhost"


def test_art16_no_vrrp_without_the_virtual_address_and_neither_rule_on_one_mail_host():
    rules = pair_rules("mail1")  # the demo's congvu__mail_virtual_ipv4: "" (role failover does nothing)
    assert "dsync" in rules and "keepalived's" not in rules
    one = {**PAIR, "mx": ["mail1"], "imap": ["mail1"]}
    assert not {"dsync", "keepalived's"} & set(pair_rules("mail1", one, VIRTUAL))
    # not even declared (with no other node they would have no source and render nothing anyway)
    declared = render("mail1", one, ["hardening__firewall_peer_rules"], PAIR_HOSTVARS, VIRTUAL)
    assert not [r for r in declared["hardening__firewall_peer_rules"] if r["name"].startswith(("dsync", "keepalived"))]


def test_art16_the_firewall_of_a_node_lets_the_other_node_replicate_and_advertise():
    """The nftables file itself (roles/hardening/templates/nftables.conf.j2), VRRP by number (docs/hardening.md)."""
    loader = DataLoader()
    hostvars = {h: {"ansible_facts": {**v["ansible_facts"], "default_ipv6": {"address": f"2001:db8::{n}"}}}
                for n, (h, v) in enumerate(PAIR_HOSTVARS.items(), 1)}
    variables = render("mail1", PAIR, ["hardening__peer_rules", "hardening__public_ports", "hardening__admin_ports",
                                       "hardening__ldaps_ports", "hardening__ldaps_sources"], hostvars, VIRTUAL)
    variables.update({"hardening__admin_networks": ["10.9.0.0/24"], "hardening__firewall_table": "congvu_filter",
                      "hardening__firewall_extra_rules": [], "hardening__firewall_log_drops": False,
                      "ansible_managed": "managed"})
    with open(os.path.join(ROOT, "roles", "hardening", "templates", "nftables.conf.j2"), encoding="utf-8") as handle:
        text = Templar(loader=loader, variables=variables).template(trust_as_template(handle.read()))
    lines = [line.strip() for line in text.splitlines()]
    assert "ip saddr { 10.20.0.12 } tcp dport { 12346 } accept" in lines
    assert "ip6 saddr { 2001:db8::3 } tcp dport { 12346 } accept" in lines
    assert "ip saddr { 10.20.0.12 } ip protocol 112 accept" in lines
    assert "ip6 saddr { 2001:db8::3 } meta l4proto 112 accept" in lines
    # neither the directory host nor the node itself
    assert not [line for line in lines if "10.20.0.1 " in line or "10.20.0.11 " in line]


def role_lines(*suffixes):
    for path in role_files():
        if path.endswith(suffixes):
            with open(path, encoding="utf-8", errors="replace") as handle:
                for number, line in enumerate(handle, 1):
                    yield os.path.relpath(path, ROOT), number, line


def test_the_restart_policy_is_written_by_role_common_alone():
    """Restart= in a drop-in of a service is role common's (tasks_from restart); a unit a role defines whole
    (a .service file of its own) keeps its own line."""
    found = [f"{path}:{number}: {line.strip()}" for path, number, line in role_lines(".conf", ".conf.j2")
             if re.match(r"\s*Restart(Sec)?=", line) and not path.startswith(os.path.join("roles", "common", ""))]
    assert not found, "use include_role: {name: common, tasks_from: restart}:\n" + "\n".join(found)


def test_a_new_certificate_is_watched_by_role_tls_alone():
    """The checksum of the certificate is compared in one place (role tls, tasks_from watch), and the services'
    reload handlers listen to its topic."""
    readers = [f"{path}:{number}: {line.strip()}" for path, number, line in role_lines(".yml")
               if re.search(r"(?:path:|-)\s*\"\{\{\s*tls__(?:cert|key)_path\s*\}\}\"", line)
               and not path.startswith(os.path.join("roles", "tls", ""))]
    assert not readers, "use include_role: {name: tls, tasks_from: watch}:\n" + "\n".join(readers)
    for role in ("mta", "imap", "webmail"):
        with open(os.path.join(ROOT, "roles", role, "handlers", "main.yml"), encoding="utf-8") as handle:
            assert "congvu certificate changed" in handle.read(), role


# certificate -> the role that makes it; every other role reads the owner's variable after including the
# owner's entry point without side effects (tls: tasks_from policy, directory: tasks_from paths)
OWNED_PATHS = {
    "/etc/ldap/congvu/tls/server.crt": "directory",   # directory__tls_cert_path
    "/etc/congvu/tls/mail.crt": "tls",                # tls__cert_path
}


def test_no_role_spells_a_path_another_role_owns():
    found = []
    for path in role_files():
        role = os.path.relpath(path, os.path.join(ROOT, "roles")).split(os.sep)[0]
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                code = line.split("#", 1)[0] if path.endswith((".yml", ".j2")) else line
                for owned, owner in OWNED_PATHS.items():
                    if owned in code and role != owner:
                        found.append(f"{os.path.relpath(path, ROOT)}:{number}: {line.strip()} (role {owner} owns it)")
    assert not found, "\n".join(found)


def test_art16_every_role_sees_the_same_pair_through_one_definition():
    """imap replicates, every MX (a third one too) delivers to the virtual address, and only the two nodes watch it:
    each role reads the filter congvu.mail.congvu_mail_pair instead of spelling the condition itself."""
    names = ["imap__replication", "mta__lmtp_virtual_ipv4", "monitoring__mail_virtual_ipv4",
             "monitoring__dovecot_replication", "imap__mail_format", "imap__replication_virtual_ipv4"]
    three_mx = {**PAIR, "all": PAIR["all"] + ["mx3"], "mx": PAIR["mx"] + ["mx3"]}
    node = render("mail2", three_mx, names, PAIR_HOSTVARS, VIRTUAL)
    # the pair stores mail in sdbox (Maildir's uidlist races with dsync), and its agency ACL job knows the address
    assert node == {"imap__replication": True, "mta__lmtp_virtual_ipv4": "10.20.0.100",
                    "monitoring__mail_virtual_ipv4": "10.20.0.100", "monitoring__dovecot_replication": True,
                    "imap__mail_format": "sdbox", "imap__replication_virtual_ipv4": "10.20.0.100"}
    outside = render("mx3", three_mx, names, PAIR_HOSTVARS, VIRTUAL)
    assert outside["mta__lmtp_virtual_ipv4"] == "10.20.0.100"
    assert outside["monitoring__mail_virtual_ipv4"] == "" and outside["monitoring__dovecot_replication"] is False
    one = {**PAIR, "mx": ["mail1"], "imap": ["mail1"]}
    assert render("mail1", one, names, PAIR_HOSTVARS, VIRTUAL) == {
        "imap__replication": False, "mta__lmtp_virtual_ipv4": "", "monitoring__mail_virtual_ipv4": "",
        "monitoring__dovecot_replication": False, "imap__mail_format": "maildir", "imap__replication_virtual_ipv4": ""}
    # "two hosts in group imap", spelled again in a role
    pattern = re.compile(r"groups(\.get\('imap'[^)]*\)|\['imap'\])\s*(\|\s*default\([^)]*\)\s*)?\|\s*length\s*==\s*2")
    spelled = [f"{os.path.relpath(path, ROOT)}:{number}" for path in role_files()
               for number, line in enumerate(open(path, encoding="utf-8", errors="replace"), 1) if pattern.search(line)]
    assert not spelled, spelled


def test_art16_roundcube_lists_every_directory_provider_its_own_first():
    """The address book and the password plugin go to the next provider when one does not answer (docs/cluster.md);
    on one host, the single ldaps://localhost of before."""
    two = {"all": ["ldap1", "ldap2", "web1"], "mail": ["ldap1", "ldap2", "web1"], "directory": ["ldap1", "ldap2"],
           "mx": ["web1"], "imap": ["web1"], "webmail": ["web1", "ldap2"]}
    assert render("web1", two, ["webmail__ldap_uri"])["webmail__ldap_uri"] == "ldaps://ldap1:636 ldaps://ldap2:636"
    assert render("ldap2", two, ["webmail__ldap_uri"])["webmail__ldap_uri"] == "ldaps://localhost:636 ldaps://ldap1:636"
    one = {g: ["mail1"] for g in ("all", "mail", "directory", "mx", "imap", "webmail")}
    assert render("mail1", one, ["webmail__ldap_uri"])["webmail__ldap_uri"] == "ldaps://localhost:636"


# The usage records of the mail pair (docs/reports.md, "Several hosts"): both nodes in group reports, the
# database on the first; a reports group of one host, or SQLite, opens nothing.
REPORTS_DB = {"reports__database_url": "postgresql://congvu_reports@/congvu_reports?host=/run/postgresql"}


def test_the_usage_database_host_opens_postgresql_to_the_other_collectors_only():
    groups = {**PAIR, "reports": ["mail1", "mail2"]}
    assert pair_rules("mail1", groups, REPORTS_DB)["PostgreSQL"] == ("tcp", [5432], ["10.20.0.12"])
    # the other collector, the directory host: nothing
    assert "PostgreSQL" not in pair_rules("mail2", groups, REPORTS_DB)
    assert "PostgreSQL" not in pair_rules("ldap1", groups, REPORTS_DB)
    # the database on the second node (reports__database_host): opened there, to the first
    moved = {**REPORTS_DB, "reports__database_host": "mail2"}
    assert pair_rules("mail2", groups, moved)["PostgreSQL"] == ("tcp", [5432], ["10.20.0.11"])
    assert "PostgreSQL" not in pair_rules("mail1", groups, moved)
    # one reports host, or SQLite: nothing
    assert "PostgreSQL" not in pair_rules("mail1", {**PAIR, "reports": ["mail1"]}, REPORTS_DB)
    assert "PostgreSQL" not in pair_rules("mail1", groups)


def test_the_other_collectors_write_to_the_database_host_over_tls_verified_and_it_lets_them_in_only():
    groups = {**PAIR, "reports": ["mail1", "mail2"]}
    names = ["reports__collector_url", "reports__remote_addresses", "reports__unit_files", "reports__remote_collectors"]
    first = render("mail1", groups, names, PAIR_HOSTVARS, REPORTS_DB)
    second = render("mail2", groups, names, PAIR_HOSTVARS, REPORTS_DB)
    # the database host keeps its local socket (peer authentication), lets mail2 in, and alone takes the snapshot
    assert first["reports__collector_url"] == REPORTS_DB["reports__database_url"]
    assert first["reports__remote_collectors"] == ["mail2"]
    assert first["reports__remote_addresses"] == ["10.20.0.12/32"]
    assert "congvu-reports-daily.timer" in first["reports__unit_files"]
    # the other one: the database host by name, its certificate verified, the password in a passfile
    assert second["reports__collector_url"] == (
        "postgresql://congvu_reports@mail1:5432/congvu_reports?sslmode=verify-full"
        "&sslrootcert=/etc/congvu/reports-database-ca.crt&passfile=/etc/congvu/reports.pgpass")
    assert second["reports__remote_collectors"] == [] and second["reports__remote_addresses"] == []
    assert second["reports__unit_files"] == ["congvu-reports-collect.service", "congvu-reports-collect.timer"]
    # one reports host, as before: its own URL, everything of its own
    one = render("mail1", {**PAIR, "reports": ["mail1"]}, names, PAIR_HOSTVARS, REPORTS_DB)
    assert one["reports__remote_collectors"] == [] and one["reports__remote_addresses"] == []
    assert len(one["reports__unit_files"]) == 4


def test_the_usage_records_read_the_copy_of_the_directory_on_a_node_of_the_pair_first():
    """Role reports on mail1 (inventories/example's group reports): the daily snapshot reads mail1's read-only
    consumer over its socket, then the providers; the password of its account is the first provider's (copied
    from there). On the all-in-one host, the single socket of before."""
    example = {"all": ["ldap1", "ldap2", "mail1", "mail2"], "directory": ["ldap1", "ldap2"],
               "directory_consumers": ["mail1", "mail2"], "mx": ["mail1", "mail2"], "imap": ["mail1", "mail2"],
               "reports": ["mail1"]}
    assert render("mail1", example, ["reports__ldap_uri", "reports__ldap_host"]) == {
        "reports__ldap_uri": "ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi ldaps://ldap1:636 ldaps://ldap2:636",
        "reports__ldap_host": "ldap1"}
    one = {g: ["mail1"] for g in ("all", "mail", "directory", "mx", "imap", "reports")}
    assert render("mail1", one, ["reports__ldap_uri"])["reports__ldap_uri"] == "ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi"
