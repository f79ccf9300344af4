"""Role `hardening`: unattended security upgrades, kernel settings (sysctl) in a container, keys and secrets
(Art. 16.3)."""

import pytest

# the server only; the client container is the outsider the tests connect from
testinfra_hosts = ["ansible://congvu-hardening"]

SYSCTL = "/etc/sysctl.d/90-congvu-hardening.conf"


def test_art16_security_upgrades_install_themselves_daily(host):
    periodic = host.check_output("apt-config dump APT::Periodic")
    assert 'APT::Periodic::Update-Package-Lists "1";' in periodic
    assert 'APT::Periodic::Unattended-Upgrade "1";' in periodic
    assert host.service("apt-daily-upgrade.timer").is_enabled


def test_art16_unattended_upgrades_take_the_security_archive_only(host):
    out = host.check_output("unattended-upgrade --dry-run --debug 2>&1 | grep '^Allowed origins are:'")
    origins = [o.strip() for o in out.split(":", 1)[1].split(", ")]
    assert origins and all("label=Debian-Security" in o for o in origins), origins


def sysctl_keys(host):
    lines = host.file(SYSCTL).content_string.splitlines()
    return {k.strip(): v.strip() for k, v in (x.split("=", 1) for x in lines if x.strip() and not x.startswith("#"))}


def test_art16_sysctl_in_a_container_lists_only_network_namespace_keys(host):
    """Kernel-wide keys (kernel.*, fs.*, net.core.*) would change the machine under the container."""
    keys = sysctl_keys(host)
    assert keys["net.ipv4.conf.all.rp_filter"] == "1"
    assert keys["net.ipv4.tcp_syncookies"] == "1"
    assert keys["net.ipv4.conf.all.accept_redirects"] == "0"
    assert keys["net.ipv4.conf.all.accept_source_route"] == "0"
    outside = [k for k in keys if not k.startswith(("net.ipv4.", "net.ipv6."))]
    assert outside == []


def test_art16_sysctl_network_values_are_live_where_writable(host):
    if host.run("test -w /proc/sys/net/ipv4/tcp_syncookies").rc != 0:
        pytest.skip("Docker mounts /proc/sys read-only: no value can be applied in this container (docs/hardening.md)")
    for key, value in sysctl_keys(host).items():
        assert host.check_output(f"sysctl -n {key}") == value, key


def test_art16_secrets_lose_group_and_world_rights(host):
    secret = host.file("/etc/ldap/congvu/test.secret")  # seeded 0644 nobody
    assert (secret.user, secret.mode) == ("root", 0o600)
    key = host.file("/etc/congvu/tls/test.key")  # seeded 0664 nobody: the group keeps read (ssl-cert style)
    assert (key.user, key.mode) == ("root", 0o640)


def test_art16_permissions_create_nothing(host):
    assert not host.file("/var/lib/rspamd/dkim").exists
    assert not host.file("/var/lib/congvu/initial-passwords").exists
