#!/usr/bin/env python3
"""The half of bench/bench_mail.py that runs inside the benchmark container, as root (standard library only).

    python3 mail_child.py accounts --base DN --count N             # ready accounts, /opt/bench/accounts.json
    python3 mail_child.py smtp --mode bare|full --target HOST:PORT --count N --sessions S --size BYTES
                               --sender ADDR --rcpt ADDRESS[=MAILDIR] ... [--timeout SECONDS]
    python3 mail_child.py imap --clients N --seconds T [--host NAME] [--cafile FILE]
    python3 mail_child.py dnsstub [--listen 127.0.0.1] [--port 53] [--pid-file F]  # until killed

Each prints one line `RESULT <json>` last. Times are taken here, inside the container, so `docker exec`
and the controller's load are not in them.

- accounts: the first N active people (by staff id) whose initial password is in
  /var/lib/congvu/initial-passwords get a password only the benchmark knows, set with `ldappasswd` bound
  as the person with the initial one: the first login's change (Art. 4.3), as tools/demo_accounts.py
  does, so slapd clears pwdReset and Dovecot lets them in. Kept in /opt/bench/accounts.json (0600) and
  reused while they still bind.
- smtp: S `smtp-source` processes at once (Postfix's own load generator, one SMTP session each, one
  message per connection: how other servers deliver to an MX), the N messages split between them,
  process j sending to recipient j mod R. The clock starts before the first process and stops when
  the last message is disposed of: in `bare` mode when Postfix's queue is empty again (the discard
  transport disposes of what was accepted), in `full` mode when N new files are in the recipients'
  maildirs (new/ + cur/). smtp-source aborts with a non-zero status on any reply other than success
  (no -A), so a message refused by rspamd, ClamAV or a restriction breaks the run instead of being
  counted. Polled every --poll seconds (0.1): the end time is at most that late.
- imap: N processes, each an IMAP client over 993 (TLS checked against the local CA): LOGIN, SELECT
  INBOX, then, once all are in (a barrier), FETCH of one random message (FLAGS BODY.PEEK[]) in a loop
  for T seconds. An operation is one FETCH answered OK with the message; an error is any other answer,
  a missing body or an exception (the client then logs in again and goes on).
- dnsstub: a DNS server on UDP that answers every query at once with NXDOMAIN. The test bed has no
  Internet: its resolver lets rspamd's RBL and reputation queries time out (seconds per message),
  which no production resolver does. With rspamd pointed at the stub the full path costs what its
  programs cost, every list saying "not listed", as for most legitimate mail.
"""

from __future__ import annotations

import argparse
import csv
import glob
import imaplib
import json
import multiprocessing
import os
import random
import secrets
import socket
import ssl
import subprocess
import sys
import time

STORE = "/opt/bench/accounts.json"
INITIAL = "/var/lib/congvu/initial-passwords"
QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")
SPOOL = "/var/spool/postfix"
# the classes of Art. 8 (the same pools as tools/demo_accounts.py)
POOLS = ("abcdefghijkmnopqrstuvwxyz", "ABCDEFGHJKLMNPQRSTUVWXYZ", "23456789", "!#%+-=?@_")


def result(data: dict) -> None:
    print("RESULT " + json.dumps(data), flush=True)


def loadavg() -> float:
    with open("/proc/loadavg", encoding="ascii") as handle:
        return float(handle.read().split()[0])


# ---------------------------------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------------------------------


def new_password(length: int = 20) -> str:
    chars = [secrets.choice(pool) for pool in POOLS]
    chars += [secrets.choice("".join(POOLS)) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def secret_file(text: str) -> str:
    path = f"/opt/bench/.pw-{secrets.token_hex(6)}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)  # no newline: ldap tools take the whole file as the password
    return path


def binds(dn: str, password: str) -> bool:
    path = secret_file(password)
    try:
        return subprocess.run(["ldapwhoami", "-x", "-H", "ldapi:///", "-D", dn, "-y", path],
                              capture_output=True, check=False).returncode == 0
    finally:
        os.unlink(path)


def people(base: str) -> list[tuple[str, str, str]]:
    """(uid, dn, mail) of the active people, sorted by uid."""
    out = subprocess.run(["ldapsearch", "-Q", "-LLL", "-o", "ldif-wrap=no", "-Y", "EXTERNAL", "-H", "ldapi:///",
                          "-b", f"ou=people,{base}", "(&(objectClass=congvuMailbox)(congvuState=active))",
                          "uid", "mail"], capture_output=True, text=True, check=True).stdout
    found = []
    for block in out.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if {"dn", "uid", "mail"} <= fields.keys():
            found.append((fields["uid"], fields["dn"], fields["mail"]))
    return sorted(found)


def accounts(args) -> None:
    everybody = people(args.base)
    by_mail = {mail: dn for _, dn, mail in everybody}
    if os.path.exists(STORE):
        with open(STORE, encoding="utf-8") as handle:
            stored = json.load(handle)
        if len(stored) >= args.count and all(binds(by_mail.get(a["address"], "-"), a["password"])
                                             for a in stored[:args.count]):
            result({"accounts": [a["address"] for a in stored[:args.count]], "changed": 0})
            return
    initial = {}
    for path in sorted(glob.glob(os.path.join(INITIAL, "*.csv"))):
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                initial[row["address"]] = row["initial_password"]  # a later line (a reset) wins
    chosen = []
    for _, dn, mail in everybody:
        if len(chosen) == args.count:
            break
        if mail not in initial or not binds(dn, initial[mail]):
            continue  # already changed by somebody else (a demo account): not ours to take
        password = new_password()
        old, new = secret_file(initial[mail]), secret_file(password)
        try:
            # bound as the person with the initial password: slapd checks the new one (Art. 8)
            subprocess.run(["ldappasswd", "-x", "-H", "ldapi:///", "-D", dn, "-y", old, "-t", old, "-T", new],
                           capture_output=True, text=True, check=True)
        finally:
            os.unlink(old)
            os.unlink(new)
        chosen.append({"address": mail, "password": password})
    if len(chosen) < args.count:
        raise SystemExit(f"only {len(chosen)} people with a usable initial password, {args.count} wanted")
    fd = os.open(STORE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(chosen, handle, indent=1)
    result({"accounts": [a["address"] for a in chosen], "changed": len(chosen)})


# ---------------------------------------------------------------------------------------------------
# smtp
# ---------------------------------------------------------------------------------------------------


def queue_size() -> int:
    total = 0
    for name in QUEUES:
        for _, _, files in os.walk(os.path.join(SPOOL, name)):
            total += len(files)
    return total


def maildir_names(maildir: str) -> set[str]:
    names = set()
    for sub in ("new", "cur"):
        try:
            names.update(entry.name.split(":", 1)[0] for entry in os.scandir(os.path.join(maildir, sub)))
        except FileNotFoundError:
            pass
    return names


def wait_port(host: str, port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection((host, port), timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def cpu_by_program() -> dict[str, float]:
    """CPU seconds (user + system) of every live process in the container, by program; children that
    already exited and were reaped count under their parent as "<parent> (exited children)" (Postfix's
    smtpd and cleanup processes that reached max_use, under master). Programs are named by argv[0]'s
    last two path parts: Postfix's LMTP client and Dovecot's LMTP server are both "lmtp"."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    me = str(os.getpid())  # the load generator (this process and its smtp-source children) is not the path
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if pid == me:
            continue
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
                raw = handle.read()
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                argv0 = handle.read().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        if "/" in argv0:
            name = "/".join(argv0.split(" ")[0].split("/")[-2:])
        name = f"{name} [{pid}]"  # per process: a restarted program must not subtract from another
        out[name] = (int(fields[11]) + int(fields[12])) / tick
        out[name + " (exited children)"] = (int(fields[13]) + int(fields[14])) / tick
    return out


def cpu_split(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """The CPU each program used between two snapshots (processes gone in between are not counted,
    except through the parent that reaped them)."""
    out: dict[str, float] = {}
    for key, seconds in after.items():
        used = seconds - before.get(key, 0.0)
        if used > 0:
            program = key.split(" [", 1)[0] + (" (exited children)" if key.endswith("(exited children)") else "")
            out[program] = round(out.get(program, 0.0) + used, 2)
    return out


def smtp(args) -> None:
    rcpts = [(r.split("=", 1) + [""])[:2] for r in args.rcpt]
    host, port = args.target.rsplit(":", 1)
    wait_port(host, int(port))
    maildirs = [m for _, m in rcpts if m]
    before = {m: maildir_names(m) for m in maildirs}
    queued_before = queue_size()
    shares = [args.count // args.sessions + (1 if j < args.count % args.sessions else 0)
              for j in range(args.sessions)]
    load0 = loadavg()
    cpu0 = cpu_by_program()
    t0 = time.time()
    procs = []
    for j, share in enumerate(shares):
        if share == 0:
            continue
        cmd = ["smtp-source", "-s", "1", "-m", str(share), "-l", str(args.size), "-f", args.sender,
               "-t", rcpts[j % len(rcpts)][0], "-S", args.subject, "-M", args.helo, args.target]
        procs.append((cmd, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    failures = []
    for cmd, proc in procs:
        out, err = proc.communicate(timeout=args.timeout)
        if proc.returncode != 0:
            failures.append({"cmd": " ".join(cmd), "rc": proc.returncode, "out": (out + err)[-1500:]})
    t_sent = time.time()
    deadline = t_sent + args.timeout
    done_at = None
    last_progress, last_count = time.time(), -1
    while time.time() < deadline:
        now = time.time()
        if args.mode == "bare":
            count = queue_size()
            if count == 0:
                done_at = now
                break
        else:
            count = sum(len(maildir_names(m) - before[m]) for m in maildirs)
            if count >= args.count:
                done_at = now
                break
        if count != last_count:
            last_progress, last_count = now, count
        elif now - last_progress > args.stall:
            break  # nothing moves any more: a broken run, reported as such
        time.sleep(args.poll)
    delivered = (sum(len(maildir_names(m) - before[m]) for m in maildirs) if args.mode == "full"
                 else args.count if done_at and not failures else None)
    end = done_at or time.time()
    cpu = cpu_split(cpu0, cpu_by_program())
    result({"mode": args.mode, "cpu_s": cpu, "count": args.count, "sessions": args.sessions, "size": args.size,
            "processes": len(procs), "target": args.target, "recipients": [r for r, _ in rcpts],
            "t0": t0, "t_sent": t_sent, "t_done": done_at, "send_s": t_sent - t0, "wall_s": end - t0,
            "delivered": delivered, "complete": bool(done_at) and not failures,
            "msgs_per_s": args.count / (end - t0) if done_at and not failures else None,
            "queue_before": queued_before, "queue_after": queue_size(), "failures": failures,
            "loadavg_start": load0, "loadavg_end": loadavg()})


# ---------------------------------------------------------------------------------------------------
# imap
# ---------------------------------------------------------------------------------------------------


def imap_client(index: int, account: dict, args, barrier, queue) -> None:
    context = ssl.create_default_context(cafile=args.cafile)
    rng = random.Random(index)
    stats = {"client": index, "account": account["address"], "ops": 0, "errors": 0, "error_samples": [],
             "logins": 0, "login_s": 0.0, "bytes": 0}

    def connect():
        start = time.perf_counter()
        conn = imaplib.IMAP4_SSL(args.host, 993, ssl_context=context, timeout=30)
        conn.login(account["address"], account["password"])
        typ, data = conn.select("INBOX")
        if typ != "OK":
            raise imaplib.IMAP4.error(f"SELECT {typ} {data}")
        stats["logins"] += 1
        stats["login_s"] += time.perf_counter() - start
        return conn, int(data[0])

    def error(exc) -> None:
        stats["errors"] += 1
        if len(stats["error_samples"]) < 3:
            stats["error_samples"].append(repr(exc)[:300])

    conn, exists = None, 0
    try:
        conn, exists = connect()
    except Exception as exc:  # every failure is an error of the run, counted
        error(exc)
    try:
        barrier.wait(timeout=120)
    except Exception as exc:
        error(exc)
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        try:
            if conn is None:
                conn, exists = connect()
            if exists == 0:
                raise imaplib.IMAP4.error("INBOX is empty")
            typ, data = conn.fetch(str(rng.randint(1, exists)), "(FLAGS BODY.PEEK[])")
            body = data[0][1] if typ == "OK" and data and isinstance(data[0], tuple) else None
            if not body:
                raise imaplib.IMAP4.error(f"FETCH {typ} {str(data)[:200]}")
            stats["ops"] += 1
            stats["bytes"] += len(body)
        except Exception as exc:
            error(exc)
            try:
                if conn is not None:
                    conn.shutdown()
            except Exception:  # the connection is given up anyway
                pass
            conn = None
            time.sleep(0.2)
    if conn is not None:
        try:
            conn.logout()
        except Exception as exc:
            error(exc)
    queue.put(stats)


def imap(args) -> None:
    with open(STORE, encoding="utf-8") as handle:
        stored = json.load(handle)
    accounts_used = stored[:args.accounts] if args.accounts else stored
    barrier = multiprocessing.Barrier(args.clients + 1)
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=imap_client,
                                     args=(i, accounts_used[i % len(accounts_used)], args, barrier, queue))
             for i in range(args.clients)]
    for proc in procs:
        proc.start()
    barrier.wait(timeout=180)  # every client logged in and selected INBOX: the measured time starts
    load0 = loadavg()
    t0 = time.time()
    stats = [queue.get(timeout=args.seconds + 180) for _ in procs]
    wall = time.time() - t0
    for proc in procs:
        proc.join(timeout=30)
    ops = sum(s["ops"] for s in stats)
    logins = sum(s["logins"] for s in stats)
    result({"clients": args.clients, "accounts": len(accounts_used), "seconds": args.seconds, "wall_s": wall,
            "ops": ops, "ops_per_s": ops / args.seconds, "errors": sum(s["errors"] for s in stats),
            "error_samples": [e for s in stats for e in s["error_samples"]][:10],
            "logins": logins, "login_mean_s": sum(s["login_s"] for s in stats) / logins if logins else None,
            "bytes": sum(s["bytes"] for s in stats), "per_client_ops": [s["ops"] for s in stats],
            "loadavg_start": load0, "loadavg_end": loadavg()})


# ---------------------------------------------------------------------------------------------------
# dnsstub
# ---------------------------------------------------------------------------------------------------


def dns_nxdomain(query: bytes) -> bytes | None:
    """The answer to a DNS query: same id and question, QR, RD copied, RA, rcode 3 (NXDOMAIN)."""
    if len(query) < 12:
        return None
    end = 12
    while end < len(query) and query[end] != 0:
        end += query[end] + 1
    end += 5  # the root label, QTYPE, QCLASS
    if end > len(query):
        return None
    flags = 0x8000 | (query[2] & 0x01) << 8 | 0x0080 | 3
    return query[:2] + flags.to_bytes(2, "big") + b"\x00\x01\x00\x00\x00\x00\x00\x00" + query[12:end]


def dnsstub(args) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.listen, args.port))
    with open(args.pid_file, "w", encoding="ascii") as handle:
        handle.write(str(os.getpid()))
    answered = 0
    while True:
        query, peer = sock.recvfrom(4096)
        reply = dns_nxdomain(query)
        if reply:
            sock.sendto(reply, peer)
            answered += 1
            if answered % 100 == 0:
                with open("/opt/bench/dnsstub.count", "w", encoding="ascii") as handle:
                    handle.write(str(answered))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("accounts")
    p.add_argument("--base", required=True)
    p.add_argument("--count", type=int, default=10)
    p = sub.add_parser("smtp")
    p.add_argument("--mode", choices=("bare", "full"), required=True)
    p.add_argument("--target", required=True, help="HOST:PORT")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--sessions", type=int, required=True)
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--sender", required=True)
    p.add_argument("--rcpt", action="append", required=True, help="ADDRESS[=MAILDIR]; repeat")
    p.add_argument("--subject", default="congvu bench")
    p.add_argument("--helo", default="bench-sender.example.net")
    p.add_argument("--timeout", type=float, default=900)
    p.add_argument("--stall", type=float, default=120, help="give up after this long without progress")
    p.add_argument("--poll", type=float, default=0.1)
    p = sub.add_parser("imap")
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--accounts", type=int, default=0, help="use the first N stored accounts (default all)")
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--host", default="mail.quangbinh.gov.vn")
    p.add_argument("--cafile", default="/etc/congvu/tls/ca.crt")
    p = sub.add_parser("dnsstub")
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--pid-file", default="/opt/bench/dnsstub.pid")
    args = parser.parse_args(argv)
    {"accounts": accounts, "smtp": smtp, "imap": imap, "dnsstub": dnsstub}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
