"""`make demo` as a newcomer runs it: the whole demo, twice, then `make demo-down`."""

import os
import socket
import ssl
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONTAINER = "congvu-demo-mail"


def make(target):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    return subprocess.run(["make", "-C", ROOT, target], capture_output=True, text=True, env=env, timeout=1200)


def in_demo(*argv):
    return subprocess.run(["docker", "exec", CONTAINER, *argv], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def demo():
    first = make("demo")
    yield first
    make("demo-down")


def test_make_demo_brings_up_the_directory_with_the_demo_roster(demo):
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "Planned the demo province: 1 transfer, 1 rename" in demo.stdout
    people = in_demo("ldapsearch", "-Q", "-LLL", "-Y", "EXTERNAL", "-H", "ldapi:///",
                     "-b", "ou=people,dc=quangbinh,dc=gov,dc=vn", "(objectClass=congvuMailbox)", "mail")
    mails = [line.split(": ", 1)[1] for line in people.stdout.splitlines() if line.startswith("mail: ")]
    assert len(mails) == 625 and "annv.stttt@quangbinh.gov.vn" in mails
    assert in_demo("test", "-s", "/var/lib/congvu/initial-passwords/stttt.csv").returncode == 0


def test_demo_directory_answers_ldaps_on_loopback(demo):
    ca = in_demo("cat", "/usr/local/share/ca-certificates/congvu-directory-ca.crt").stdout
    context = ssl.create_default_context(cadata=ca)
    context.check_hostname = False  # the certificate names mail.quangbinh.gov.vn and localhost
    with socket.create_connection(("127.0.0.1", 636), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_second_make_demo_reuses_it_and_changes_nothing(demo):
    again = make("demo")
    assert again.returncode == 0, again.stdout[-3000:]
    recap = [line for line in again.stdout.splitlines() if "changed=" in line and "ok=" in line]
    assert recap and all(" changed=0 " in line for line in recap), recap


def test_make_demo_down_leaves_nothing_running(demo):
    assert make("demo-down").returncode == 0
    ps = subprocess.run(["docker", "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True)
    assert CONTAINER not in ps.stdout.split()
    assert not os.path.exists(os.path.join(ROOT, ".demo"))
