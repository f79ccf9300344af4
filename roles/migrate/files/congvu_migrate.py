#!/usr/bin/env python3
"""Mail migration from a legacy IMAP server into congvu-mail (role migrate, docs/migration.md).

Runs on the imap host as root (installed as /usr/local/lib/congvu/congvu-migrate), standard library
only, and drives Dovecot's own tools:

    congvu-migrate check  --settings FILE --address A --source-user S   < secret.json
    congvu-migrate pass   --settings FILE --address A --source-user S [--dry-run] < secret.json
    congvu-migrate report --input results.json --out-dir DIR             (on the controller)

One pass of one mailbox:

1. the source as the legacy server shows it: `doveadm mailbox status` through the imapc storage
   (messages and bytes per folder, UIDVALIDITY);
2. `doveadm backup -R` from imapc into a STAGING copy of the source that belongs to the migration
   only (under the mail root, never seen by the user): backup is exact there and incremental, and
   it never touches the live mailbox;
3. the messages of the staging copy not yet in the live mailbox are added with `doveadm import`
   (flags, keywords, INTERNALDATE kept; same file system, so Maildir hard links, no second copy):
   those above the last UID imported per folder (state kept on the host), or, when that state is
   missing or a previous import was interrupted, those whose identity (Message-ID, INTERNALDATE,
   size) is not already there. Nothing in the live mailbox is ever deleted or changed;
4. folders (empty ones too) and subscriptions of the source are created in the live mailbox;
5. verification: per folder, messages and bytes of the source, of the staging copy, and of the
   source's messages found in the live mailbox (by identity); extra mail there is listed apart.

Why not `doveadm sync -1` straight into the live mailbox: once a UID of the source and of the live
mailbox collide (mail delivered there before or between passes), Dovecot 2.3.19 either copies the
message again on every later pass or never copies it (measured; docs/migration.md, "Decisions").
Why not `doveadm backup` into it: it deletes whatever the source does not have.

The secret (the master user's or the person's password on the legacy server) comes on stdin as
JSON {"password": "..."}; it is written only into a 0600 configuration file in a 0700 folder under
/run, removed when the command ends.
"""

from __future__ import annotations

import argparse
import collections
import csv
import io
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

UID_MAX = 4294967295
DOVEADM_COMMANDS = ("backup", "import", "fetch", "mailbox", "quota", "user")


class MigrateError(Exception):
    """A problem of one mailbox, told in Vietnamese (what the operator and agency read) and English."""

    def __init__(self, code: str, vi: str, en: str):
        super().__init__(en)
        self.code, self.vi, self.en = code, vi, en

    def as_dict(self) -> dict:
        return {"code": self.code, "vi": self.vi, "en": self.en}


# --- pure logic (tests/unit/test_migrate.py) --------------------------------------------------------


def identity(msg: dict) -> tuple:
    """What makes a message the same on both sides: Message-ID, INTERNALDATE and size (doveadm fetch
    fields hdr.message-id, date.received.unixtime, size.virtual). The GUID is not used: a maildir
    copied by other means gets new ones."""
    return ((msg.get("hdr.message-id") or "").strip(), int(msg.get("date.received.unixtime") or 0),
            int(msg.get("size.virtual") or 0))


def uid_set(uids: list[int]) -> str:
    """Sorted UIDs as an IMAP sequence set with ranges: [1, 2, 3, 7, 9, 10] -> "1:3,7,9:10"."""
    parts: list[str] = []
    ordered = sorted(set(uids))
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}:{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def messages_to_copy(staging: list[dict], dest: list[dict], folder_state: dict | None,
                     uidvalidity: int) -> tuple[list[dict], str]:
    """The staging messages of one folder to import, and how they were chosen.

    `mark`: the state of the last pass holds this UIDVALIDITY and a finished import: the messages
    above its last UID (IMAP UIDs only grow). `identity`: anything else (first pass, state lost,
    interrupted import, UIDVALIDITY changed): the messages whose identity is not already in the
    live folder as many times (a message the source holds twice is copied twice, once)."""
    if folder_state and not folder_state.get("dirty") and int(folder_state.get("uidvalidity", -1)) == uidvalidity:
        last = int(folder_state.get("last_uid", 0))
        return [m for m in staging if int(m["uid"]) > last], "mark"
    have = collections.Counter(identity(m) for m in dest)
    todo = []
    for msg in sorted(staging, key=lambda m: int(m["uid"])):
        key = identity(msg)
        if have[key] > 0:
            have[key] -= 1
        else:
            todo.append(msg)
    return todo, "identity"


def compare_folder(name: str, source: dict | None, staging: list[dict], dest: list[dict]) -> dict:
    """Verification of one folder. `source`: {"messages", "vsize"} as the legacy server reports them
    (None: the folder is gone from the source). The folder is equal when the staging copy holds what
    the source reports and every staging message is in the live folder; mail of the live folder that
    is not from the source (delivered there) is counted apart and never an error."""
    want = collections.Counter(identity(m) for m in staging)
    have = collections.Counter(identity(m) for m in dest)
    found = want & have
    missing = want - have
    extra = have - want
    row = {
        "folder": name,
        "source_messages": int(source["messages"]) if source else None,
        "source_bytes": int(source["vsize"]) if source else None,
        "staging_messages": len(staging),
        "staging_bytes": sum(int(m.get("size.virtual") or 0) for m in staging),
        "dest_messages": sum(found.values()),
        "dest_bytes": sum(k[2] * n for k, n in found.items()),
        "missing_messages": sum(missing.values()),
        "missing_bytes": sum(k[2] * n for k, n in missing.items()),
        "extra_messages": sum(extra.values()),
        "extra_bytes": sum(k[2] * n for k, n in extra.items()),
    }
    row["equal"] = (source is not None
                    and row["source_messages"] == row["staging_messages"] == row["dest_messages"]
                    and row["source_bytes"] == row["staging_bytes"] == row["dest_bytes"])
    return row


def quota_check(usage_kib: int | None, limit_kib: int | None, bytes_to_copy: int) -> dict | None:
    """None when the copy fits the destination's quota, else what the report says: how much is needed,
    the limit, and how much over (bytes). `limit_kib` None: no limit."""
    if limit_kib is None or bytes_to_copy == 0:
        return None
    used = (usage_kib or 0) * 1024
    limit = limit_kib * 1024
    if used + bytes_to_copy <= limit:
        return None
    return {"used_bytes": used, "copy_bytes": bytes_to_copy, "limit_bytes": limit,
            "over_bytes": used + bytes_to_copy - limit}


def cell(value) -> str:
    return "-" if value is None else str(value)


def mib(n: int | None) -> str:
    return "-" if n is None else f"{n / 1048576:.1f}"


def summarize(results: list[dict]) -> dict:
    """Totals of a run and whether it passed: every mailbox `ok` and every folder equal."""
    bad = [r["address"] for r in results if r.get("status") not in ("ok", "dry_run")]
    return {
        "mailboxes": len(results),
        "ok": len(results) - len(bad),
        "failed": bad,
        "source_messages": sum(r.get("source_messages") or 0 for r in results),
        "source_bytes": sum(r.get("source_bytes") or 0 for r in results),
        "copied_messages": sum(r.get("copied_messages") or 0 for r in results),
        "copied_bytes": sum(r.get("copied_bytes") or 0 for r in results),
        "passed": not bad,
    }


MODE_VI = {"pass": "lần chép", "dry-run": "chạy thử"}
STATUS_VI = {
    "ok": "Khớp",
    "differs": "KHÁC NHAU",
    "over_quota": "VƯỢT HẠN MỨC",
    "error": "LỖI",
    "dry_run": "Chạy thử (chưa chép)",
}


def render_markdown(report: dict) -> str:
    """The verification report the provincial operator reads (Vietnamese)."""
    s = report["summary"]
    verdict = "ĐẠT" if s["passed"] else "KHÔNG ĐẠT"
    if report.get("mode") == "dry-run":
        verdict = ("chạy thử, chưa chép thư nào" if s["passed"]
                   else "chạy thử, chưa chép thư nào; có hộp thư không chuyển được")
    out = [
        "# Báo cáo đối chiếu chuyển thư",
        "",
        f"- Máy chủ nguồn: `{report.get('source_host', '')}`",
        f"- Thời điểm: {report.get('finished', '')} ({MODE_VI.get(report.get('mode'), report.get('mode', ''))})",
        f"- Hộp thư: {s['mailboxes']}, khớp: {s['ok']}, có vấn đề: {len(s['failed'])}",
        f"- Thư ở nguồn: {s['source_messages']} ({mib(s['source_bytes'])} MB); chép lần này: "
        f"{s['copied_messages']} ({mib(s['copied_bytes'])} MB)",
        f"- Kết luận: **{verdict}**",
        "",
    ]
    for r in report["mailboxes"]:
        out.append(f"## {r['address']} ← {r.get('source_user', '')}: {STATUS_VI.get(r.get('status'), r.get('status'))}")
        out.append("")
        if r.get("error"):
            out += [f"> {r['error']['vi']}", ""]
        if r.get("quota"):
            q = r["quota"]
            out += [f"> Vượt hạn mức {mib(q['over_bytes'])} MB: đang dùng {mib(q['used_bytes'])} MB, cần chép "
                    f"{mib(q['copy_bytes'])} MB, hạn mức {mib(q['limit_bytes'])} MB. Chưa chép thư nào; "
                    "nâng hạn mức (roster, `quota`) rồi chạy lại.", ""]
        if r.get("folders"):
            out += ["| Thư mục | Nguồn: thư | Nguồn: MB | Đích: thư | Đích: MB | Thiếu | Thư riêng ở đích | Khớp |",
                    "|---|---:|---:|---:|---:|---:|---:|:---:|"]
            for f in r["folders"]:
                # a dry run's rows have the live folder's totals and no comparison
                out.append(
                    f"| {f['folder']} | {cell(f.get('source_messages'))} | {mib(f.get('source_bytes'))} | "
                    f"{cell(f.get('dest_messages'))} | {mib(f.get('dest_bytes'))} | {cell(f.get('missing_messages'))} "
                    f"| {cell(f.get('extra_messages'))} | {'✓' if f.get('equal') else '✗'} |")
            out.append("")
    out += ["„Thư riêng ở đích“: thư nhận tại hệ thống mới hoặc đã xoá ở nguồn sau lần chép trước; "
            "không bao giờ bị xoá.", ""]
    return "\n".join(out)


CSV_FIELDS = ["address", "source_user", "status", "folder", "source_messages", "source_bytes",
              "dest_messages", "dest_bytes", "missing_messages", "extra_messages", "equal"]


def render_csv(report: dict) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for r in report["mailboxes"]:
        base = {"address": r["address"], "source_user": r.get("source_user", ""), "status": r.get("status")}
        if not r.get("folders"):
            writer.writerow(base)
        for f in r.get("folders") or []:
            writer.writerow({**base, **f})
    return buf.getvalue()


# --- Dovecot -----------------------------------------------------------------------------------------


def conf_value(value: str) -> str:
    """A value for dovecot.conf, quoted (a password may hold spaces, # or quotes)."""
    if "\n" in value or "\r" in value:
        raise MigrateError("bad_secret", "Mật khẩu có ký tự xuống dòng", "the password holds a line break")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Dovecot:
    def __init__(self, settings: dict, address: str, source_user: str, secret: str, workdir: str):
        self.s, self.address, self.source_user = settings, address, source_user
        self.config = os.path.join(workdir, "imapc.conf")
        lines = [f"!include {settings['dovecot_config']}",
                 f"imapc_host = {settings['source_host']}",
                 f"imapc_port = {int(settings['source_port'])}",
                 f"imapc_ssl = {settings['source_tls']}",
                 f"imapc_ssl_verify = {'yes' if settings.get('source_tls_verify', True) else 'no'}",
                 f"imapc_features = {settings['imapc_features']}",
                 f"mail_prefetch_count = {int(settings['prefetch_count'])}",
                 f"imapc_password = {conf_value(secret)}"]
        if settings.get("source_ca_file"):
            lines.append(f"ssl_client_ca_file = {settings['source_ca_file']}")
        if settings.get("master_user"):
            lines.append(f"imapc_master_user = {settings['master_user']}")
        fd = os.open(self.config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        self.staging = os.path.join(settings["staging_root"], address, "Maildir")

    def run(self, argv: list[str], config: bool = False, check: bool = True, timeout: int = 86400):
        cmd = ["doveadm"] + (["-c", self.config] if config else []) + argv
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            err = " ".join(line for line in proc.stderr.splitlines() if "Info:" not in line)[-800:]
            what = next((a for a in argv if a in DOVEADM_COMMANDS), argv[0])
            raise MigrateError("doveadm", f"Lệnh doveadm {what} thất bại: {err}",
                               f"doveadm {what} failed ({proc.returncode}): {err}")
        return proc

    def json(self, argv: list[str], config: bool = False):
        out = self.run(["-f", "json", *argv], config=config).stdout.strip()
        return json.loads(out) if out else []

    # the three views of the mailbox
    def source_opts(self) -> list[str]:
        return ["-o", "mail_location=imapc:", "-o", f"imapc_user={self.source_user}", "-o", "mail_plugins="]

    def staging_opts(self) -> list[str]:
        return ["-o", f"mail_location=maildir:{self.staging}", "-o", "mail_plugins="]

    def user_exists(self) -> bool:
        proc = self.run(["user", self.address], check=False)
        if proc.returncode == 0:
            return True
        if proc.returncode == 67:  # EX_NOUSER
            return False
        raise MigrateError("userdb", f"Không tra được người dùng {self.address}: {proc.stderr.strip()[-300:]}",
                           f"userdb lookup of {self.address} failed: {proc.stderr.strip()[-300:]}")

    def source_status(self) -> dict[str, dict]:
        try:
            rows = self.json([*self.source_opts(), "mailbox", "status", "-u", self.address,
                              "messages vsize uidvalidity", "*"], config=True)
        except MigrateError as exc:
            raise MigrateError("source_login",
                               f"Không đọc được hộp thư nguồn {self.source_user} trên {self.s['source_host']}: "
                               f"{exc.en}",
                               f"cannot read the source mailbox {self.source_user} on {self.s['source_host']}: "
                               f"{exc.en}") from exc
        return {r["mailbox"]: r for r in rows if not self.excluded(r["mailbox"])}

    def excluded(self, name: str) -> bool:
        return any(name == p.rstrip("/") or name.startswith(p) for p in self.s.get("exclude_prefixes", []))

    def backup_to_staging(self) -> None:
        os.makedirs(os.path.dirname(self.staging), exist_ok=True)
        owner = pwd.getpwnam(self.s["mail_owner"])
        for path in (os.path.dirname(self.staging),):
            os.chown(path, owner.pw_uid, owner.pw_gid)
            os.chmod(path, 0o700)
        self.run([*self.source_opts()[2:4], *self.staging_opts(), "backup", "-R", "-u", self.address, "imapc:"],
                 config=True)

    def staging_messages(self) -> list[dict]:
        return self.json([*self.staging_opts(), "fetch", "-u", self.address,
                          "mailbox uid date.received.unixtime size.virtual hdr.message-id", "all"])

    def staging_subscriptions(self) -> list[str]:
        return [r["mailbox"] for r in self.json([*self.staging_opts(), "mailbox", "list", "-s", "-u", self.address])]

    def dest_folders(self) -> set[str]:
        return {r["mailbox"] for r in self.json(["mailbox", "list", "-u", self.address])}

    def dest_subscriptions(self) -> set[str]:
        return {r["mailbox"] for r in self.json(["mailbox", "list", "-s", "-u", self.address])}

    def dest_messages(self, folder: str) -> list[dict]:
        return self.json(["fetch", "-u", self.address,
                          "uid date.received.unixtime size.virtual hdr.message-id", "mailbox", folder, "all"])

    def quota(self) -> tuple[int | None, int | None]:
        for row in self.json(["quota", "get", "-u", self.address]):
            if row.get("type") == "STORAGE":
                limit = row.get("limit")
                return int(row.get("value") or 0), (None if limit in (None, "", "-") else int(limit))
        return None, None


# --- state on the host -------------------------------------------------------------------------------


def state_path(settings: dict, address: str) -> str:
    return os.path.join(settings["state_dir"], f"{address}.json")


def load_state(settings: dict, address: str, source_user: str) -> dict:
    try:
        with open(state_path(settings, address), encoding="utf-8") as handle:
            state = json.load(handle)
    except FileNotFoundError:
        return {"source_user": source_user, "folders": {}}
    if state.get("source_user") != source_user:  # another source: identities decide, not UIDs
        return {"source_user": source_user, "folders": {}}
    return state


def save_state(settings: dict, address: str, state: dict) -> None:
    path = state_path(settings, address)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(state, handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


# --- commands ------------------------------------------------------------------------------------------


def cmd_check(dv: Dovecot) -> tuple[dict, dict]:
    """Before anything is copied: the destination exists in the directory, the source opens. The
    result, and the source's folders."""
    result = {"address": dv.address, "source_user": dv.source_user}
    if not dv.user_exists():
        raise MigrateError("no_destination",
                           f"Hộp thư đích {dv.address} không có trong danh bạ (thêm vào roster trước)",
                           f"destination mailbox {dv.address} does not exist in the directory")
    status = dv.source_status()
    result["source_messages"] = sum(int(r["messages"]) for r in status.values())
    result["source_bytes"] = sum(int(r["vsize"]) for r in status.values())
    result["source_folders"] = len(status)
    return result, status


def cmd_pass(dv: Dovecot, dry_run: bool) -> dict:
    t0 = time.monotonic()
    result, source = cmd_check(dv)
    result.update({"status": "ok", "copied_messages": 0, "copied_bytes": 0, "folders": []})
    state = load_state(dv.s, dv.address, dv.source_user)
    if dry_run:
        # read-only: the staging copy and the live mailbox are not touched
        result["status"] = "dry_run"
        have = {r["mailbox"]: r for r in dv.json(["mailbox", "status", "-u", dv.address, "messages vsize", "*"])}
        for name, row in sorted(source.items()):
            done = state["folders"].get(name, {})
            live = have.get(name)
            result["folders"].append({"folder": name, "source_messages": int(row["messages"]),
                                      "source_bytes": int(row["vsize"]), "exists_in_destination": live is not None,
                                      "dest_messages": int(live["messages"]) if live else None,
                                      "dest_bytes": int(live["vsize"]) if live else None,
                                      "missing_messages": None, "extra_messages": None,
                                      "imported_before": int(done.get("imported", 0)), "equal": False})
        result["seconds"] = round(time.monotonic() - t0, 2)
        return result

    dv.backup_to_staging()
    staged = collections.defaultdict(list)
    for msg in dv.staging_messages():
        staged[msg["mailbox"]].append(msg)
    dest_folders = dv.dest_folders()
    dest = {name: (dv.dest_messages(name) if name in dest_folders else []) for name in source}

    plan = {}
    for name, row in source.items():
        plan[name] = messages_to_copy(staged.get(name, []), dest[name], state["folders"].get(name),
                                      int(row["uidvalidity"]))
    copy_bytes = sum(int(m["size.virtual"]) for todo, _ in plan.values() for m in todo)
    over = quota_check(*dv.quota(), copy_bytes)
    if over:
        result["status"] = "over_quota"
        result["quota"] = over
        result["error"] = {
            "code": "over_quota",
            "vi": f"Hộp thư {dv.address} vượt hạn mức {mib(over['over_bytes'])} MB nếu chép "
                  f"{mib(copy_bytes)} MB (hạn mức {mib(over['limit_bytes'])} MB, đang dùng "
                  f"{mib(over['used_bytes'])} MB); chưa chép thư nào",
            "en": f"{dv.address}: copying {copy_bytes} bytes would exceed the quota of {over['limit_bytes']} bytes "
                  f"by {over['over_bytes']} bytes; nothing copied",
        }
    else:
        for name in sorted(source, key=lambda n: (n.count("/"), n)):
            todo, _how = plan[name]
            if name not in dest_folders:
                dv.run(["mailbox", "create", "-u", dv.address, name])
            if todo:
                folder_state = state["folders"].setdefault(name, {})
                folder_state["dirty"] = True
                save_state(dv.s, dv.address, state)
                # the staging copy is opened as its own namespace, whose separator is Maildir++'s "."
                dv.run(["import", "-u", dv.address, f"maildir:{dv.staging}", "", "mailbox",
                        name.replace(dv.s.get("separator", "/"), "."),
                        "uid", uid_set([int(m["uid"]) for m in todo])])
                result["copied_messages"] += len(todo)
                result["copied_bytes"] += sum(int(m["size.virtual"]) for m in todo)
            staged_uids = [int(m["uid"]) for m in staged.get(name, [])]
            previous = state["folders"].get(name, {})
            state["folders"][name] = {
                "uidvalidity": int(source[name]["uidvalidity"]),
                "last_uid": max(staged_uids + [int(previous.get("last_uid", 0))]),
                "imported": int(previous.get("imported", 0)) + len(todo),
                "dirty": False,
            }
            save_state(dv.s, dv.address, state)
        want = set(dv.staging_subscriptions()) & set(source)
        missing_subs = sorted(want - dv.dest_subscriptions())
        if missing_subs:
            dv.run(["mailbox", "subscribe", "-u", dv.address, *missing_subs])
        dest = {name: dv.dest_messages(name) for name in source}

    rows = [compare_folder(name, source.get(name), staged.get(name, []), dest.get(name, [])) for name in sorted(source)]
    result["folders"] = rows
    if result["status"] == "ok" and not all(r["equal"] for r in rows):
        result["status"] = "differs"
        bad = ", ".join(r["folder"] for r in rows if not r["equal"])
        result["error"] = {"code": "differs", "vi": f"Số thư hoặc dung lượng không khớp ở: {bad}",
                           "en": f"messages or bytes differ in: {bad}"}
    result["seconds"] = round(time.monotonic() - t0, 2)
    return result


def cmd_report(path: str, out_dir: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        report = json.load(handle)
    report["summary"] = summarize(report["mailboxes"])
    os.makedirs(out_dir, exist_ok=True)
    files = {"migrate-report.json": json.dumps(report, ensure_ascii=False, indent=1) + "\n",
             "migrate-report.md": render_markdown(report),
             "migrate-report.csv": render_csv(report)}
    for name, text in files.items():
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as handle:
            handle.write(text)
    return report["summary"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="congvu-migrate", description=__doc__.split("\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("check", "pass"):
        p = sub.add_parser(name)
        p.add_argument("--settings", required=True)
        p.add_argument("--address", required=True)
        p.add_argument("--source-user", required=True)
        if name == "pass":
            p.add_argument("--dry-run", action="store_true")
    p = sub.add_parser("report")
    p.add_argument("--input", required=True)
    p.add_argument("--out-dir", required=True)
    args = parser.parse_args(argv)

    if args.command == "report":
        print(json.dumps(cmd_report(args.input, args.out_dir), ensure_ascii=False))
        return 0

    with open(args.settings, encoding="utf-8") as handle:
        settings = json.load(handle)
    secret = json.loads(sys.stdin.read() or "{}").get("password", "")
    if not secret and settings.get("master_password_file"):
        with open(settings["master_password_file"], encoding="utf-8") as handle:
            secret = handle.read().strip()
    os.makedirs(settings["run_dir"], mode=0o700, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="pass-", dir=settings["run_dir"])
    result: dict = {"address": args.address, "source_user": args.source_user}
    try:
        dv = Dovecot(settings, args.address, args.source_user, secret, workdir)
        result = cmd_check(dv)[0] if args.command == "check" else cmd_pass(dv, args.dry_run)
        result.setdefault("status", "ok")
    except MigrateError as exc:
        result.update({"status": "error", "error": exc.as_dict()})
    except Exception as exc:  # the playbook hides this command's output (no_log): say it in the result
        text = f"{type(exc).__name__}: {exc}"[-800:]
        error = {"code": "internal", "vi": f"Lỗi khi chuyển {args.address}: {text}", "en": f"{args.address}: {text}"}
        result.update({"status": "error", "error": error})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
