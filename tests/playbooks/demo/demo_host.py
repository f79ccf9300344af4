"""What the tests of the demo host share: where `make demo` leaves its files, how to run it, and the
names of its container and inventory host.

The demo (playbooks/demo.yml) is the whole stack on one all-in-one container: the tests here bring it
up once as a newcomer does, check what `make demo` promises, run it again from the installed collection
(no change on the host), then test the assembled system as its users and operators see it, and last
take it down (`make demo-down`).
"""

import csv
import os
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DEMO = os.path.join(ROOT, ".demo")                  # accounts.csv, ca.crt, plan/, reports/ (git-ignored)
ARTIFACTS = os.path.join(ROOT, ".cache", "artifacts")  # screenshots and pages kept after the run (CI)
CONTAINER = "congvu-demo-mail"
HOST = "mail.quangbinh.gov.vn"                      # the demo inventory's name of that container
INVENTORY = os.path.join(ROOT, "inventories", "demo", "hosts.yml")
# What the tests need of the demo beyond what a newcomer gets: alerts within seconds, and bans that the
# brute-force tests can earn from this controller (demo_test_vars.yml says why, setting by setting).
TEST_VARS = os.path.join(HERE, "demo_test_vars.yml")
PORTS = (25, 587, 465, 143, 993, 995, 443, 636)


def port_free(port):
    """Nothing answers on 127.0.0.1:port."""
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


# The demo's fixed ports, unless this machine already uses one (a local MTA on 25...): then the
# documented offset, as an operator would pass it (make demo DEMO_PORT_OFFSET=10000).
OFFSET = 0 if all(port_free(p) for p in PORTS) or os.path.exists(DEMO) else 10000


def make(target):
    """`make <target>` in the checkout, as a newcomer runs it, with the tests' variables."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", DEMO_PORT_OFFSET=str(OFFSET), DEMO_VARS=TEST_VARS)
    start = time.time()
    result = subprocess.run(["make", "-C", ROOT, target], capture_output=True, text=True, env=env, timeout=3000)
    print(f"make {target}: {time.time() - start:.0f} s")
    return result


def accounts():
    """The rows of .demo/accounts.csv: address, password, state, must_change, delegate_of."""
    with open(os.path.join(DEMO, "accounts.csv"), encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def install_browser_journey(host):
    """Copy webmail_journey.py (the browser's steps, run inside the container) to /root of the demo host, where
    the browser tests run it or import its chromium() from their own scripts."""
    with open(os.path.join(HERE, "webmail_journey.py"), encoding="utf-8") as handle:
        host.run("cat > /root/webmail_journey.py <<'PYEOF'\n" + handle.read() + "\nPYEOF")


def container_network(field):
    """The container's address (IPAddress), or the gateway (Gateway) its network sees this controller's
    connections from."""
    template = "{{range .NetworkSettings.Networks}}{{." + field + "}}{{end}}"
    return subprocess.run(["docker", "inspect", "-f", template, CONTAINER], capture_output=True, text=True,
                          check=True).stdout.strip()
