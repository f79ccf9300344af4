"""The benchmarks that converge containers (bench_mail, bench_reconcile, bench_migrate) or need the mail pair
(bench_replication) run by hand,
not in `make test` (minutes of set-up each); `make bench-smoke` runs the others at a small size, and the
capacity model (capacity.py, docs/capacity.md) whole. So that none of them breaks unseen, each one's
command line is parsed here: its imports (benchlib, the policy core) resolve and its options are the
ones docs/benchmarks.md and docs/capacity.md show."""

import pathlib
import subprocess
import sys

import pytest

BENCH = pathlib.Path(__file__).resolve().parents[2] / "bench"

OPTIONS = {
    "bench_mail.py": ["--messages", "--sessions", "--load", "--seed", "--attachment-mb", "--dns", "--logins",
                      "--login-accounts", "--container", "--converge", "--json"],
    "bench_reconcile.py": ["--people", "--container", "--skip-create-100k", "--window", "--json"],
    "bench_migrate.py": ["--json"],
    "bench_replication.py": ["--messages", "--sessions", "--recipients", "--nodes", "--json"],
    "bench_plan.py": ["--people"],
    "bench_reports.py": ["--mailboxes", "--months"],
    "capacity.py": ["--mailboxes", "--set", "--inputs", "--json"],
}


@pytest.mark.parametrize("script", sorted(OPTIONS))
def test_every_benchmark_starts_and_offers_its_documented_options(script):
    r = subprocess.run([sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True,
                       timeout=60, cwd=BENCH)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage:"), r.stdout
    missing = [o for o in OPTIONS[script] if o not in r.stdout]
    assert not missing, (missing, r.stdout)


def test_no_benchmark_is_left_out():
    assert {p.name for p in BENCH.glob("bench_*.py")} | {"capacity.py"} == set(OPTIONS)


def test_the_replication_benchmark_reads_the_replicator_queues_as_dovecot_2_3_19_prints_them():
    """bench_replication.py waits until no queue holds anything before each path: a line it failed to read
    would let a path start while the other node is still catching up."""
    sys.path.insert(0, str(BENCH))
    try:
        import bench_replication
    finally:
        sys.path.remove(str(BENCH))
    # Dovecot 2.3.19's own output, the collector's fixture (columns padded with spaces)
    from test_textfile_metrics import REPLICATOR_FAILING as status

    class Node(bench_replication.Node):
        def sh(self, script, timeout=None, check=True):
            return status

    assert Node("x").queued() == {"sync": 0, "high": 2, "low": 0, "failed": 3, "full resync": 30}
