"""Whether a TCP port answers, from inside a container or from the controller: the firewall tests of
several scenarios (a dropped SYN is a timeout, not a refusal, so each try is bounded)."""

import socket


def reaches(host, ip, port, timeout=5):
    """A TCP connection from inside `host` (a testinfra host) to ip:port within `timeout` s."""
    return host.run(f"timeout {timeout} bash -c 'exec 3<>/dev/tcp/{ip}/{port}'").rc == 0


def controller_reaches(ip, port, timeout=5):
    """A TCP connection from the controller (the test runner) to ip:port within `timeout` s."""
    try:
        with socket.create_connection((ip, port), timeout=timeout):
            return True
    except OSError:
        return False
