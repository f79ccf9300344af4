"""Official mail stays in the official system (Art. 13.8, 15.2; docs/forwarding.md), with real clients.

A person uploads a Sieve script over ManageSieve with sieve-connect, as a mail client or the webmail
does, then mail arrives for them. A redirect to an outside domain is refused by Postfix's Sieve
listener (the message stays in the mailbox, nothing leaves, the log says why in Vietnamese); a
redirect inside the domain is delivered there; a redirect to the outside domain the province listed
(converge.yml: bo.example) leaves; a vacation reply to an outside sender leaves; a person's own
message to an outside address leaves by submission. "Leaves" is Postfix's smtp client taking the
message for the outside address (the test bed has no outside network: it is then deferred or
bounced, and removed from the queue). The operator's report names the outside redirect.
"""

import json
import os
import shlex
import subprocess
import time

import pytest
from test_mail import (
    DELEGATE,
    DOMAIN,
    HEAD,
    INVENTORY,
    OTHER,
    PASSWORD,
    ROOT,
    RUN,
    client,
    count,
    province,  # noqa: F401 -- the fixture: the test province in the directory
    sh,
    wait_count,
)

pytestmark = pytest.mark.usefixtures("province")

OWNER = DELEGATE   # whose filters the tests set; removed after each test
SCRIPT = "chuyentiep"
REFUSAL = "Khong duoc tu dong chuyen tiep thu cong vu ra ngoai he thong (Dieu 13.8)"


@pytest.fixture
def since(host):
    """Epoch of the test's start, for the journal; the owner's filter removed afterwards."""
    yield int(host.run("date +%s").stdout.strip()) - 1
    host.run(f"doveadm sieve deactivate -u {OWNER}; doveadm sieve delete -u {OWNER} {SCRIPT}")


def upload(host, script, user=OWNER, password=PASSWORD):
    """Upload and activate a Sieve script over ManageSieve (STARTTLS, the user's own login)."""
    host.run(f"cat > /root/{SCRIPT}.sieve <<'EOF'\n{script}\nEOF")
    common = (f"sieve-connect --server localhost --port 4190 --user {shlex.quote(user)} "
              f"--passwordfd 3 --remotesieve {SCRIPT}")
    for action in (f"--upload --localsieve /root/{SCRIPT}.sieve", "--activate"):
        r = host.run("bash -c " + shlex.quote(f"{common} {action} 3<<<{shlex.quote(password)}"))
        assert r.rc == 0, r.stdout + r.stderr
    listing = sh(host, ["doveadm", "sieve", "list", "-u", user]).stdout
    assert f"{SCRIPT} ACTIVE" in listing, listing


def mail_to_owner(host, subject, sender=HEAD):
    """A message from a colleague by submission (Art. 3), to the owner of the filter."""
    assert client(host, f"out(submit({sender!r}, {PASSWORD!r}, {sender!r}, [{OWNER!r}], {subject!r}))") == [250, ""]


def postfix_log(host, since):
    return host.run(f"journalctl -u postfix@-.service --since @{since} --no-pager -o short").stdout


def left_for(host, since, address, timeout=60):
    """The lines of Postfix's smtp client for `address` (the message went outside), waiting for them."""
    deadline = time.time() + timeout
    while True:
        lines = [line for line in postfix_log(host, since).splitlines()
                 if f"to=<{address}>" in line and "/smtp[" in line and "relay=127.0.0.1" not in line]
        if lines or time.time() > deadline:
            return lines
        time.sleep(1)


def drop_from_queue(host, address):
    """Remove what waits in the queue for an outside address (no outside network here)."""
    for line in host.run("postqueue -j").stdout.splitlines():
        entry = json.loads(line)
        if any(r["address"] == address for r in entry.get("recipients", [])):
            host.run(f"postsuper -d {entry['queue_id']}")


def test_art13_a_redirect_outside_is_refused_by_the_mta_and_the_message_stays_in_the_mailbox(host, since):
    outside = f"canhan.{RUN}@gmail.com"
    upload(host, f'redirect "{outside}";')   # no :copy: were it sent, the mailbox would not keep it
    subject = f"fwd-outside {RUN}"
    mail_to_owner(host, subject)
    assert wait_count(host, OWNER, subject) == 1, "the message is lost to the mailbox"
    deadline = time.time() + 30
    while f"<{outside}>" not in postfix_log(host, since) and time.time() < deadline:
        time.sleep(1)
    refused = [line for line in postfix_log(host, since).splitlines() if f"<{outside}>" in line]
    assert refused and all("postfix/sieve" in line and "reject: RCPT" in line for line in refused), refused
    assert REFUSAL in refused[0] and "554 5.7.1" in refused[0]
    assert left_for(host, since, outside, timeout=5) == []
    assert outside not in host.run("postqueue -p").stdout


def test_art13_a_redirected_bounce_does_not_leave_either_and_is_held_for_the_postmaster(host, since):
    # a message with the null sender (a bounce, a receipt) is redirected with the null sender, like a
    # vacation reply: Postfix tells them apart by the header of a redirect, on a second pass
    outside = f"thutra.{RUN}@gmail.com"
    upload(host, f'redirect "{outside}";')
    subject = f"fwd-bounce {RUN}"
    r = sh(host, ["swaks", "--server", "localhost", "--port", "25", "--from", "<>", "--to", OWNER,
                  "--header", f"Subject: {subject}", "--timeout", "60"], check=False)
    assert r.rc == 0, r.stdout + r.stderr
    deadline = time.time() + 60
    while True:
        queued = [json.loads(line) for line in host.run("postqueue -j").stdout.splitlines()]
        queued = [e for e in queued if any(r["address"] == outside for r in e.get("recipients", []))]
        if (queued and all(e["queue_name"] == "hold" for e in queued)) or time.time() > deadline:
            break
        time.sleep(1)
    assert queued and all(e["queue_name"] == "hold" for e in queued), queued
    assert left_for(host, since, outside, timeout=5) == []
    hold_lines = [line for line in postfix_log(host, since).splitlines()
                  if "hold: header X-Sieve-Redirected-From" in line]
    assert hold_lines and REFUSAL in hold_lines[0], hold_lines
    drop_from_queue(host, outside)


def test_art13_a_redirect_inside_the_domain_is_delivered_there(host, since):
    upload(host, f'redirect "{OTHER}";')
    subject = f"fwd-inside {RUN}"
    mail_to_owner(host, subject)
    assert wait_count(host, OTHER, subject) == 1
    assert count(host, OWNER, subject) == 0   # redirected, not kept: what the script asked


def test_art13_a_redirect_to_an_outside_domain_the_province_listed_leaves(host, since):
    listed = f"vanthu.{RUN}@vp.bo.example"   # a subdomain of the listed bo.example
    upload(host, f'require "copy";\nredirect :copy "{listed}";')
    subject = f"fwd-listed {RUN}"
    mail_to_owner(host, subject)
    assert wait_count(host, OWNER, subject) == 1
    assert left_for(host, since, listed), postfix_log(host, since)[-3000:]
    assert REFUSAL not in postfix_log(host, since)
    drop_from_queue(host, listed)


def test_art13_a_vacation_reply_to_an_outside_sender_still_leaves(host, since):
    upload(host, 'require "vacation";\nvacation :days 1 :subject "Nghỉ phép" "Tôi nghỉ phép đến thứ Hai.";')
    sender, subject = f"congdan.{RUN}@ngoai.example", f"fwd-vacation {RUN}"
    r = sh(host, ["swaks", "--server", "localhost", "--port", "25", "--from", sender, "--to", OWNER,
                  "--header", f"Subject: {subject}", "--timeout", "60"], check=False)
    assert r.rc == 0, r.stdout + r.stderr
    assert wait_count(host, OWNER, subject) == 1
    assert left_for(host, since, sender), postfix_log(host, since)[-3000:]
    drop_from_queue(host, sender)


def test_art3_a_person_still_sends_to_an_outside_address_by_submission(host, since):
    outside, subject = f"nguoidan.{RUN}@gmail.com", f"fwd-submission {RUN}"
    assert client(host, f"out(submit({HEAD!r}, {PASSWORD!r}, {HEAD!r}, [{outside!r}], {subject!r}))") == [250, ""]
    assert left_for(host, since, outside), postfix_log(host, since)[-3000:]
    drop_from_queue(host, outside)


def report(language):
    written = os.path.join(INVENTORY, f"forwarding-report-{language}.txt")
    playbook = os.path.join(ROOT, "playbooks", "forwarding_report.yml")
    proc = subprocess.run(["ansible-playbook", "-i", INVENTORY, playbook,
                           "-e", f"congvu__language={language}", "-e", f"forwarding_report_file={written}"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(written, encoding="utf-8") as handle:
        return handle.read()


def test_art13_the_operator_report_names_each_mailbox_that_forwards_outside(host, since):
    outside = f"baocao.{RUN}@yahoo.com"
    upload(host, f'require "copy";\nif header :contains "subject" "hop" {{ redirect :copy "{outside}"; }}\n'
                 f'redirect :copy "{OTHER}";\nredirect :copy "x.{RUN}@bo.example";')
    vi = report("vi")
    assert f"{OWNER}: bộ lọc {SCRIPT} (đang dùng) chuyển tiếp thư đến {outside}" in vi, vi
    assert f"Tự động chuyển tiếp thư ra ngoài {DOMAIN}:" in vi and "bo.example" in vi
    # inside the domain and the listed domain are not forwarding outside
    assert OTHER not in vi and f"x.{RUN}@bo.example" not in vi
    en = report("en")
    assert f"{OWNER}: the active script {SCRIPT} forwards to {outside}" in en, en
    host.run(f"doveadm sieve deactivate -u {OWNER}")
    assert f"{OWNER}: bộ lọc {SCRIPT} (không dùng) chuyển tiếp thư đến {outside}" in report("vi")

