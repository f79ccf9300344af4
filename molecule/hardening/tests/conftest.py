"""Shared helpers of the `hardening` scenario: real clients only (OpenSSH's ssh, TCP sockets, fail2ban-client).

The controller (the gateway of the molecule network) is the admin network (converge.yml); the container
`congvu-hardening-client` is an outsider. SSH runs from the controller against the server's address.
"""

import contextlib
import os
import shlex
import socket
import subprocess
import time

import pytest
import testinfra

SSH_BASE = ["ssh", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "ConnectTimeout=3", "-o", "IdentitiesOnly=yes"]


@pytest.fixture(scope="module")
def server_ip(host):
    return host.check_output("hostname -I").split()[0]


@pytest.fixture(scope="module")
def controller_ip(host):
    return host.check_output("ip -4 route show default").split()[2]


@pytest.fixture(scope="module")
def client():
    return testinfra.get_host("docker://congvu-hardening-client")


def tcp_connect(ip, port, timeout=3.0):
    """'open', 'refused' or 'timeout' (a firewall that drops) for a TCP connection from the controller."""
    try:
        with socket.create_connection((ip, port), timeout=timeout):
            return "open"
    except ConnectionRefusedError:
        return "refused"
    except TimeoutError:
        return "timeout"


def tcp_connect_from(other, ip, port, timeout=3.0):
    """The same from inside another container (python3 there)."""
    code = (
        "import socket,sys\n"
        "try:\n"
        f"    socket.create_connection(({ip!r}, {port}), timeout={timeout}).close(); print('open')\n"
        "except ConnectionRefusedError: print('refused')\n"
        "except (TimeoutError, socket.timeout): print('timeout')\n"
    )
    return other.check_output(f"python3 -c {shlex.quote(code)}").strip()


def ssh(ip, user, *options, key=None, password=None, command="id"):
    """Run OpenSSH's client from the controller. A password is typed by SSH_ASKPASS (no terminal)."""
    argv = list(SSH_BASE) + list(options)
    env = dict(os.environ)
    if password is not None:
        askpass = f"/tmp/congvu-askpass-{os.getpid()}"
        with open(askpass, "w") as f:
            f.write(f"#!/bin/sh\necho {shlex.quote(password)}\n")
        os.chmod(askpass, 0o700)
        env.update(SSH_ASKPASS=askpass, SSH_ASKPASS_REQUIRE="force", DISPLAY=":0")
        argv += ["-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive"]
    else:
        argv += ["-o", "BatchMode=yes"]
    if key is not None:
        argv += ["-i", str(key)]
    argv += [f"{user}@{ip}", command]
    return subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)


def make_key(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


def banned(host, jail):
    out = host.check_output(f"fail2ban-client status {jail}")
    line = [x for x in out.splitlines() if "Banned IP list" in x][0]
    return line.split(":", 1)[1].split()


def wait_for(predicate, timeout, step=1.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@pytest.fixture
def not_banned(host, controller_ip):
    """Tests that fail on purpose (refused ciphers, a port probe) would add up to a ban of the controller in the
    sshd jail (aggressive mode counts them): fail2ban ignores the controller during such a test only."""
    host.run(f"fail2ban-client set sshd unbanip {controller_ip}")
    host.check_output(f"fail2ban-client set sshd addignoreip {controller_ip}")
    yield
    time.sleep(2)  # let fail2ban read the test's journal lines while it still ignores them
    host.check_output(f"fail2ban-client set sshd delignoreip {controller_ip}")


@contextlib.contextmanager
def listener(host, port):
    """A TCP service on `port` in the server container (python's http.server), for the firewall tests."""
    unit = f"congvu-test-listen-{port}"
    host.run(f"systemctl stop {unit}; systemctl reset-failed {unit}")
    host.check_output(f"systemd-run --unit {unit} python3 -m http.server --bind 0.0.0.0 {port}")
    assert wait_for(lambda: host.run(f"ss -Htln 'sport = :{port}' | grep -q LISTEN").rc == 0, 15)
    try:
        yield
    finally:
        host.run(f"systemctl stop {unit}")
