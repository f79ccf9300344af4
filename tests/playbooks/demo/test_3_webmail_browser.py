"""The webmail in a real browser: Debian's chromium, driven by selenium inside the container,
against the whole system with the demo roster and the demo accounts (accounts.csv).

The journey (webmail_journey.py): log in, read a message that was delivered by SMTP, compose and send
one with an attachment (then seen arriving over IMAP here), then a new mailbox's first login: sent to
the change form, a weak password refused with the Art. 8 message, a strong one accepted. Screenshots of
every step are copied to .cache/artifacts/browser/ (CI keeps them).

Runs after test_2_whole_system.py: it changes the password of the must-change account.
"""

import json
import os
import shutil
import subprocess
import uuid

from demo_host import ARTIFACTS, CONTAINER, accounts, install_browser_journey

RUN = uuid.uuid4().hex[:8]
SHOTS = os.path.join(ARTIFACTS, "browser")


def py(host, code):
    return host.run("python3 - <<'PYEOF'\n" + code + "\nPYEOF")


def doveadm_count(host, user, subject, *more):
    r = host.run(f"doveadm search -u {user} mailbox INBOX subject '{subject}' {' '.join(more)}")
    return len(r.stdout.splitlines()) if r.rc == 0 else 0


def test_art3_art4_webmail_journey_in_chromium(host):
    rows = accounts()
    ready = [a for a in rows if a["state"] == "active" and a["must_change"] == "no"]
    fresh = next(a for a in rows if a["state"] == "active" and a["must_change"] == "yes")
    reader, peer = ready[0], ready[1]
    inbox_subject, inbox_body = f"Lịch họp {RUN}", f"Họp giao ban sáng thứ Hai {RUN}"
    sent_subject = f"Báo cáo tuần {RUN}"
    new_password = "Đổi-Mật-Khẩu-" + RUN[:4] + "x9"

    # a message delivered by SMTP (port 25, the whole inbound path) for the browser to read
    sent = py(host, "import smtplib\nfrom email.message import EmailMessage\nm = EmailMessage()\n"
              f"m['From'], m['To'], m['Subject'] = 'vanthu@example.org', '{reader['address']}', '{inbox_subject}'\n"
              f"m.set_content('{inbox_body}')\ns = smtplib.SMTP('localhost', 25)\ns.send_message(m)\ns.quit()")
    assert sent.rc == 0, sent.stderr
    host.run(f"for i in $(seq 60); do doveadm search -u {reader['address']} mailbox INBOX subject '{RUN}' "
             "| grep -q . && break; sleep 1; done")

    install_browser_journey(host)
    args = {"shots": "/root/browser-shots", "reader": reader, "peer": peer, "must_change": fresh,
            "inbox_subject": inbox_subject, "inbox_body": inbox_body, "sent_subject": sent_subject,
            "new_password": new_password}
    run = host.run("rm -rf /root/browser-shots; timeout 600 python3 /root/webmail_journey.py "
                   + "'" + json.dumps(args, ensure_ascii=False).replace("'", "'\\''") + "'")

    shutil.rmtree(SHOTS, ignore_errors=True)
    os.makedirs(ARTIFACTS, exist_ok=True)
    subprocess.run(["docker", "cp", f"{CONTAINER}:/root/browser-shots", SHOTS], check=False)

    steps = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert run.rc == 0, run.stdout + run.stderr
    assert [s["step"] for s in steps] == [
        "login", "read-message-delivered-by-smtp", "compose-and-send-with-attachment",
        "forced-change-at-first-login", "weak-password-refused-with-the-policy",
        "strong-password-accepted-then-inbox"], steps
    assert all(s["ok"] for s in steps), steps

    # what the browser sent arrived, with its attachment, in the peer's mailbox (read by Dovecot)
    host.run(f"for i in $(seq 120); do doveadm search -u {peer['address']} mailbox INBOX subject '{RUN}' "
             "| grep -q . && break; sleep 1; done")
    body = host.run(f"doveadm fetch -u {peer['address']} text mailbox INBOX subject '{RUN}'").stdout
    assert doveadm_count(host, peer["address"], RUN) == 1
    assert "bao-cao.txt" in body and "Content-Disposition: attachment" in body
    # the new password set in the browser is the one IMAP accepts now (the directory changed, Art. 8)
    login = py(host, "import imaplib, ssl\n"
                     "m = imaplib.IMAP4_SSL('localhost', 993, ssl_context=ssl.create_default_context())\n"
                     # AUTHENTICATE PLAIN is UTF-8 (IMAP LOGIN is ASCII only): how mail programs send
                     # a password with Vietnamese letters
                     f"m.authenticate('PLAIN', lambda _: '\\0{fresh['address']}\\0{new_password}'.encode())\n"
                     "print('OK')")
    assert login.rc == 0 and "OK" in login.stdout, login.stderr
    assert len(os.listdir(SHOTS)) >= 6
