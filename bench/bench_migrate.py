#!/usr/bin/env python3
"""Benchmark: throughput of the mail migration (role migrate's congvu-migrate) against Debian's mbsync.

    python3 bench/bench_migrate.py [--users 4] [--rounds 1] [--container bench-migrate] [--json FILE] [--remove]

Both copy the same seeded legacy mailboxes in the same run, and the figures are printed side by side:
messages and MB per second, and the ratio migrate/mbsync (target: at least 1x). Results are recorded
in docs/benchmarks.md, "Mail migration".

How it measures
- One container of local/bookworm-systemd (`--container`, started with `sleep`, no systemd needed),
  with Debian's dovecot-imapd and isync (mbsync) installed by apt in it, and two Dovecot processes
  with their own configurations: the LEGACY server on 127.0.0.1:10143 (passwd-file users, a master
  user, Maildir++ as Debian keeps it) and the DESTINATION on 127.0.0.1:143 (Maildir, "/" separator,
  the count quota with vsizes as role imap configures it). No TLS on either: both tools pay the same.
- The legacy mailboxes: molecule/migrate/files/seed_legacy.py --plan bench: 4 users with INBOX, "Công
  văn đến" and "Lưu trữ/2024", 5,000 messages each (20,000, about 84 MB). Dovecot indexes them once
  before the first timed run (a `doveadm mailbox status` per user), so neither tool pays for it.
- (a) migrate: `congvu-migrate pass` (roles/migrate/files/congvu_migrate.py) per user, one after the
  other, as the playbook runs it: source status through imapc, `doveadm backup -R` from imapc into the
  staging copy, `doveadm import` into the live mailbox, verification of every folder by identity.
- (b) mbsync: one channel per user, far = legacy over IMAP, near = the destination over IMAP (a
  second set of fresh users), `Sync Pull`, `Create Near`, `CopyArrivalDate yes`: what an operator
  would do with isync. It keeps flags and dates, not keywords nor subscriptions, and checks nothing.
- Each round uses fresh destination users for both tools; rounds alternate which tool goes first.
  Throughput = messages (MB) copied / wall time of the tool over all users. Both results are checked:
  every destination folder has the source's number of messages, else the run fails (exit 2).

Exit status: 0 when migrate is at least as fast as mbsync (messages per second), 1 when not, 2 when the
run itself went wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

from benchlib import BenchError, Container, machine, run

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDER = os.path.join(REPO, "molecule", "migrate", "files", "seed_legacy.py")
HELPER = os.path.join(REPO, "roles", "migrate", "files", "congvu_migrate.py")
PASSWORD = "bench-pw"
MASTER = "bench-master-pw"

LEGACY_CONF = """base_dir = /run/legacy
instance_name = legacy
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
mail_uid = vmail
mail_gid = vmail
first_valid_uid = 100
mail_location = maildir:/srv/legacy/mail/%u
namespace inbox {
  inbox = yes
}
passdb {
  driver = passwd-file
  args = /srv/legacy/masters
  master = yes
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN /srv/legacy/users
}
userdb {
  driver = static
  args = uid=vmail gid=vmail
}
service imap-login {
  inet_listener imap {
    port = 10143
  }
  inet_listener imaps {
    port = 0
  }
}
log_path = /srv/legacy/log
"""

DEST_CONF = """protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_uid = vmail
mail_gid = vmail
first_valid_uid = 100
mail_location = maildir:~/Maildir
mail_plugins = $mail_plugins quota
maildir_very_dirty_syncs = yes
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN /etc/dovecot/users
}
userdb {
  driver = passwd-file
  args = /etc/dovecot/users
  default_fields = uid=vmail gid=vmail home=/var/vmail/%u
}
plugin {
  quota = count:User quota
  quota_vsizes = yes
  quota_rule = *:storage=10G
}
service imap-login {
  inet_listener imaps {
    port = 0
  }
}
log_path = /var/log/dovecot-dest.log
"""

MBSYNC = """IMAPAccount legacy
Host 127.0.0.1
Port 10143
User {src}
Pass {pw}
SSLType None
AuthMechs LOGIN

IMAPStore legacy
Account legacy

IMAPAccount dest
Host 127.0.0.1
Port 143
User {dst}
Pass {pw}
SSLType None
AuthMechs LOGIN

IMAPStore dest
Account dest

Channel copy
Far :legacy:
Near :dest:
Patterns *
Create Near
Sync Pull
Expunge None
CopyArrivalDate yes
SyncState {state}/
"""


def names(users: int, prefix: str = "u") -> str:
    return " ".join(f"{prefix}{i:02d}" for i in range(1, users + 1))


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def setup(box: Container, users: int, rounds: int) -> None:
    have = box.sh("command -v mbsync doveadm >/dev/null && echo yes || true").strip()
    if have != "yes":
        log("installing dovecot-imapd and isync in the container (apt)")
        box.sh("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
               "--no-install-recommends dovecot-imapd dovecot-core isync python3 >/dev/null", timeout=900)
    box.sh("pkill -x dovecot || true; sleep 1; id vmail >/dev/null 2>&1 || useradd -r -U -d /var/vmail "
           "-s /usr/sbin/nologin vmail; rm -rf /srv/legacy /var/vmail /var/lib/congvu/migrate /run/congvu-migrate "
           "/tmp/mbsync; mkdir -p /srv/legacy/mail /run/legacy /var/vmail/.congvu-migrate /etc/congvu/migrate "
           "/var/lib/congvu/migrate; chown -R vmail:vmail /srv/legacy/mail /var/vmail")
    box.put(SEEDER, "/usr/local/bin/seed-legacy")
    box.put(HELPER, "/usr/local/bin/congvu-migrate")
    box.sh(f"cat > /srv/legacy/dovecot.conf <<'EOF'\n{LEGACY_CONF}EOF\n"
           f"cat > /etc/dovecot/dovecot.conf <<'EOF'\n{DEST_CONF}EOF\n"
           f"printf 'migrator:{{PLAIN}}{MASTER}\\n' > /srv/legacy/masters; "
           ": > /srv/legacy/users; : > /etc/dovecot/users")
    box.sh(f"for u in {names(users)}; do echo \"$u@quangtri.gov.vn:{PASSWORD}\" >> /srv/legacy/users; done")
    log("seeding the legacy mailboxes")
    box.sh("python3 /usr/local/bin/seed-legacy --root /srv/legacy/mail --owner vmail --plan bench", timeout=600)
    # every destination user of the run is there before Dovecot starts (a passwd-file changed within
    # the second Dovecot last read it may not be read again)
    for r in range(rounds):
        for tool in ("m", "b"):
            add_users(box, users, f"{tool}{r}x")
    box.sh("dovecot -c /srv/legacy/dovecot.conf && dovecot")
    box.sh(f"for u in {names(users)}; do doveadm -c /srv/legacy/dovecot.conf mailbox status "
           "-u $u@quangtri.gov.vn messages '*' >/dev/null; done", timeout=900)
    settings = {"dovecot_config": "/etc/dovecot/dovecot.conf", "source_host": "127.0.0.1", "source_port": 10143,
                "source_tls": "no", "source_tls_verify": False, "imapc_features": "rfc822.size fetch-headers modseq",
                "prefetch_count": 20, "master_user": "migrator", "master_password_file": "",
                "staging_root": "/var/vmail/.congvu-migrate", "state_dir": "/var/lib/congvu/migrate",
                "run_dir": "/run/congvu-migrate", "mail_owner": "vmail", "exclude_prefixes": [], "separator": "/"}
    box.sh(f"cat > /etc/congvu/migrate/settings.json <<'EOF'\n{json.dumps(settings)}\nEOF")


def source_totals(box: Container, users: int) -> tuple[int, int, dict]:
    messages = size = 0
    per_user = {}
    for i in range(1, users + 1):
        rows = json.loads(box.sh(f"doveadm -c /srv/legacy/dovecot.conf -f json mailbox status "
                                 f"-u u{i:02d}@quangtri.gov.vn 'messages vsize' '*'"))
        per_user[i] = {r["mailbox"].replace(".", "/"): int(r["messages"]) for r in rows}
        messages += sum(int(r["messages"]) for r in rows)
        size += sum(int(r["vsize"]) for r in rows)
    return messages, size, per_user


def check_dest(box: Container, users: int, prefix: str, want: dict) -> None:
    for i in range(1, users + 1):
        rows = json.loads(box.sh(f"doveadm -f json mailbox status -u {prefix}{i:02d}@quangbinh.gov.vn "
                                 "messages '*'"))
        got = {r["mailbox"]: int(r["messages"]) for r in rows}
        if any(got.get(k) != v for k, v in want[i].items()):
            raise BenchError(f"{prefix}{i:02d}: destination {got} != source {want[i]}")


def add_users(box: Container, users: int, prefix: str) -> None:
    box.sh(f"for i in {names(users, '')}; do echo \"{prefix}$i@quangbinh.gov.vn:{{PLAIN}}{PASSWORD}::::::\" "
           ">> /etc/dovecot/users; done; doveadm auth cache flush 2>/dev/null || true")


def run_migrate(box: Container, users: int, prefix: str) -> float:
    t0 = time.monotonic()
    for i in range(1, users + 1):
        out = box.sh(f"echo '{{\"password\": \"{MASTER}\"}}' | python3 /usr/local/bin/congvu-migrate pass "
                     f"--settings /etc/congvu/migrate/settings.json --address {prefix}{i:02d}@quangbinh.gov.vn "
                     f"--source-user u{i:02d}@quangtri.gov.vn", timeout=3600)
        result = json.loads(out)
        if result["status"] != "ok":
            raise BenchError(f"congvu-migrate {prefix}{i:02d}: {result.get('error')}")
    return time.monotonic() - t0


def run_mbsync(box: Container, users: int, prefix: str) -> float:
    for i in range(1, users + 1):
        conf = MBSYNC.format(src=f"u{i:02d}@quangtri.gov.vn", dst=f"{prefix}{i:02d}@quangbinh.gov.vn", pw=PASSWORD,
                             state=f"/tmp/mbsync/{prefix}{i:02d}")
        box.sh(f"mkdir -p /tmp/mbsync/{prefix}{i:02d} && cat > /tmp/mbsync/{prefix}{i:02d}.rc <<'EOF'\n{conf}EOF")
    t0 = time.monotonic()
    for i in range(1, users + 1):
        box.sh(f"mbsync -q -c /tmp/mbsync/{prefix}{i:02d}.rc copy", timeout=3600)
    return time.monotonic() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--container", default="bench-migrate")
    parser.add_argument("--json")
    parser.add_argument("--remove", action="store_true", help="remove the container at the end")
    args = parser.parse_args()
    if args.container.startswith("congvu-"):
        parser.error("--container: congvu-* names belong to molecule and the demo")
    box = Container(args.container)
    try:
        exists = run(["docker", "ps", "-a", "--filter", f"name=^{args.container}$", "--format", "{{.Status}}"]).stdout
        if not exists.strip():
            run(["docker", "run", "-d", "--name", args.container, "--hostname", args.container,
                 "local/bookworm-systemd", "sleep", "infinity"])
        elif not exists.startswith("Up"):
            run(["docker", "start", args.container])
        setup(box, args.users, args.rounds)
        messages, size, per_user = source_totals(box, args.users)
        log(f"legacy: {args.users} users, {messages} messages, {size / 1048576:.1f} MB")
        times = {"migrate": [], "mbsync": []}
        for r in range(args.rounds):
            order = ["migrate", "mbsync"] if r % 2 == 0 else ["mbsync", "migrate"]
            for tool in order:
                prefix = f"{'m' if tool == 'migrate' else 'b'}{r}x"
                seconds = (run_migrate if tool == "migrate" else run_mbsync)(box, args.users, prefix)
                check_dest(box, args.users, prefix, per_user)
                times[tool].append(seconds)
                log(f"round {r + 1}: {tool} {seconds:.1f} s")
    except BenchError as exc:
        print(f"bench_migrate: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.remove:
            run(["docker", "rm", "-f", args.container], check=False)
    best = {tool: statistics.median(t) for tool, t in times.items()}
    rate = {tool: (messages / s, size / 1048576 / s) for tool, s in best.items()}
    ratio = rate["migrate"][0] / rate["mbsync"][0]
    print(f"Mail migration: {args.users} mailboxes, {messages} messages, {size / 1048576:.1f} MB; "
          f"median of {args.rounds} round(s)")
    print(f"{'tool':<34} {'seconds':>8} {'msg/s':>8} {'MB/s':>7}")
    print(f"{'(a) congvu-migrate (doveadm)':<34} {best['migrate']:8.1f} {rate['migrate'][0]:8.0f} "
          f"{rate['migrate'][1]:7.2f}")
    print(f"{'(b) mbsync (isync 1.4, baseline)':<34} {best['mbsync']:8.1f} {rate['mbsync'][0]:8.0f} "
          f"{rate['mbsync'][1]:7.2f}")
    verdict = "PASS" if ratio >= 1 else "MISS"
    print(f"ratio migrate/mbsync (messages per second): {ratio:.2f}x (target >= 1x: {verdict})")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"users": args.users, "messages": messages, "bytes": size, "times": times, "ratio": ratio,
                       "machine": machine()}, handle, indent=1)
    return 0 if ratio >= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
