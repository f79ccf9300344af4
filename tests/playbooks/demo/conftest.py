"""The demo host, brought up once for every test of this folder (the files run in the order of their
numbers): `make demo` first, `make demo-down` when the session ends, whatever failed."""

import subprocess

import pytest
import testinfra
from demo_host import CONTAINER, HOST, INVENTORY, make

# The clients the system tests drive inside the container, all from Debian and none written by the
# project: swaks (SMTP), openssl (TLS), python3-dkim (DKIM verification), and the browser tests'
# chromium + chromedriver + selenium (no browser download is possible here).
CLIENTS = ["swaks", "openssl", "python3-dkim", "chromium", "chromium-driver", "python3-selenium", "libnss3-tools",
           "fonts-dejavu-core"]


@pytest.fixture(scope="session")
def demo():
    """The result of `make demo`, as a newcomer runs it (with the tests' variables)."""
    first = make("demo")
    yield first
    make("demo-down")


@pytest.fixture(scope="session")
def clients(demo):
    """The test clients, installed only when a system test first needs them: after test_0_demo's run of the
    installed collection, which must find the host exactly as the demo left it."""
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    installed = subprocess.run(["docker", "exec", "-e", "DEBIAN_FRONTEND=noninteractive", CONTAINER,
                                "apt-get", "install", "-y", "--no-install-recommends", *CLIENTS],
                               capture_output=True, text=True, timeout=900, check=False)
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]


@pytest.fixture(scope="module")
def host(clients):
    """testinfra's host (commands, files, services, the inventory's variables) for the demo container, found
    through the demo inventory as an operator's ansible finds it."""
    return testinfra.get_host(f"ansible://{HOST}", ansible_inventory=INVENTORY)
