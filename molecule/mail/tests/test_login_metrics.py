"""Art. 16.2: Dovecot counts the failed logins of each protocol itself (role imap, congvu-metrics.conf),
on the OpenMetrics page of its stats service that Prometheus scrapes (rule CongvuLoginFailures of role
alerting, docs/monitoring.md). A mail client inside the container fails N logins over IMAP and N over
POP3, and the page shows exactly N more of each: no more (nothing else counted), no less (none lost).

The address is one no mailbox has: a wrong password for a real mailbox counts the same, but the
directory's password policy would lock that mailbox (Art. 8) and the other tests need it. Needs no roster.
Dovecot makes a failing source wait longer after each failure (its auth penalty, up to 15 s): the six
logins take about 70 s. They come from the container's own network address, not from 127.0.0.1, where
the other tests log in (through Postfix's SASL too), so that none of them waits on that penalty.
"""

import json
import textwrap
import time
import uuid

N = 3
ADDRESS = "khongco.stttt@quangbinh.gov.vn"  # no such mailbox

# Runs in the container: the counts of dovecot_auth_failures_total by service, read from the page as
# Prometheus reads it (HTTP, text format)
READ = '''
import json, re, urllib.request
page = urllib.request.urlopen("http://127.0.0.1:9900/metrics", timeout=10).read().decode()
found = {}
for line in page.splitlines():
    m = re.match(r'dovecot_auth_failures_total\\{service="([^"]*)"\\} ([0-9.e+]+)$', line)
    if m:
        found[m[1]] = float(m[2])
print(json.dumps(found))
'''

# Runs in the container: N logins with a wrong password (a new one each time, as a guesser tries),
# over IMAP (STARTTLS on 143) and POP3 (TLS on 995), as a mail client makes them, to the given address
FAIL = '''
import imaplib, json, poplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False   # an address, not the certificate's name; the chain is still verified
source, address, n, token = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
refused = {"imap": 0, "pop3": 0}
for i in range(n):
    m = imaplib.IMAP4(source, 143, timeout=120)
    m.starttls(ssl_context=ctx)
    try:
        m.login(address, f"sai-{token}-imap-{i}")
    except imaplib.IMAP4.error:
        refused["imap"] += 1
    m.logout()
    p = poplib.POP3_SSL(source, 995, context=ctx, timeout=120)
    p.user(address)
    try:
        p.pass_(f"sai-{token}-pop3-{i}")
    except poplib.error_proto:
        refused["pop3"] += 1
    p.quit()
print(json.dumps(refused))
'''


def in_container(host, script, *args):
    r = host.run("python3 - " + " ".join(args) + " <<'PYEOF'\n" + textwrap.dedent(script) + "\nPYEOF")
    assert r.rc == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_art16_the_metrics_page_counts_each_failed_imap_and_pop3_login(host):
    before = in_container(host, READ)
    source = host.run("hostname -I").stdout.split()[0]
    refused = in_container(host, FAIL, source, ADDRESS, str(N), uuid.uuid4().hex[:8])
    assert refused == {"imap": N, "pop3": N}
    # the auth process hands its events to the stats process asynchronously: a few seconds at most
    deadline = time.monotonic() + 30
    while True:
        after = in_container(host, READ)
        added = {service: after.get(service, 0) - before.get(service, 0) for service in after}
        if added.get("imap") == N and added.get("pop3") == N or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert {service: count for service, count in added.items() if count} == {"imap": N, "pop3": N}, (before, after)
