"""Last: `make demo-down` removes everything the demo made, on this machine and in docker."""

import os
import subprocess

from demo_host import CONTAINER, DEMO, ROOT, make


def test_make_demo_down_leaves_nothing_running(demo):
    assert make("demo-down").returncode == 0
    ps = subprocess.run(["docker", "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True)
    assert CONTAINER not in ps.stdout.split()
    assert not os.path.exists(DEMO)
    assert not os.path.exists(os.path.join(ROOT, "inventories", "demo", ".published"))
