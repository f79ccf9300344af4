"""Role `hardening`, the nftables firewall (Art. 16.3): inbound dropped unless listed; SSH and LDAPS only from
the admin networks. Connections come from the controller (admin) and from the client container (outsider)."""

from conftest import listener, tcp_connect, tcp_connect_from

# the server only; the client container is the outsider the tests connect from
testinfra_hosts = ["ansible://congvu-hardening"]


def test_art16_unlisted_port_is_dropped(host, server_ip, client):
    with listener(host, 8080):
        assert host.check_output("python3 -c \"import socket; socket.create_connection(('127.0.0.1', 8080)); "
                                 "print('open')\"") == "open"  # the service answers locally
        assert tcp_connect(server_ip, 8080) == "timeout"
        assert tcp_connect_from(client, server_ip, 8080) == "timeout"


def test_art16_mail_port_is_open_to_everybody(host, server_ip, client):
    with listener(host, 25):
        assert tcp_connect_from(client, server_ip, 25) == "open"
        assert tcp_connect(server_ip, 25) == "open"


def test_art16_ldaps_only_from_the_admin_networks(host, server_ip, client):
    with listener(host, 636):
        assert tcp_connect(server_ip, 636) == "open"
        assert tcp_connect_from(client, server_ip, 636) == "timeout"


def test_art16_ssh_only_from_the_admin_networks(server_ip, client, not_banned):
    assert tcp_connect(server_ip, 22) == "open"
    assert tcp_connect_from(client, server_ip, 22) == "timeout"


def test_art16_firewall_restart_keeps_fail2ban_bans_and_runtime_rules(host):
    """Stopping the firewall removes only the role's table: fail2ban's bans and Docker's DNS rules stay."""
    host.check_output("fail2ban-client set sshd banip 203.0.113.9")
    try:
        host.check_output("systemctl restart nftables.service")
        tables = host.check_output("nft list tables").splitlines()
        assert "table inet congvu_filter" in tables
        assert "table ip nat" in tables  # Docker's embedded DNS inside the container
        assert "203.0.113.9" in host.check_output("nft list set inet f2b-table addr-set-sshd")
        assert host.run("getent hosts deb.debian.org").rc == 0
    finally:
        host.run("fail2ban-client set sshd unbanip 203.0.113.9")
