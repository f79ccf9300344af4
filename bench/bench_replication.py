#!/usr/bin/env python3
"""Benchmark: what Dovecot's dsync replication costs the mail pair, the same load with the replica on and off.

    python3 bench/bench_replication.py [--messages 1000] [--sessions 6] [--recipients 10] [--seed 1]
                                       [--attachment-mb 20] [--nodes congvu-mail1 congvu-mail2]
                                       [--quiet-timeout 600] [--json FILE]

Baseline (the "Capacity" part of the cluster work, docs/capacity.md): the same load on the same pair with
replication off. Prints, side by side for on and off, the messages per second delivered on the node that
holds the virtual address, how long the other node took to hold them all, and the CPU per message of every
program on each node; then the ratios on/off. No target is set for the ratio: the difference is what the
capacity model charges for each delivery's replication (`replication_cpu_ms`, bench/capacity.py). Results
in docs/benchmarks.md, "Replication (the mail pair)", with the command that made them.

The test bed: the two mail nodes of the molecule scenario `pair`, converged and holding the demo roster's
mailboxes: `molecule test -s pair --destroy never` (its verify applies the roster), or `molecule converge -s
pair` then `molecule verify -s pair`. The benchmark makes nothing of its own; it changes two files on the
node that holds the address for the length of a path, each copied first and put back byte for byte after
(Postfix's master.cf, Dovecot's dovecot.conf), as bench/bench_mail.py does with master.cf.

How it measures
- The load: bench_mail.py's path (l), Postfix delivering by LMTP into Dovecot with no filter, on the node
  that holds the address: an extra smtpd listener on <its address>:2525 (no postscreen, no milter), Postfix's
  normal transport to Dovecot (LMTP to the virtual address, that is to its own Dovecot). --sessions sender
  processes of mail_child.py, one message per SMTP connection, the seeded mix of sizes and parts, every
  message's bytes distinct (a new nonce per path), to --recipients people of the roster (the first active
  ones by address; agency mailboxes are left out, they have other readers).
- On: replication as role imap configures it. The path is done when the other node holds every message in
  the recipients' INBOX (`doveadm mailbox status`, polled) and the holder's replicator has nothing queued.
- Off: the same node with `mail_replica` commented out in dovecot.conf and `doveadm reload`: Dovecot's
  replication plugin then does nothing for any user (it needs mail_replica), the replicator idles. Done when
  the holder's maildirs hold the messages.
- Before each path: the recipients' INBOX emptied on both nodes, then a wait until both replicators have
  no change queued and no dsync running (--quiet-timeout; a node that just started resyncs every mailbox
  once), so that neither path pays for the other's catch-up. One warm-up message first (not counted).
- CPU: a snapshot of every program's CPU time on each node just before the senders start and once the path
  is done (mail_child.py cpu; the senders are not counted); the difference per message, per program and in
  all. With replication on, the holder's part includes Dovecot's notify, aggregator and replicator and the
  dsync client that pushes each change, and the other node's the doveadm server that writes them.
- The pair's mail store is the containers' overlayfs (molecule's containers), not a volume as in
  bench_mail.py: the absolute figures are higher than on a disk of the host; on and off share it.

Exit status: 0 when both paths completed, 2 when the run went wrong (a message refused or lost, a node not
running, the replica never complete).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import subprocess
import sys
import time

from bench_mail import IN, LISTENER_ON, SINK_OFF, Box, listener_overrides
from benchlib import BenchError, machine, run, stderr_log
from mail_child import cpu_split

HERE = os.path.dirname(os.path.abspath(__file__))
PORT = 2525
CONF = "/etc/dovecot/dovecot.conf"
# The queues of changes waiting to be pushed. 'full resync' is left out: Dovecot 2.3.19's replicator can
# keep hundreds of users there for long with no dsync running (docs/cluster.md); a dsync that does run
# shows in `doveadm replicator dsync-status`, which the wait also reads.
QUEUES = ("sync", "high", "low")

# Replication off on one node for one path: dovecot.conf copied, mail_replica commented out, reload.
OFF = f"""set -e
test ! -e {IN}/dovecot.conf.orig || {{ echo "{IN}/dovecot.conf.orig exists: an earlier run was cut" >&2; exit 1; }}
cp -p {CONF} {IN}/dovecot.conf.orig
sed -i 's/^\\(\\s*mail_replica = .*\\)$/#bench_replication.py \\1/' {CONF}
grep -q '^#bench_replication.py' {CONF} || {{ echo "no mail_replica in {CONF}" >&2; exit 1; }}
doveconf -n >/dev/null
doveadm reload
"""
ON = f"""set -e
if [ -e {IN}/dovecot.conf.orig ]; then
  cp -p {IN}/dovecot.conf.orig {CONF} && rm {IN}/dovecot.conf.orig
  doveconf -n >/dev/null
  doveadm reload
fi
"""


class Node(Box):
    """A node of the pair, and mail_child.py in it (bench_mail.py's Box, same folder)."""

    def cpu(self) -> dict:
        return self.child("cpu", timeout=120)["cpu"]

    def queued(self) -> dict[str, int]:
        """The replicator's queues (`doveadm replicator status`: name, then the count, padded)."""
        out = self.sh("doveadm replicator status", check=False)
        found = {}
        for line in out.splitlines():
            m = re.match(r"^Queued '(.+)' requests\s+(\d+)", line.strip())
            if m:
                found[m.group(1)] = int(m.group(2))
        return found

    def running(self) -> int:
        """dsyncs running now (`doveadm replicator dsync-status`: a line with a user name)."""
        out = self.sh("doveadm replicator dsync-status", check=False).splitlines()[1:]
        return sum(1 for line in out if line[:1].strip())

    def inbox_counts(self, addresses: list[str]) -> dict[str, int]:
        script = "; ".join(f"doveadm -f flow mailbox status -u {shlex.quote(a)} messages INBOX" for a in addresses)
        counts = [int(x) for x in re.findall(r"messages=(\d+)", self.sh(script, check=False))]
        return dict(zip(addresses, counts, strict=True)) if len(counts) == len(addresses) else {}


def holder_and_other(names: list[str]) -> tuple[Node, Node, str]:
    """The node that holds the virtual address (keepalived.conf names it), the other, and the address."""
    nodes = [Node(n) for n in names]
    for node in nodes:
        state = run(["docker", "inspect", "-f", "{{.State.Running}}", node.name], check=False).stdout.strip()
        if state != "true":
            raise BenchError(f"container {node.name} is not running: converge the pair first "
                             "(molecule test -s pair --destroy never)")
    conf = nodes[0].sh("cat /etc/keepalived/keepalived.conf", check=False)
    m = re.search(r"virtual_ipaddress\s*{\s*([\d.]+)/", conf)
    if not m:
        raise BenchError(f"{nodes[0].name}: no virtual address in /etc/keepalived/keepalived.conf")
    vip = m.group(1)
    holders = [n for n in nodes if re.search(rf"\binet {re.escape(vip)}/", n.sh("ip -4 -o addr", check=False))]
    if len(holders) != 1:
        raise BenchError(f"{vip} is held by {len(holders)} nodes ({', '.join(h.name for h in holders)}), not one")
    holder = holders[0]
    return holder, next(n for n in nodes if n is not holder), vip


def recipients(node: Node, count: int) -> list[dict]:
    """The first `count` people of the userdb by address, each with the folder of its INBOX's files
    (Maildir, or sdbox's dbox-Mails: mail_child.py counts either)."""
    location = node.sh("doveconf -h mail_location").strip()
    inbox = "sdbox/mailboxes/INBOX/dbox-Mails" if location.startswith("sdbox:") else "Maildir"
    users = sorted(u for u in node.sh("doveadm user '*'").split()
                   if "@" in u and "." in u.split("@")[0])  # people are name.agency (Art. 5), agencies a code
    if len(users) < count:
        raise BenchError(f"{node.name}: {len(users)} people in the userdb, {count} wanted: apply the roster first")
    out = []
    for address in users[:count]:
        home = node.sh(f"doveadm user -f home {shlex.quote(address)}").strip()
        out.append({"address": address, "maildir": f"{home}/{inbox}"})
    return out


def empty(nodes: list[Node], people: list[dict]) -> None:
    for node in nodes:
        node.sh("; ".join(f"doveadm expunge -u {shlex.quote(p['address'])} mailbox INBOX all" for p in people))


def wait_quiet(nodes: list[Node], seconds: float, log) -> dict:
    """Until no replicator has anything queued; what each had left when the time ran out otherwise."""
    deadline = time.monotonic() + seconds
    while True:
        left = {}
        for n in nodes:
            left[n.name] = {q: c for q, c in n.queued().items() if q in QUEUES and c}
            running = n.running()
            if running:
                left[n.name]["dsync running"] = running
        if not any(left.values()) or time.monotonic() > deadline:
            if any(left.values()):
                log(f"replicators still busy after {seconds:.0f} s: {left}")
            return left
        time.sleep(2)


def smtp(holder: Node, target: str, people: list[dict], args, count: int) -> dict:
    argv = ["smtp", "--mode", "lmtp", "--target", target, "--count", str(count), "--sessions",
            str(min(args.sessions, count)), "--seed", str(args.seed), "--attachment-mb", str(args.attachment_mb),
            "--sender", args.sender, "--subject", "congvu bench replication"]
    for p in people:
        argv += ["--rcpt", f"{p['address']}={p['maildir']}"]
    r = holder.child(*argv, timeout=7200)
    if not r["complete"]:
        raise BenchError(f"{target}: delivered {r['delivered']} of {count}: {json.dumps(r['failures'])[:1500]}")
    return r


def path(mode: str, holder: Node, other: Node, target: str, people: list[dict], args, log) -> dict:
    nodes = [holder, other]
    if mode == "off":
        holder.sh(OFF)
    smtp(holder, target, people[:1], args, 1)  # warm-up: LMTP and smtpd processes started
    empty(nodes, people)
    quiet_before = wait_quiet(nodes, args.quiet_timeout, log)
    cpu0 = {n.name: n.cpu() for n in nodes}
    log(f"{mode}: {args.messages} messages, {args.sessions} sessions, {len(people)} recipients -> {target}")
    r = smtp(holder, target, people, args, args.messages)
    replicated_s = None
    if mode == "on":
        deadline = time.monotonic() + args.replica_timeout
        while True:
            counts = other.inbox_counts([p["address"] for p in people])
            if counts and sum(counts.values()) >= args.messages:
                break
            if time.monotonic() > deadline:
                raise BenchError(f"{other.name} holds {sum(counts.values()) if counts else '?'} of "
                                 f"{args.messages} after {args.replica_timeout:.0f} s")
            time.sleep(0.5)
        replicated_s = time.time() - r["t0"]
        wait_quiet([holder], args.quiet_timeout, log)
    cpu = {n.name: cpu_split(cpu0[n.name], n.cpu()) for n in nodes}
    end = time.time()
    if mode == "on":
        got = other.inbox_counts([p["address"] for p in people])
        if sum(got.values()) != args.messages:
            raise BenchError(f"{other.name}: {sum(got.values())} messages in the INBOXes, {args.messages} sent")
    log(f"{mode}: {r['msgs_per_s']:.1f} msg/s delivered on {holder.name}"
        + (f", all on {other.name} after {replicated_s:.1f} s" if replicated_s else ""))
    return {"mode": mode, "delivered_s": r["wall_s"], "msgs_per_s": r["msgs_per_s"], "replicated_s": replicated_s,
            "window_s": end - r["t0"], "cpu_s": cpu, "sizes": r["sizes"], "queued_before": quiet_before}


def per_message_ms(cpu: dict[str, float], count: int) -> float:
    return 1000 * sum(cpu.values()) / count


def report(res: dict, info: dict, args) -> None:
    on, off = res["on"], res["off"]
    n = args.messages
    holder, other = info["holder"], info["other"]
    print(f"Replication cost: {n} messages (the seeded mix, seed {args.seed}), {args.sessions} sessions, "
          f"{args.recipients} recipients; Postfix -> LMTP -> Dovecot on {holder} (holds {info['vip']}), "
          f"replica {other}")
    print(f"machine: {info['machine']['cpu']} x {info['machine']['cpu_count']}, load "
          f"{info['loadavg_start'][0]:.1f} -> {info['loadavg_end'][0]:.1f}; other containers: "
          f"{', '.join(c for c in info['machine']['containers_running'] if c not in (holder, other)) or 'none'}")
    rows = [("messages/s delivered on the holder", f"{on['msgs_per_s']:.1f}", f"{off['msgs_per_s']:.1f}",
             on["msgs_per_s"] / off["msgs_per_s"]),
            ("seconds until the replica held them all", f"{on['replicated_s']:.1f}", "-", None)]
    for node in (holder, other):
        a, b = per_message_ms(on["cpu_s"][node], n), per_message_ms(off["cpu_s"][node], n)
        rows.append((f"CPU ms per message on {node}", f"{a:.1f}", f"{b:.1f}", a / b if b else None))
    total_on = sum(per_message_ms(on["cpu_s"][x], n) for x in (holder, other))
    total_off = sum(per_message_ms(off["cpu_s"][x], n) for x in (holder, other))
    rows.append(("CPU ms per message, both nodes", f"{total_on:.1f}", f"{total_off:.1f}", total_on / total_off))
    print(f"{'':44} {'on':>10} {'off (baseline)':>16} {'on/off':>8}")
    for name, a, b, ratio in rows:
        print(f"{name:44} {a:>10} {b:>16} {ratio:>8.2f}" if ratio else f"{name:44} {a:>10} {b:>16} {'':>8}")
    print(f"replication's CPU per message (both nodes, on - off): {total_on - total_off:.1f} ms")
    for mode in ("on", "off"):
        for node in (holder, other):
            cpu = res[mode]["cpu_s"][node]
            top = sorted(cpu.items(), key=lambda kv: -kv[1])[:8]
            print(f"  {mode:3} {node}: " + ", ".join(f"{k} {1000 * v / n:.2f}" for k, v in top) + " (ms/message)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages per path (default 1000)")
    parser.add_argument("--sessions", type=int, default=6, help="sender processes at once (default 6)")
    parser.add_argument("--recipients", type=int, default=10, help="people the messages go to (default 10)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the mix's sizes and parts (default 1)")
    parser.add_argument("--attachment-mb", type=int, default=20, help="the attachment limit, MiB (default 20)")
    parser.add_argument("--sender", default="bench@example.net")
    parser.add_argument("--nodes", nargs=2, default=["congvu-mail1", "congvu-mail2"],
                        help="the pair's containers (default: the molecule scenario pair's)")
    parser.add_argument("--quiet-timeout", type=float, default=600,
                        help="longest wait for the replicators to have nothing queued before a path (s)")
    parser.add_argument("--replica-timeout", type=float, default=900,
                        help="longest wait for the replica to hold every message (s)")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    args = parser.parse_args(argv)
    if min(args.messages, args.sessions, args.recipients) < 1:
        parser.error("--messages, --sessions and --recipients must be at least 1")
    log = stderr_log()
    info: dict = {"machine": machine(), "started": dt.datetime.now().isoformat(timespec="seconds"),
                  "loadavg_start": os.getloadavg()}
    res: dict = {}
    holder = None
    try:
        holder, other, vip = holder_and_other(args.nodes)
        info.update(holder=holder.name, other=other.name, vip=vip)
        for node in (holder, other):
            node.sh(f"mkdir -p {IN} && chmod 0700 {IN}")
            node.put(os.path.join(HERE, "mail_child.py"), f"{IN}/mail_child.py")
        info["versions"] = holder.sh("dpkg-query -W -f '${Package} ${Version}\\n' dovecot-core postfix").split("\n")
        people = recipients(holder, args.recipients)
        target = f"{holder.sh('hostname -I').split()[0]}:{PORT}"
        holder.sh(SINK_OFF.format(IN=IN))  # a listener left by an interrupted run
        holder.sh(ON)  # and replication it left off
        holder.sh(LISTENER_ON.format(IN=IN, svc=target, overrides=listener_overrides(target, "bench-repl", None)))
        for mode in ("on", "off"):
            try:
                res[mode] = path(mode, holder, other, target, people, args, log)
            finally:
                holder.sh(ON)
        empty([holder, other], people)  # the off path's messages, which the other node never got
    except (BenchError, subprocess.TimeoutExpired, KeyError, ValueError) as exc:
        print(f"bench_replication: {exc}", file=sys.stderr)
        if args.json:
            with open(args.json, "w", encoding="utf-8") as handle:
                json.dump({"error": str(exc), "info": info, "results": res, "args": vars(args)}, handle, indent=1)
        return 2
    finally:
        if holder is not None:
            holder.sh(SINK_OFF.format(IN=IN), check=False)
            holder.sh(ON, check=False)
    info["loadavg_end"] = os.getloadavg()
    report(res, info, args)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"info": info, "results": res, "args": vars(args)}, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
