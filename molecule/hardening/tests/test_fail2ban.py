"""Role `hardening`, fail2ban (Art. 16.3): jails on the journal, bans through nftables that lift after bantime
(20 s in this scenario), a dovecot filter that matches what Dovecot 2.3 on Debian 12 logs."""

import os
import time

import pytest
from conftest import banned, make_key, ssh, tcp_connect, wait_for

# the server only; the client container is the outsider the tests connect from
testinfra_hosts = ["ansible://congvu-hardening"]

HERE = os.path.dirname(__file__)


def test_art16_fail2ban_runs_the_jails_of_the_services_here(host):
    assert host.service("fail2ban").is_running
    jails = host.check_output("fail2ban-client status").split("Jail list:", 1)[1].replace(",", " ").split()
    # all-in-one host (groups mx, imap): the journal jails are on even before Postfix and Dovecot exist
    assert sorted(jails) == ["dovecot", "postfix-sasl", "sshd"]
    # no Roundcube or nginx log here: their jails stay off, and fail2ban still starts
    assert "roundcube-auth" not in jails and "nginx-http-auth" not in jails


def test_art16_fail2ban_bans_with_nftables_and_ignores_only_what_it_is_told(host, controller_ip):
    assert "nftables-multiport" in host.check_output("fail2ban-client get sshd actions")
    ignored = host.check_output("fail2ban-client get sshd ignoreip")
    assert "127.0.0.0/8" in ignored
    assert controller_ip not in ignored  # the scenario leaves its test client out, so it can be banned


@pytest.mark.parametrize("jail_filter, sample, matched, missed", [
    ("dovecot", "samples-dovecot.log", 4, 2),  # a login and a logout are not failures
    ("postfix[mode=auth]", "samples-postfix-sasl.log", 2, 2),  # nor a lost auth server, nor a connect
])
def test_art16_filter_matches_the_failed_logins_only(host, jail_filter, sample, matched, missed):
    """Unit check of the filters the dovecot and postfix-sasl jails use, on lines as Dovecot 2.3.19 and Postfix
    3.7 (Debian 12) write them: failures count, a successful login does not."""
    with open(os.path.join(HERE, sample)) as f:
        host.check_output(f"cat > /tmp/{sample} <<'EOF'\n{f.read()}EOF")
    out = host.check_output(f"fail2ban-regex /tmp/{sample} '{jail_filter}'")
    assert f"{matched} matched, {missed} missed" in out, out


def test_art16_2_fail2ban_restarts_after_a_crash(host):
    drop_ins = host.check_output("systemctl show -p DropInPaths --value fail2ban.service")
    assert "/etc/systemd/system/fail2ban.service.d/congvu-restart.conf" in drop_ins  # role common's policy
    pid = host.check_output("systemctl show -p MainPID --value fail2ban.service")
    host.check_output(f"kill -9 {pid}")
    assert wait_for(lambda: host.run("fail2ban-client ping").rc == 0
                    and host.check_output("systemctl show -p MainPID --value fail2ban.service") not in ("0", pid), 40)


def test_art16_ten_wrong_ssh_logins_ban_the_address_until_bantime(host, server_ip, controller_ip, tmp_path):
    """Up to 10 logins with a key the server does not know (all a guesser can try against key-only SSH), one
    after the other: the address is banned (maxretry 5 here), its new connections are dropped, and the ban
    lifts after bantime (20 s)."""
    host.run(f"fail2ban-client set sshd unbanip {controller_ip}")
    wrong_key = make_key(tmp_path / "not_authorized")
    for _ in range(10):
        r = ssh(server_ip, "operator1", key=wrong_key)
        assert r.returncode == 255 and "Permission denied (publickey)" in r.stderr, r.stderr
        # fail2ban reads the journal about once a second; the next attempt must not race the ban
        if wait_for(lambda: controller_ip in banned(host, "sshd"), 2, step=0.5):
            break
    assert controller_ip in banned(host, "sshd")
    banned_at = time.monotonic()
    assert tcp_connect(server_ip, 22) == "timeout"  # a new connection is dropped
    assert wait_for(lambda: controller_ip not in banned(host, "sshd"), 60), "the ban did not lift"
    assert time.monotonic() - banned_at < 60
    assert tcp_connect(server_ip, 22) == "open"
