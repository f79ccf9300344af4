"""Art. 16.3: ten wrong IMAP logins from one address get it banned, and the ban lifts after its time
(issue 5). Runs last: while the ban holds, the controller cannot reach the host at all.

The attacker is this controller, outside the container: its connections arrive from docker's gateway,
which the scenario keeps out of fail2ban's ignore list (molecule/full/converge.yml) and gives a 20 s
ban. Python's imaplib is the client; fail2ban's own client and a plain TCP connect tell the result.
"""

import imaplib
import socket
import ssl
import subprocess
import time

CONTAINER = "congvu-full"
BANTIME = 20


def network(field):
    """The container's address, or the gateway its network sees this controller's connections from."""
    template = "{{range .NetworkSettings.Networks}}{{." + field + "}}{{end}}"
    return subprocess.run(["docker", "inspect", "-f", template, CONTAINER], capture_output=True, text=True,
                          check=True).stdout.strip()


def connects(ip, port=993, timeout=3):
    try:
        socket.create_connection((ip, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def test_art16_ten_wrong_imap_logins_ban_the_address_until_the_ban_time_ends(host):
    ip, gateway = network("IPAddress"), network("Gateway")
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE   # the attacker does not care
    for attempt in range(10):
        try:
            # Dovecot answers each further failure from one address later (its auth penalty, up to
            # 15 s): the client waits longer than that, so a slow answer is not taken for a ban
            m = imaplib.IMAP4_SSL(ip, 993, ssl_context=context, timeout=30)
        except OSError:
            break   # banned before the tenth: the jail counts each failed auth
        try:
            m.login("khongco.stttt@quangbinh.gov.vn", f"sai-mat-khau-{attempt}")
        except imaplib.IMAP4.error:
            pass
        except OSError:
            break   # the ban landed while this connection was open: its packets are dropped now
        finally:
            try:
                m.shutdown()   # Dovecot logs the failed login when the connection closes
            except OSError:
                pass
    deadline = time.time() + 60
    while gateway not in host.check_output("fail2ban-client status dovecot") and time.time() < deadline:
        time.sleep(1)
    assert gateway in host.check_output("fail2ban-client status dovecot")
    assert not connects(ip), "a banned address still reaches IMAP"
    # the ban is not forever: after bantime the same address connects again
    deadline = time.time() + BANTIME + 60
    while not connects(ip) and time.time() < deadline:
        time.sleep(2)
    assert connects(ip)
    assert gateway not in host.check_output("fail2ban-client status dovecot")
