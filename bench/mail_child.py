#!/usr/bin/env python3
"""The half of bench/bench_mail.py that runs inside the benchmark container, as root (standard library only).

    python3 mail_child.py accounts --base DN --count N             # ready accounts, /opt/bench/accounts.json
    python3 mail_child.py smtp --mode bare|lmtp|full --target HOST:PORT --count N --sessions S
                               [--load distinct|repeat] [--seed N] [--nonce X] [--attachment-mb 20]
                               [--size BYTES] --sender ADDR --rcpt ADDRESS[=MAILDIR] ... [--timeout SECONDS]
    python3 mail_child.py imap --clients N --seconds T [--host NAME] [--cafile FILE]
    python3 mail_child.py logins [--cold] [--count N] [--clients C] [--accounts A]
    python3 mail_child.py dnsstub [--listen 127.0.0.1] [--port 53] [--pid-file F]  # until killed
    python3 mail_child.py cpu                                      # the CPU of every program, now

Each prints one line `RESULT <json>` last. Times are taken here, inside the container, so `docker exec`
and the controller's load are not in them.

- accounts: the first N active people (by staff id) whose initial password is in
  /var/lib/congvu/initial-passwords get a password only the benchmark knows, set with `ldappasswd` bound
  as the person with the initial one: the first login's change (Art. 4.3), as tools/demo_accounts.py
  does, so slapd clears pwdReset and Dovecot lets them in. Kept in /opt/bench/accounts.json (0600) and
  reused while they still bind.
- smtp: S sender processes at once, the N messages split between them, message i to recipient i mod R,
  one message per SMTP connection (how other servers deliver to an MX). --load distinct (default): each
  process makes its messages (the seeded mix below, Python's email package) before the clock starts,
  then sends them with smtplib; --load repeat: Postfix's `smtp-source`, one body of --size bytes. The
  clock starts when every sender is ready and stops when the last message is disposed of: in `bare`
  mode when Postfix's queue is empty again, in `lmtp` and `full` mode when N new files are in the
  recipients' maildirs (new/ + cur/). Any reply other than success (a refusal by rspamd, ClamAV or a
  restriction) is a failure of the run, not a message counted. Polled every --poll seconds (0.1).
  The CPU of every program in the container over that time is reported; the senders' is not.
- The seeded mix: a message's parts and sizes come from --seed and its index only, so every path and
  run carries the same mix; its bytes come from the seed, the index and a nonce (fresh per call), so
  no body or attachment repeats and no verdict cached by digest answers for one. 30 % a text notice
  (1.5-10.5 KB, half with an HTML copy), 69 % a letter with one document (or two, 1 in 4) of
  2,500 x e^N(3.0, 1.4) bytes in all (median 50 KB; the law tools/make_demo_history.py draws the
  demo's message sizes from), Word documents (a zip of text) and PDF scans (noise, as image data is to
  a scanner), 1 % one PDF scan log-uniform from 2 MiB to the attachment limit (--attachment-mb, less
  64 KiB for the text), which that law almost never draws.
- imap: N processes, each an IMAP client over 993 (TLS checked against the local CA): LOGIN, SELECT
  INBOX, then, once all are in (a barrier), FETCH of one random message (FLAGS BODY.PEEK[]) in a loop
  for T seconds. An operation is one FETCH answered OK with the message; an error is any other answer,
  a missing body or an exception (the client then logs in again and goes on). The memory (Pss) of
  every program is read while all sessions are open, the CPU over the FETCH loop.
- logins: sessions of TLS, LOGIN, SELECT INBOX, LOGOUT, C at a time, and the CPU of every program
  over them. --cold flushes Dovecot's auth cache and logs every account in once (each login a bind to
  slapd, whose argon2 check is the largest part); otherwise N logins over the accounts, answered by
  the auth cache.
- cpu: one snapshot of cpu_by_program() (the replication benchmark takes one on each node before and after
  a path and subtracts them with cpu_split() on the controller).
- dnsstub: a DNS server on UDP that answers every query at once with NXDOMAIN. The test bed has no
  Internet: its resolver lets rspamd's RBL and reputation queries time out (seconds per message),
  which no production resolver does. With rspamd pointed at the stub the full path costs what its
  programs cost, every list saying "not listed", as for most legitimate mail.
"""

from __future__ import annotations

import argparse
import csv
import email.headerregistry
import email.message
import email.policy
import email.utils
import glob
import imaplib
import io
import json
import math
import multiprocessing
import os
import random
import secrets
import smtplib
import socket
import ssl
import subprocess
import sys
import time
import zipfile

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
    """The messages' file names in a Maildir (new/ and cur/, flags cut off), or in an sdbox mailbox's
    dbox-Mails folder (u.<uid>, one file a message) when that is the path given."""
    names = set()
    if os.path.basename(maildir.rstrip("/")) == "dbox-Mails":
        try:
            return {entry.name for entry in os.scandir(maildir) if entry.name.startswith("u.")}
        except FileNotFoundError:
            return names
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


def cpu_by_program() -> dict[str, tuple[float, float, str]]:
    """CPU seconds (user + system) of every live process in the container: "<program> [pid]" -> (its own,
    its children's that exited and were reaped, its parent's key). Postfix's smtpd and cleanup processes
    that reached max_use, and Dovecot's login and imap processes, are such children (of master, of
    dovecot). Programs are named by argv[0]'s last two path parts: Postfix's LMTP client and Dovecot's
    LMTP server are both "lmtp"."""
    tick = os.sysconf("SC_CLK_TCK")
    me = str(os.getpid())  # the load generator (this process and its children: senders, clients) is not the path
    seen: dict[str, tuple[str, str, list[str]]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
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
        seen[pid] = (name, fields[1], fields)

    def mine(pid: str) -> bool:
        for _ in range(64):
            if pid == me:
                return True
            if pid not in seen:
                return False
            pid = seen[pid][1]
        return False

    def key(pid: str) -> str:
        return f"{seen[pid][0]} [{pid}]" if pid in seen else f"? [{pid}]"

    out: dict[str, tuple[float, float, str]] = {}
    for pid, (_, ppid, fields) in seen.items():
        if not mine(pid):  # keyed per process: a restarted program must not subtract from another
            out[key(pid)] = ((int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick,
                             key(ppid))
    return out


def cpu_split(before: dict[str, tuple[float, float, str]], after: dict[str, tuple[float, float, str]]
              ) -> dict[str, float]:
    """The CPU each program used between two snapshots. A process that exits in between adds its whole
    life's CPU to its parent's reaped children; what it had used before the first snapshot is taken off
    again, so that, e.g., smtpd processes of the previous path that time out now are not counted."""
    earlier: dict[str, float] = {}
    for k, (own, kids, parent) in before.items():
        if k not in after:
            earlier[parent] = earlier.get(parent, 0.0) + own + kids
    out: dict[str, float] = {}

    def add(program: str, used: float) -> None:
        if used > 0:
            out[program] = round(out.get(program, 0.0) + used, 3)

    for k, (own, kids, _) in after.items():
        own0, kids0, _ = before.get(k, (0.0, 0.0, ""))
        program = k.split(" [", 1)[0]
        add(program, own - own0)
        add(program + " (exited children)", kids - kids0 - earlier.get(k, 0.0))
    return out


def memory_by_program() -> dict[str, dict]:
    """Processes and their proportional memory (Pss, shared pages divided among the sharers) by program
    name (the kernel's comm: Dovecot's `imap`, `imap-login`, `auth`, ...), MiB."""
    out: dict[str, dict] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm", encoding="utf-8") as handle:
                name = handle.read().strip()
            with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as handle:
                pss = next((int(line.split()[1]) for line in handle if line.startswith("Pss:")), 0)
        except (OSError, ValueError):
            continue
        entry = out.setdefault(name, {"processes": 0, "pss_mib": 0.0})
        entry["processes"] += 1
        entry["pss_mib"] = round(entry["pss_mib"] + pss / 1024, 2)
    return out


# The seeded mix of messages (--load distinct). Its law is the one tools/make_demo_history.py draws the
# demo's Postfix log from (30 % short notices, 70 % a letter with a document whose size is log-normal,
# median about 50 KB), so the benchmark and the demo's usage report describe the same mail; on top of
# it 1 % of scans near the attachment limit, which that law almost never draws (1 in 10,000 above
# 5 MB) and which are the messages that load clamd's stream and Dovecot's write most.
SHARE_LARGE = 0.01        # one scanned PDF, log-uniform from 2 MiB to the attachment limit
SHARE_TEXT_ONLY = 0.30    # a notice or a reply: text only, 1.5-10.5 KB
LOGNORMAL = (3.0, 1.4)    # the rest: documents of 2,500 x e^N(3.0, 1.4) bytes in all (one, or two 1 in 4)
WORDS = ("công văn số về việc triển khai thực hiện kế hoạch năm của ủy ban nhân dân tỉnh huyện xã phường "
         "thị trấn sở ban ngành đề nghị các đơn vị báo cáo kết quả trước ngày tháng theo quy định tại "
         "nghị định thông tư hướng dẫn quyết định phê duyệt dự án đầu tư công xây dựng cơ bản giáo dục "
         "y tế trạm trường học cán bộ công chức viên chức người lao động hồ sơ tài liệu kèm theo gửi "
         "đồng kính trân trọng cảm ơn giám đốc phó chủ tịch văn phòng phòng nội vụ tài chính kế hoạch "
         "đầu tư tư pháp thanh tra tài nguyên môi trường nông nghiệp phát triển nông thôn giao thông vận "
         "tải lao động thương binh xã hội văn hóa thể thao du lịch khoa học công nghệ thông tin truyền "
         "thông an ninh quốc phòng biên giới biển đảo bão lũ phòng chống thiên tai dân số").split()


def message_plan(seed: int, index: int, attachment_max: int) -> list[tuple[str, int]]:
    """What message `index` of a run carries, from the seed only (the same for every path and run):
    [("text", bytes), ("html", bytes)?, ("pdf" | "docx", bytes)...]."""
    rng = random.Random(f"{seed}:{index}")
    draw = rng.random()
    if draw < SHARE_LARGE:
        low = 2 * 1048576
        return [("text", rng.randint(1000, 4000)),
                ("pdf", int(low * (attachment_max / low) ** rng.random()))]
    if draw < SHARE_LARGE + SHARE_TEXT_ONLY:
        parts = [("text", rng.randint(1500, 10500))]
        return parts + ([("html", parts[0][1])] if rng.random() < 0.5 else [])
    total = min(int(2500 * math.exp(rng.gauss(*LOGNORMAL))), attachment_max)
    parts = [("text", rng.randint(1000, 4000))]
    sizes = [total] if rng.random() < 0.75 else [total // 2, total - total // 2]
    for size in sizes:
        parts.append(("pdf" if size >= 1048576 or rng.random() < 0.4 else "docx", max(size, 2000)))
    return parts


def words(rng: random.Random, size: int) -> str:
    """About `size` bytes of Vietnamese-looking text in lines of 12 words."""
    count = max(size // 6, 1)
    picked = rng.choices(WORDS, k=count)
    return "\n".join(" ".join(picked[k:k + 12]) for k in range(0, count, 12)) + "\n"


def pdf_bytes(rng: random.Random, size: int) -> bytes:
    """A PDF whose one stream is `size` bytes of noise: what a scanned page's image data is to a scanner."""
    body = rng.randbytes(max(size - 300, 16))
    head = (b"%PDF-1.5\n1 0 obj\n<< /Type /XObject /Subtype /Image /Width 2480 /Height 3508 "
            b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode /Length "
            + str(len(body)).encode() + b" >>\nstream\n")
    return head + body + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def docx_bytes(rng: random.Random, size: int) -> bytes:
    """A Word document (a zip of XML, deflated as Word does) of about `size` bytes."""
    paragraphs = words(rng, size * 3).splitlines()  # text deflates about 3:1
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.'
           'openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           + "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs) + "</w:body></w:document>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://'
                         'schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/'
                         'document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                         'wordprocessingml.document.main+xml"/></Types>')
        archive.writestr("word/document.xml", xml)
    return out.getvalue()


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def make_message(seed: int, nonce: str, index: int, sender: str, rcpt: str, attachment_max: int) -> bytes:
    """Message `index`: its structure from the seed, its bytes from the seed, the nonce and the index, so
    no two messages of any run (nonce) share a body or an attachment, and no verdict cached by digest
    (rspamd's antivirus cache in redis) answers for one."""
    rng = random.Random(f"{seed}:{nonce}:{index}")
    msg = email.message.EmailMessage()
    msg["From"] = email.headerregistry.Address("Văn thư", *sender.split("@", 1))
    msg["To"] = rcpt
    msg["Subject"] = f"V/v {' '.join(rng.choices(WORDS, k=8))} ({index})"
    msg["Date"] = email.utils.formatdate(localtime=True)
    msg["Message-ID"] = f"<{nonce}.{index}@bench.example.net>"
    for kind, size in message_plan(seed, index, attachment_max):
        if kind == "text":
            text = f"Kính gửi: {rcpt}\n\n{words(rng, size)}\nTrân trọng.\n"
            msg.set_content(text)
        elif kind == "html":
            msg.add_alternative("<html><body>" + "".join(f"<p>{line}</p>" for line in text.splitlines())
                                + "</body></html>", subtype="html")
        elif kind == "pdf":
            msg.add_attachment(pdf_bytes(rng, size), maintype="application", subtype="pdf",
                               filename=f"Công văn {index}-{rng.randrange(10000)}.pdf")
        else:
            msg.add_attachment(docx_bytes(rng, size), maintype="application", subtype=DOCX.split("/")[1],
                               filename=f"Dự thảo {index}-{rng.randrange(10000)}.docx")
    return msg.as_bytes(policy=email.policy.SMTP)


def sender_process(slot: int, args, rcpts: list[str], barrier, queue) -> None:
    """Sender `slot` of --sessions: makes its share of the messages (indices slot, slot + S, ...) before
    the clock starts, then sends them one per SMTP connection (smtplib), as other servers deliver to an
    MX. Any refusal is a failure of the run, not a message to count."""
    mine = range(slot, args.count, args.sessions)
    limit = args.attachment_mb * 1048576 - 65536  # the text and headers beside the attachment
    made = [(i, rcpts[i % len(rcpts)], make_message(args.seed, args.nonce, i, args.sender,
                                                    rcpts[i % len(rcpts)], limit)) for i in mine]
    sizes = [len(m) for _, _, m in made]
    failures = []
    try:
        barrier.wait(timeout=args.timeout)
    except Exception as exc:  # another sender broke: this one reports, sends nothing
        queue.put({"slot": slot, "sizes": sizes, "failures": [repr(exc)[:300]]})
        return
    host, port = args.target.rsplit(":", 1)
    for i, rcpt, data in made:
        try:
            with smtplib.SMTP(host, int(port), local_hostname=args.helo, timeout=300) as conn:
                conn.sendmail(args.sender, [rcpt], data)
        except (smtplib.SMTPException, OSError) as exc:
            failures.append(f"message {i} to {rcpt}: {exc!r}"[:300])
    queue.put({"slot": slot, "sizes": sizes, "failures": failures})


def send_distinct(args, rcpts: list[str]) -> tuple[float, dict, list, list[int]]:
    """--sessions sender processes; returns (the time the clock started, the CPU of every program then,
    failures, message sizes)."""
    slots = min(args.sessions, args.count)
    barrier = multiprocessing.Barrier(slots + 1)
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=sender_process, args=(j, args, rcpts, barrier, queue))
             for j in range(slots)]
    for proc in procs:
        proc.start()
    barrier.wait(timeout=args.timeout)  # every message made: the clock starts
    cpu0, t0 = cpu_by_program(), time.time()
    reports = [queue.get(timeout=args.timeout) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    return t0, cpu0, [f for r in reports for f in r["failures"]], [s for r in reports for s in r["sizes"]]


def send_repeat(args, rcpts: list[str]) -> tuple[float, dict, list, list[int]]:
    """--sessions smtp-source processes, each the same --size body (the runs before distinct messages)."""
    shares = [args.count // args.sessions + (1 if j < args.count % args.sessions else 0)
              for j in range(args.sessions)]
    cpu0, t0 = cpu_by_program(), time.time()
    procs = []
    for j, share in enumerate(shares):
        if share == 0:
            continue
        cmd = ["smtp-source", "-s", "1", "-m", str(share), "-l", str(args.size), "-f", args.sender,
               "-t", rcpts[j % len(rcpts)], "-S", args.subject, "-M", args.helo, args.target]
        procs.append((cmd, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    failures = []
    for cmd, proc in procs:
        out, err = proc.communicate(timeout=args.timeout)
        if proc.returncode != 0:
            failures.append({"cmd": " ".join(cmd), "rc": proc.returncode, "out": (out + err)[-1500:]})
    return t0, cpu0, failures, []


def summary(sizes: list[int]) -> dict:
    if not sizes:
        return {}
    ordered = sorted(sizes)

    def pick(q):
        return ordered[min(int(q * len(ordered)), len(ordered) - 1)]
    return {"n": len(sizes), "bytes": sum(sizes), "mean": sum(sizes) / len(sizes), "p50": pick(0.5),
            "p90": pick(0.9), "p99": pick(0.99), "max": ordered[-1],
            "over_100k": sum(s > 100_000 for s in sizes), "over_2m": sum(s > 2_000_000 for s in sizes)}


def smtp(args) -> None:
    rcpts = [(r.split("=", 1) + [""])[:2] for r in args.rcpt]
    host, port = args.target.rsplit(":", 1)
    wait_port(host, int(port))
    maildirs = [m for _, m in rcpts if m]
    before = {m: maildir_names(m) for m in maildirs}
    queued_before = queue_size()
    load0 = loadavg()
    # the senders are this process's children: their CPU (making and sending) is not the path's
    send = send_distinct if args.load == "distinct" else send_repeat
    t0, cpu0, failures, sizes = send(args, [r for r, _ in rcpts])
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
    delivered = (sum(len(maildir_names(m) - before[m]) for m in maildirs) if args.mode != "bare"
                 else args.count if done_at and not failures else None)
    end = done_at or time.time()
    cpu = cpu_split(cpu0, cpu_by_program())
    result({"mode": args.mode, "load": args.load, "cpu_s": cpu, "count": args.count, "sessions": args.sessions,
            "size": args.size if args.load == "repeat" else None, "sizes": summary(sizes),
            "processes": min(args.sessions, args.count), "target": args.target,
            "recipients": [r for r, _ in rcpts], "seed": args.seed, "nonce": args.nonce,
            "t0": t0, "t_sent": t_sent, "t_done": done_at, "send_s": t_sent - t0, "wall_s": end - t0,
            "delivered": delivered, "complete": bool(done_at) and not failures,
            "msgs_per_s": args.count / (end - t0) if done_at and not failures else None,
            "queue_before": queued_before, "queue_after": queue_size(), "failures": failures[:20],
            "failed": len(failures), "loadavg_start": load0, "loadavg_end": loadavg()})


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
    memory = memory_by_program()  # the sessions open, before the FETCH loop
    load0 = loadavg()
    cpu0, t0 = cpu_by_program(), time.time()  # the clients are children of this process: not counted
    stats = [queue.get(timeout=args.seconds + 180) for _ in procs]
    wall = time.time() - t0
    cpu = cpu_split(cpu0, cpu_by_program())
    for proc in procs:
        proc.join(timeout=30)
    ops = sum(s["ops"] for s in stats)
    logins = sum(s["logins"] for s in stats)
    result({"clients": args.clients, "accounts": len(accounts_used), "seconds": args.seconds, "wall_s": wall,
            "ops": ops, "ops_per_s": ops / args.seconds, "errors": sum(s["errors"] for s in stats),
            "error_samples": [e for s in stats for e in s["error_samples"]][:10],
            "logins": logins, "login_mean_s": sum(s["login_s"] for s in stats) / logins if logins else None,
            "bytes": sum(s["bytes"] for s in stats), "per_client_ops": [s["ops"] for s in stats],
            "cpu_s": cpu, "memory": memory, "loadavg_start": load0, "loadavg_end": loadavg()})


def login_client(accounts: list[dict], args, barrier, queue) -> None:
    context = ssl.create_default_context(cafile=args.cafile)
    done, errors = 0, []
    try:
        barrier.wait(timeout=120)
    except Exception as exc:
        errors.append(repr(exc)[:300])
    for account in accounts:
        try:
            conn = imaplib.IMAP4_SSL(args.host, 993, ssl_context=context, timeout=30)
            conn.login(account["address"], account["password"])
            typ, data = conn.select("INBOX")
            if typ != "OK":
                raise imaplib.IMAP4.error(f"SELECT {typ} {data}")
            conn.logout()
            done += 1
        except Exception as exc:  # every failure is an error of the run, counted
            errors.append(repr(exc)[:300])
    queue.put({"done": done, "errors": errors})


def logins(args) -> None:
    """Sessions of a person opening their mail (TLS handshake, LOGIN, SELECT INBOX, LOGOUT), --clients
    at a time: CPU per login of every program. --cold: Dovecot's auth cache is flushed first and every
    stored account logs in once, so each login is a bind to slapd as the person (an argon2 check);
    otherwise --count logins over the accounts, answered from the auth cache after each one's first."""
    with open(STORE, encoding="utf-8") as handle:
        stored = json.load(handle)
    pool = stored[:args.accounts] if args.accounts else stored
    work = pool if args.cold else [pool[k % len(pool)] for k in range(args.count)]
    clients = min(args.clients, len(work))
    barrier = multiprocessing.Barrier(clients + 1)
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=login_client, args=(work[j::clients], args, barrier, queue))
             for j in range(clients)]
    if args.cold:
        subprocess.run(["doveadm", "auth", "cache", "flush"], check=True, capture_output=True)
    for proc in procs:
        proc.start()
    barrier.wait(timeout=180)
    load0 = loadavg()
    cpu0, t0 = cpu_by_program(), time.time()
    got = [queue.get(timeout=900) for _ in procs]
    wall = time.time() - t0
    cpu = cpu_split(cpu0, cpu_by_program())
    for proc in procs:
        proc.join(timeout=30)
    done = sum(g["done"] for g in got)
    errors = [e for g in got for e in g["errors"]]
    result({"cold": args.cold, "count": len(work), "accounts": len(pool), "clients": clients, "done": done,
            "errors": len(errors), "error_samples": errors[:10], "wall_s": wall,
            "logins_per_s": done / wall if wall else None, "cpu_s": cpu,
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
    p.add_argument("--mode", choices=("bare", "lmtp", "full"), required=True,
                   help="bare: done when the queue is empty; lmtp, full: when the maildirs hold the messages")
    p.add_argument("--load", choices=("distinct", "repeat"), default="distinct",
                   help="distinct: the seeded mix, every message different (smtplib); repeat: smtp-source")
    p.add_argument("--seed", type=int, default=1, help="the mix's seed: which sizes and parts (distinct)")
    p.add_argument("--nonce", default="", help="mixed into every message's bytes (distinct; default: random)")
    p.add_argument("--attachment-mb", type=int, default=20, help="the attachment limit of Art. 9 (MiB)")
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
    p = sub.add_parser("logins")
    p.add_argument("--count", type=int, default=500, help="logins in all (not with --cold: one per account)")
    p.add_argument("--cold", action="store_true", help="flush the auth cache; each account logs in once")
    p.add_argument("--clients", type=int, default=10)
    p.add_argument("--accounts", type=int, default=0, help="use the first N stored accounts (default all)")
    p.add_argument("--host", default="mail.quangbinh.gov.vn")
    p.add_argument("--cafile", default="/etc/congvu/tls/ca.crt")
    sub.add_parser("cpu")
    p = sub.add_parser("dnsstub")
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--pid-file", default="/opt/bench/dnsstub.pid")
    args = parser.parse_args(argv)
    if getattr(args, "load", None) == "distinct" and not args.nonce:
        args.nonce = secrets.token_hex(6)
    {"accounts": accounts, "smtp": smtp, "imap": imap, "logins": logins, "dnsstub": dnsstub,
     "cpu": lambda _: result({"cpu": cpu_by_program()})}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
