#!/usr/bin/env python3
"""Seed the legacy server's mailboxes straight into Maildir++ files (seconds for 10,000 messages,
where IMAP APPEND would take minutes). Dovecot indexes them on first access, as it would after a
copy from an older server. Also used by bench/bench_migrate.py (--plan bench).

Layout as Debian's Dovecot keeps it with its default namespace: folders are `.<name>` directories,
"." the hierarchy separator, names in modified UTF-7; flags in the file name (`:2,FS`), keywords as
letters listed in each folder's dovecot-keywords; INTERNALDATE is the file's modification time;
`,S=` and `,W=` carry the sizes so that nothing has to be read to answer RFC822.SIZE.
"""

from __future__ import annotations

import argparse
import base64
import os
import pwd
import random
import zlib

KEYWORD = "$CongVanDen"  # a keyword as the legacy system's client set it


def mutf7(name: str) -> str:
    """RFC 3501 modified UTF-7, what Dovecot writes on disk and IMAP carries on the wire."""
    out, buf = [], ""

    def flush():
        nonlocal buf
        if buf:
            out.append("&" + base64.b64encode(buf.encode("utf-16-be")).decode().rstrip("=").replace("/", ",") + "-")
            buf = ""

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf += ch
    flush()
    return "".join(out)


def message(user: str, folder: str, n: int, date: str, body: str) -> bytes:
    text = (f"From: Van thu <vanthu@quangtri.gov.vn>\nTo: {user}\nSubject: {folder} so {n}\n"
            f"Message-ID: <{zlib.crc32(f'{user}/{folder}'.encode())}.{n}@quangtri.gov.vn>\nDate: {date}\n"
            f"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{body}\n")
    return text.encode()


# user -> [(folder, count, size of body, subscribed)]; the 20 MB message is added to annv's INBOX
PLANS = {
    "molecule": {
        "annv@quangtri.gov.vn": [("INBOX", 40, 600, True), ("Công văn đến", 60, 1500, True),
                                 ("Lưu trữ", 5, 800, True), ("Lưu trữ/2024", 10000, 400, True),
                                 ("Nháp cũ", 3, 300, False)],
        "hadtt@quangtri.gov.vn": [("INBOX", 25, 700, True), ("Công văn đi", 15, 900, True)],
        "lanpt@quangtri.gov.vn": [("INBOX", 3, 1_200_000, True)],  # 3.6 MB against a 1 MB quota
    },
    "bench": {f"u{i:02d}@quangtri.gov.vn": [("INBOX", 1500, 3000, True), ("Công văn đến", 1500, 8000, True),
                                            ("Lưu trữ/2024", 2000, 1500, True)] for i in range(1, 5)},
}
BIG_BYTES = 20 * 1024 * 1024


def write_folder(home: str, user: str, folder: str, count: int, size: int, rng: random.Random,
                 big: bool = False) -> None:
    path = home if folder == "INBOX" else os.path.join(home, "." + ".".join(mutf7(p) for p in folder.split("/")))
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(path, sub), exist_ok=True)
    with open(os.path.join(path, "dovecot-keywords"), "w", encoding="ascii") as handle:
        handle.write(f"0 {KEYWORD}\n")
    now = 1_735_689_600  # 2025-01-01; one message a day back from there
    pid = os.getpid()
    items = list(range(count)) + (["big"] if big else [])
    for n in items:
        if n == "big":
            body = base64.encodebytes(rng.randbytes(BIG_BYTES * 3 // 4)).decode()
            when, flags = now - 3600, "S"
        else:
            body = ("Nội dung công văn. " * (size // 20 + 1))[:size]
            when = now - 86400 * (n % 3000) - n
            flags = "".join(f for f, on in (("F", n % 7 == 0), ("S", n % 3 != 0), ("a", n % 11 == 0)) if on)
        date = f"Mon, 1 Jan 2024 08:00:00 +0700 (n{n})"
        data = message(user, folder, 0 if n == "big" else n, date, body)
        if n == "big":
            data = data.replace(b"Subject: INBOX so 0", b"Subject: Tai lieu 20 MB")
            data = data.replace(b".0@quangtri", b".big@quangtri")
        vsize = len(data) + data.count(b"\n")
        name = f"{when}.M{n if n != 'big' else 999999}P{pid}.legacy,S={len(data)},W={vsize}:2,{flags}"
        file_path = os.path.join(path, "cur", name)
        with open(file_path, "wb") as handle:
            handle.write(data)
        os.utime(file_path, (when, when))


def seed(root: str, owner: str, plan: str) -> None:
    ent = pwd.getpwnam(owner)
    rng = random.Random(2025)
    for user, folders in PLANS[plan].items():
        home = os.path.join(root, user)
        os.makedirs(home, exist_ok=True)
        subscribed = []
        for folder, count, size, sub in folders:
            big = plan == "molecule" and user.startswith("annv") and folder == "INBOX"
            write_folder(home, user, folder, count, size, rng, big=big)
            if sub and folder != "INBOX":
                subscribed.append(folder)
        with open(os.path.join(home, "subscriptions"), "w", encoding="ascii") as handle:
            # Dovecot 2.3's subscriptions file: version line, then names (UTF-7, tab as separator)
            handle.write("V\t2\n\n" + "".join(mutf7(f).replace("/", "\t") + "\n" for f in subscribed))
        for r, _dirs, files in os.walk(home):
            os.chown(r, ent.pw_uid, ent.pw_gid)
            for f in files:
                os.chown(os.path.join(r, f), ent.pw_uid, ent.pw_gid)
    os.chown(root, ent.pw_uid, ent.pw_gid)
    with open(os.path.join(root, ".seeded"), "w", encoding="ascii") as handle:
        handle.write(plan + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", required=True)
    parser.add_argument("--owner", default="mail")
    parser.add_argument("--plan", choices=sorted(PLANS), default="molecule")
    args = parser.parse_args()
    seed(args.root, args.owner, args.plan)


if __name__ == "__main__":
    main()
