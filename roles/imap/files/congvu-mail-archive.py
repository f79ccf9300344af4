#!/usr/bin/python3
"""The mail of terminated mailboxes, archived and purged (Art. 7.1): role imap, docs/mail.md "Archive".

Art. 7.1: terminating a mailbox disables the login and retires the address; the data is archived,
never silently deleted, and purging is a separate, explicit, logged step. So:

- `sync` (congvu-mail-archive.timer, daily, and after each roster run):
  - a personal mailbox terminated for ARCHIVE_AFTER_DAYS (counted from the first run that saw it
    terminated) is packed into <ARCHIVE_DIR>/<uid>-<UTC time>.tar.xz with GNU tar, compared with
    the live files (`tar --compare`), made read-only (0400), and only then its live directory goes;
  - a mailbox back in service (the roster's "reactivate") gets its latest archive back in its home,
    beside anything it received since (files it already has are kept).
  On the mail pair (docs/cluster.md) each node archives its own copy; an archive is put back only by
  the node that holds the pair's virtual address (VIRTUAL_ADDRESS), which asks Dovecot's replicator to
  bring it to the other node at once; the other node records it as `replicated` once it is there.
  An sdbox store (MAIL_FORMAT) is put back only into a home that is not there: sdbox's message list is
  Dovecot's index, which files put beside a live one would not be in. When mail arrived since the
  mailbox came back, the run fails and names the archive, for `doveadm import` (docs/mail.md). An
  archive made while the store was Maildir (before playbooks/mail_store_convert.yml) is put back, then
  imported into the sdbox store with `doveadm import`.
- `purge` lists the archives older than RETENTION_DAYS (their age is the time in their name, written
  when they were made); with `--confirm` it deletes them.
Every archive, restore and purge is a line of JSON in <ARCHIVE_DIR>/archive.log (and the journal),
with the file's SHA-256: what was kept, what was deleted, when and by whom.

Reads the directory as Dovecot's service account (uid, mail, congvuState), like congvu-agency-acl.
Each `sync` writes congvu_mail_archive.prom for node-exporter's textfile collector (TEXTFILE_DIR, when
it exists): the time of the last successful sync and whether the last one failed, for the alerts
CongvuMailArchiveLate and CongvuMailArchiveFailed (role alerting).
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

CONF = "/etc/dovecot/congvu-mail-archive.conf"
NAME = re.compile(r"^(?P<uid>[^/]+)-(?P<stamp>\d{8}T\d{6}Z)\.tar\.xz$")
STAMP = "%Y%m%dT%H%M%SZ"


def settings():
    conf = {}
    with open(CONF, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                conf[key] = value
    return conf


def people(conf):
    """{uid: (mail, congvuState)} of every personal mailbox in the directory."""
    env = dict(os.environ)
    if conf.get("LDAP_CA"):
        env["LDAPTLS_CACERT"] = conf["LDAP_CA"]
    proc = subprocess.run(
        # paged: slapd's size limit (500 by default) applies to the service account, not to a paged search
        ["ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-x", "-H", conf["LDAP_URI"], "-D", conf["LDAP_BIND_DN"],
         "-y", conf["LDAP_SECRET"], "-E", "pr=500/noprompt", "-s", "one", "-b", conf["LDAP_PEOPLE"],
         "(objectClass=congvuMailbox)", "uid", "mail", "congvuState"],
        capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        sys.exit(f"ldapsearch {conf['LDAP_PEOPLE']}: {proc.stderr.strip()}")
    found, entry = {}, {}
    for line in proc.stdout.splitlines() + [""]:
        if not line:
            if entry.get("uid"):
                found[entry["uid"]] = (entry.get("mail", ""), entry.get("congvuState", ""))
            entry = {}
            continue
        name, sep, value = line.partition(":: ")
        if sep:
            value = base64.b64decode(value).decode()
        else:
            name, _, value = line.partition(": ")
        entry.setdefault(name, value)
    return found


def now():
    return datetime.datetime.now(datetime.UTC)


def audit(conf, **record):
    """One JSON line per act in archive.log (fsynced) and on stdout (the journal)."""
    record = {"time": now().strftime("%Y-%m-%dT%H:%M:%SZ"), **record}
    line = json.dumps(record, ensure_ascii=False, sort_keys=True)
    with open(os.path.join(conf["ARCHIVE_DIR"], "archive.log"), "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    print(line, flush=True)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def archives(conf, uid=None):
    """[(time, uid, path)] of the archives, oldest first."""
    found = []
    for name in os.listdir(conf["ARCHIVE_DIR"]):
        match = NAME.match(name)
        if match and (uid is None or match["uid"] == uid):
            when = datetime.datetime.strptime(match["stamp"], STAMP).replace(tzinfo=datetime.UTC)
            found.append((when, match["uid"], os.path.join(conf["ARCHIVE_DIR"], name)))
    return sorted(found)


def restored(conf):
    """Archives already put back (so a second sync does not put them back again)."""
    done = set()
    log = os.path.join(conf["ARCHIVE_DIR"], "archive.log")
    if os.path.exists(log):
        with open(log, encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if record.get("action") in ("restored", "replicated"):
                    done.add(record["archive"])
    return done


def archive(conf, uid, address):
    parent = conf["PEOPLE_ROOT"]
    home = os.path.join(parent, uid)
    final = os.path.join(conf["ARCHIVE_DIR"], f"{uid}-{now().strftime(STAMP)}.tar.xz")
    partial = final + ".partial"
    files = sum(len(names) for _, _, names in os.walk(home))
    subprocess.run(["tar", "--create", "--xz", "--numeric-owner", "--file", partial, "--directory", parent, uid],
                   check=True)
    # the archive must hold exactly what is on disk before anything is removed
    subprocess.run(["tar", "--compare", "--xz", "--file", partial, "--directory", parent], check=True,
                   stdout=subprocess.DEVNULL)
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.chmod(partial, 0o400)
    os.rename(partial, final)
    directory = os.open(conf["ARCHIVE_DIR"], os.O_RDONLY)
    os.fsync(directory)
    os.close(directory)
    audit(conf, action="archived", uid=uid, address=address, archive=os.path.basename(final), files=files,
          bytes=os.path.getsize(final), sha256=sha256(final))
    shutil.rmtree(home)


def holds(address):
    """Whether this host has `address` on one of its interfaces (keepalived put it there)."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=True).stdout
    return any(f" {address}/" in line for line in out.splitlines())


def restore(conf, uid, address, path):
    """Put the archive back; None when done, else why not (the run then fails after the others)."""
    home = os.path.join(conf["PEOPLE_ROOT"], uid)
    if conf.get("VIRTUAL_ADDRESS") and not holds(conf["VIRTUAL_ADDRESS"]):
        if os.path.isdir(home):
            # the node that holds the address put it back and dsync brought it: done here too, so that
            # this node, holding the address after a failover, does not try again
            audit(conf, action="replicated", uid=uid, address=address, archive=os.path.basename(path))
        else:
            print(f"{uid}: put back by the node that holds {conf['VIRTUAL_ADDRESS']}, dsync brings it here")
        return None
    if conf.get("MAIL_FORMAT") == "sdbox" and os.path.isdir(home):
        return (f"{uid} ({address}) received mail since it came back and its store is sdbox: {path} is not "
                "merged into it; bring its mail back with doveadm import (docs/mail.md)")
    # --skip-old-files: what the mailbox received since it came back stays as it is
    subprocess.run(["tar", "--extract", "--xz", "--same-owner", "--numeric-owner", "--skip-old-files",
                    "--file", path, "--directory", conf["PEOPLE_ROOT"]], check=True)
    audit(conf, action="restored", uid=uid, address=address, archive=os.path.basename(path), sha256=sha256(path))
    why = import_maildir(conf, home, uid, address, path)
    if conf.get("VIRTUAL_ADDRESS"):
        replicate(address)
    return why


def replicate(address):
    """Ask Dovecot's replicator to copy the mailbox to the other node of the pair now: files put back
    change no mailbox through Dovecot, so nothing else would until the daily full sync."""
    try:
        r = subprocess.run(["doveadm", "replicator", "replicate", "-f", address],
                           capture_output=True, text=True, check=False)
        failed = r.stderr.strip() if r.returncode else None
    except OSError as exc:
        failed = str(exc)
    if failed is not None:
        print(f"WARNING: {address}: doveadm replicator replicate failed ({failed}); the daily full "
              "sync brings the mailbox to the other node", file=sys.stderr)


def import_maildir(conf, home, uid, address, path):
    """An archive made while the store was Maildir, put back into a store that is sdbox now
    (playbooks/mail_store_convert.yml): Dovecot would open the home's sdbox, empty, so the Maildir's
    folders, messages and flags go into it with Dovecot's own import. The Maildir stays in the home.
    None when done or not needed, else why not."""
    maildir = os.path.join(home, "Maildir")
    if conf.get("MAIL_FORMAT") != "sdbox" or not os.path.isdir(maildir) or os.path.isdir(os.path.join(home, "sdbox")):
        return None
    r = subprocess.run(["doveadm", "import", "-s", "-u", address, f"maildir:{maildir}", "", "all"],
                       capture_output=True, text=True, check=False)
    if r.returncode != 0:
        return (f"{uid} ({address}): {os.path.basename(path)} was put back as Maildir and the store is sdbox; "
                f"doveadm import of {maildir} failed: {r.stderr.strip()}")
    audit(conf, action="imported", uid=uid, address=address, archive=os.path.basename(path),
          source="Maildir", into="sdbox")
    return None


def sync(conf):
    seen_path = os.path.join(conf["ARCHIVE_DIR"], "terminated-since.json")
    seen = {}
    if os.path.exists(seen_path):
        with open(seen_path, encoding="utf-8") as handle:
            seen = json.load(handle)
    after = datetime.timedelta(days=int(conf["ARCHIVE_AFTER_DAYS"]))
    done = restored(conf)
    current = {}
    archived = 0
    refused = []
    for uid, (address, state) in sorted(people(conf).items()):
        home = os.path.join(conf["PEOPLE_ROOT"], uid)
        if state == "terminated":
            since = current[uid] = seen.get(uid, now().strftime(STAMP))
            since = datetime.datetime.strptime(since, STAMP).replace(tzinfo=datetime.UTC)
            if os.path.isdir(home) and now() - since >= after:
                archive(conf, uid, address)
                archived += 1
        elif state in ("active", "suspended"):
            latest = archives(conf, uid)
            if latest and os.path.basename(latest[-1][2]) not in done:
                why = restore(conf, uid, address, latest[-1][2])
                if why:
                    refused.append(why)
    with open(seen_path + ".new", "w", encoding="utf-8") as handle:
        json.dump(current, handle, indent=1, sort_keys=True)
    os.replace(seen_path + ".new", seen_path)
    if refused:
        sys.exit("\n".join(refused))
    return archived


def purge(conf, confirm, operator):
    keep = datetime.timedelta(days=int(conf["RETENTION_DAYS"]))
    due = [(when, uid, path) for when, uid, path in archives(conf) if now() - when >= keep]
    if not due:
        print(f"No archive is older than {conf['RETENTION_DAYS']} days: nothing to purge.")
    for when, uid, path in due:
        if not confirm:
            print(f"would purge {os.path.basename(path)} (uid {uid}, archived {when:%Y-%m-%d})")
            continue
        digest = sha256(path)
        os.chmod(path, 0o600)
        os.remove(path)
        audit(conf, action="purged", uid=uid, archive=os.path.basename(path), sha256=digest, operator=operator,
              retention_days=int(conf["RETENTION_DAYS"]))
    if due and not confirm:
        print("Nothing was deleted: run again with --confirm to purge these archives.")


METRICS = "congvu_mail_archive.prom"
LAST_SUCCESS = "congvu_mail_archive_last_success_timestamp_seconds"


def write_metrics(conf, failed, archived=0):
    """congvu_mail_archive.prom, written whole (the collector never reads half a file). A failed run
    keeps the time of the last success from the previous file."""
    folder = conf.get("TEXTFILE_DIR", "")
    if not folder or not os.path.isdir(folder):
        return
    path = os.path.join(folder, METRICS)
    last = None
    if failed and os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            last = next((line.split()[1] for line in handle if line.startswith(LAST_SUCCESS + " ")), None)
    elif not failed:
        last = str(int(now().timestamp()))
    lines = []
    if last is not None:
        lines += [f"# HELP {LAST_SUCCESS} End of the last successful sync of the archive job (Art. 7.1).",
                  f"# TYPE {LAST_SUCCESS} gauge",
                  f"{LAST_SUCCESS} {last}"]
    lines += ["# HELP congvu_mail_archive_last_run_failed 1 when the last sync of the archive job failed.",
              "# TYPE congvu_mail_archive_last_run_failed gauge",
              f"congvu_mail_archive_last_run_failed {1 if failed else 0}",
              "# HELP congvu_mail_archive_archived Mailboxes the last sync archived.",
              "# TYPE congvu_mail_archive_archived gauge",
              f"congvu_mail_archive_archived {archived}"]
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".congvu_mail_archive.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("sync", help="archive terminated mailboxes, restore reactivated ones")
    cut = sub.add_parser("purge", help="delete the archives older than the retention period")
    cut.add_argument("--confirm", action="store_true", help="delete (without it: only list)")
    cut.add_argument("--operator", default=os.environ.get("SUDO_USER") or os.environ.get("USER") or "root",
                     help="who decided the purge (recorded in archive.log)")
    args = parser.parse_args()
    conf = settings()
    os.makedirs(conf["ARCHIVE_DIR"], mode=0o700, exist_ok=True)
    if args.command == "sync":
        try:
            archived = sync(conf)
        except (Exception, SystemExit):
            write_metrics(conf, failed=True)
            raise
        write_metrics(conf, failed=False, archived=archived)
    else:
        purge(conf, args.confirm, args.operator)


if __name__ == "__main__":
    main()
