"""Art. 16.3: wrong IMAP logins from one address get it banned, the ban lifts after its time, and the
attacker does not lock the victim out (docs/hardening.md, "fail2ban"). Runs after the browser journey:
while the ban holds, the controller cannot reach the host at all.

The attacker is this controller, outside the container: its connections arrive from docker's gateway,
which the tests' variables keep out of fail2ban's ignore list (demo_test_vars.yml) and give a 60 s
ban. It guesses the password of a real demo account. The owner of that account logs in meanwhile from
another address: the container's own network address (not loopback, not banned). Python's imaplib is
the client; fail2ban's own client, the directory and a plain TCP connect tell the result.
"""

import imaplib
import shlex
import socket
import ssl
import time

from demo_host import accounts
from demo_host import container_network as network

BANTIME = 60   # demo_test_vars.yml: long enough to look at a ban, short enough to wait for its end


def connects(ip, port=993, timeout=3):
    try:
        socket.create_connection((ip, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def victim():
    rows = accounts()
    # the last ready person: the journeys before use the first ones
    return [a for a in rows if a["state"] == "active" and a["must_change"] == "no" and not a["delegate_of"]][-1]


def owner_logs_in_from(host, ip, who):
    """The owner's own IMAP login from inside the container, to its network address (the mail
    client of the person at another computer): 'OK' or the server's answer."""
    code = ("import imaplib, ssl\nctx = ssl.create_default_context()\nctx.check_hostname = False\n"
            f"m = imaplib.IMAP4_SSL({ip!r}, 993, ssl_context=ctx, timeout=30)\n"
            f"try:\n    print(m.login({who['address']!r}, {who['password']!r})[0])\n"
            "except imaplib.IMAP4.error as e:\n    print(e)\n")
    return host.run("python3 -c " + shlex.quote(code)).stdout.strip()


def locked(host, who):
    """The directory's lock of the account (ppolicy pwdAccountLockedTime) and its counted failures."""
    r = host.run("ldapsearch -LLL -Q -Y EXTERNAL -H ldapi:/// -b ou=people,dc=quangbinh,dc=gov,dc=vn "
                 + shlex.quote(f"(mail={who['address']})") + " pwdAccountLockedTime pwdFailureTime")
    return [line for line in r.stdout.splitlines() if line.startswith(("pwdAccountLockedTime", "pwdFailureTime"))]


def test_art16_wrong_imap_logins_ban_the_address_not_the_account_and_the_ban_lifts(host):
    ip, gateway = network("IPAddress"), network("Gateway")
    who = victim()
    maxretry = int(host.check_output("fail2ban-client get dovecot maxretry"))
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE   # the attacker does not care
    refused = 0   # guesses the server answered (a wrong password) before the ban
    for attempt in range(10):
        if not connects(ip):
            break   # banned: new connections time out (a connect waiting longer would outlast the ban)
        try:
            # Dovecot answers each further failure from one address later (its auth penalty, up to
            # 15 s): the client waits longer than that, so a slow answer is not taken for a ban
            m = imaplib.IMAP4_SSL(ip, 993, ssl_context=context, timeout=30)
        except OSError:
            break   # banned: the jail counts each failed auth
        try:
            m.login(who["address"], f"sai-mat-khau-{attempt}")
        except (imaplib.IMAP4.abort, OSError):
            break   # the ban landed while this connection was open: its packets are dropped now
        except imaplib.IMAP4.error:
            refused += 1
        finally:
            try:
                m.shutdown()   # Dovecot logs the failed login when the connection closes
            except OSError:
                pass
    deadline = time.time() + 60
    while gateway not in host.check_output("fail2ban-client status dovecot") and time.time() < deadline:
        time.sleep(1)
    assert gateway in host.check_output("fail2ban-client status dovecot")
    assert 1 <= refused <= maxretry, f"{refused} guesses were answered before the ban"
    assert not connects(ip), "a banned address still reaches IMAP"
    # the attacker's failures did not lock the account: its owner logs in from another address now
    assert not any(line.startswith("pwdAccountLockedTime") for line in locked(host, who)), locked(host, who)
    assert owner_logs_in_from(host, ip, who) == "OK"
    # the ban is not forever: after bantime the same address connects again
    deadline = time.time() + BANTIME + 60
    while not connects(ip) and time.time() < deadline:
        time.sleep(2)
    assert connects(ip)
    assert gateway not in host.check_output("fail2ban-client status dovecot")
