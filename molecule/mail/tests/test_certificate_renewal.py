"""A renewed certificate reaches every port that serves it (role tls, entry point `watch`, handler topic
`congvu certificate changed`, docs/architecture.md "Contracts between roles").

The scenario's own converge runs again with `tls__renew_days` longer than the certificate lives, so role
tls signs a new one, as it does on its own 30 days before the end; limited to `--tags tls`, as an operator
renews by hand (docs/runbook.md): the services' watch tasks carry that tag, their reload handlers run
whatever the tags. The operator's preview, the same run with `--check`, comes first: it would sign, and
the certificate stays as it was. What a client sees afterwards: IMAP,
POP3, submission and SMTP all present the new certificate (its serial), not the one they had loaded.
Dovecot's login processes keep the certificate they read until Dovecot reloads, so without the reload
the IMAP and POP3 ports go on serving the old serial.
"""

import os
import re
import subprocess

import pytest

SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INVENTORY = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
CERT = "/etc/congvu/tls/mail.crt"
# port -> the openssl s_client arguments of that protocol
PORTS = {993: [], 995: [], 465: [], 587: ["-starttls", "smtp"], 25: ["-starttls", "smtp"],
         143: ["-starttls", "imap"]}


def file_serial(host):
    r = host.run(f"openssl x509 -noout -serial -in {CERT}")
    assert r.rc == 0, r.stderr
    return r.stdout.strip().split("=", 1)[1]


def served_serial(host, port):
    extra = " ".join(PORTS[port])
    r = host.run(f"echo | openssl s_client -connect localhost:{port} {extra} 2>/dev/null"
                 " | openssl x509 -noout -serial")
    assert r.rc == 0 and "serial=" in r.stdout, f"port {port}: {r.stdout} {r.stderr}"
    return r.stdout.strip().split("=", 1)[1]


def renew(*extra):
    proc = subprocess.run(["ansible-playbook", "-i", INVENTORY, os.path.join(SCENARIO, "converge.yml"),
                           "-e", "tls__renew_days=900", "--tags", "tls", *extra],
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def renewal(host):
    before = file_serial(host)
    assert {port: served_serial(host, port) for port in PORTS} == dict.fromkeys(PORTS, before)
    # the operator's preview first: the check-mode run reaches the services' watch tasks (which skip the
    # install whose result their block reads), says it would sign, and changes nothing
    preview = renew("--check")
    signing = re.search(r"TASK \[tls : Sign the certificate with the local CA\][^\n]*\n(?:[^\n]*\n)*?(\w+): ", preview)
    assert signing and signing.group(1) == "changed", preview[-4000:]
    assert file_serial(host) == before
    renew()
    return before


def test_the_certificate_is_renewed_before_it_ends(host, renewal):
    assert file_serial(host) != renewal


@pytest.mark.parametrize("port", sorted(PORTS))
def test_every_mail_port_serves_the_renewed_certificate(host, renewal, port):
    assert served_serial(host, port) == file_serial(host)
