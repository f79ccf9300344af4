"""The two hosts of the scenario and how a user's clients reach them (molecule/webmail/molecule.yml).

FRONT is the web front (group webmail only): nginx, Roundcube, the client auto-configuration, the MTA-STS
policy. MAIL holds the directory, the MX and IMAP. The tests run the user's clients in FRONT and read the mail
side in MAIL.

One name, two hosts: users type https://mail.quangbinh.gov.vn/ and their mail clients connect to
mail.quangbinh.gov.vn:993 and :587, as the auto-configuration tells them. The province's public address sends
port 443 (and 80) to the web front and the mail ports to the mail services. In the containers the name is the
mail services' (the mail container's network alias: what Roundcube on the front connects to), so a user's web
request is sent to the front's own nginx (curl --connect-to, rc_client.py's connection) with the name kept in
the TLS SNI, the Host header and the certificate check. The other web names (autoconfig., autodiscover.,
mta-sts.) resolve to the front itself (prepare.yml), as their DNS records point at the web front.
"""

import os
import re

import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

RUNNER = AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
(FRONT_NAME,) = RUNNER.get_hosts("webmail")
(MAIL_NAME,) = RUNNER.get_hosts("imap")
FRONT = testinfra.get_host(f"docker://{FRONT_NAME}")
MAIL = testinfra.get_host(f"docker://{MAIL_NAME}")

MAIL_HOST = "mail.quangbinh.gov.vn"
# where the public address sends the web ports of the mail host name: the front's nginx
WEB = [arg for port in (80, 443) for arg in ("--connect-to", f"{MAIL_HOST}:{port}:127.0.0.1:{port}")]
CURL = ["curl", "-sS", "--max-time", "30", *WEB]


def addresses(host):
    """The host's IPv4 addresses on the scenario's network."""
    return set(re.findall(r"\d+\.\d+\.\d+\.\d+", host.run("hostname -I").stdout))


def resolved_on_front(name):
    """The IPv4 addresses `name` resolves to in the web front (its resolver: /etc/hosts, then docker's DNS)."""
    return set(re.findall(r"^(\d+\.\d+\.\d+\.\d+)\s", FRONT.run(f"getent ahostsv4 {name}").stdout, re.M))
