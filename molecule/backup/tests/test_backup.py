"""Backups (role `backup`) and the restore drill (playbooks/restore.yml), Art. 16.5.

The tests run in file order and build on each other: a small province is reconciled into the
directory from the controller (playbooks/roster.yml, as an operator does), mail is delivered into
its mailboxes, the timer's service is started, then the drill destroys the mail store and the
directory database and restores them with playbooks/restore.yml from the controller.
"""

import json
import os
import shlex
import shutil
import subprocess
import time

import pytest

ROOT = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
INVENTORY = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
HOSTNAME = "congvu-backup"  # the inventory name: the archives' prefix
DOMAIN = "quangbinh.gov.vn"
BASE = "dc=quangbinh,dc=gov,dc=vn"
MAIL_ROOT = "/var/vmail"
STORE = f"{MAIL_ROOT}/{DOMAIN}"
METRICS = "/var/lib/prometheus/node-exporter/congvu_backup.prom"
PASSPHRASE = "/etc/congvu/backup/passphrase"
BORG = ("BORG_REPO=/srv/backup/congvu BORG_PASSCOMMAND='cat /etc/congvu/backup/passphrase' "
        "BORG_RELOCATED_REPO_ACCESS_IS_OK=no borg")
# the regulation the scenario's converge.yml runs under: the tests' playbook runs say it too
PROFILE = "ninhbinh-2025"
AGENCIES = ("stttt", "badon")  # two agencies of the demo roster (about 50 mailboxes)

# Left out of the directory comparison, because the live services change them with every bind
# (Dovecot and Postfix bind as their service accounts all the time, users log in; slapd's lastbind
# writes the time): pwdLastSuccess and pwdFailureTime; of the entries that record a last bind, the
# entryCSN and modifyTimestamp that this write moves; contextCSN, the newest CSN of a database.
# Everything else, entryUUID, createTimestamp, creatorsName, pwdChangedTime, pwdReset, and every
# attribute of the entries that did not bind, must come back as it was (slapadd keeps them).
VOLATILE = {"pwdlastsuccess", "pwdfailuretime", "contextcsn"}
MOVED_BY_BIND = {"entrycsn", "modifytimestamp"}

SHARED = {}  # what a test leaves for a later one


def sh(host, command):
    return host.run(command)


def must(host, command):
    r = host.run(command)
    assert r.rc == 0, f"{command}: rc={r.rc}\n{r.stdout}\n{r.stderr}"
    return r.stdout


def metrics(host):
    values = {}
    for line in host.file(METRICS).content_string.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def archives(host, glob="*"):
    out = must(host, f"{BORG} list --short --glob-archives {shlex.quote(glob)}")
    return out.split()


def run_backup(host):
    """Start the timer's service as the timer does; `systemctl start` waits for a oneshot's end."""
    return host.run("systemctl start congvu-backup.service")


def playbook(name, *extra):
    argv = ["ansible-playbook", "-i", INVENTORY, os.path.join(ROOT, "playbooks", name),
            "-e", f"congvu__profile={PROFILE}", *extra]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=1200)
    return proc.returncode, proc.stdout + proc.stderr


def message_sums(host, top=STORE):
    """sha256 of every message file, keyed by its folder and its Maildir unique name: Dovecot moves a
    message from new/ to cur/ and adds flags to the name (`:2,S`); the message is the same file."""
    out = must(host, f"[ -d {top} ] || exit 0; cd {top} && find . -path '*/cur/*' -type f -o -path '*/new/*' "
                     "-type f | sort | xargs -r -d '\\n' sha256sum")
    sums = {}
    for line in out.splitlines():
        digest, path = line.split(None, 1)
        folder, _, filename = path.rsplit("/", 2)
        sums[f"{folder}/{filename.split(':', 1)[0]}"] = digest
    return sums


def key_of(host, folder, subject):
    """The message_sums key of the message with `subject` in a Maildir folder (grep of the files)."""
    path = must(host, f"grep -l -r -F {shlex.quote('Subject: ' + subject)} {folder}/cur {folder}/new").split()[0]
    folder = os.path.relpath(os.path.dirname(os.path.dirname(path)), STORE)
    return f"./{folder}/{os.path.basename(path).split(':')[0]}"


def directory_dump(host, base):
    """Every entry of a database with all its attributes, operational ones too, as sorted lines."""
    r = host.run(f"ldapsearch -LLL -o ldif-wrap=no -Q -Y EXTERNAL -H ldapi:/// -b {shlex.quote(base)} "
                 "'(objectClass=*)' '*' '+'")
    assert r.rc in (0, 32), r.stderr
    entries = {}
    for block in r.stdout.strip().split("\n\n"):
        lines = block.splitlines()
        if not lines:
            continue
        names = {line.split(":", 1)[0].lower() for line in lines}
        drop = VOLATILE | (MOVED_BY_BIND if "pwdlastsuccess" in names else set())
        entries[lines[0]] = sorted(x for x in lines[1:] if x.split(":", 1)[0].lower() not in drop)
    return entries


def password_of(host, address):
    agency = address.split("@")[0].split(".")[-1]
    out = must(host, f"grep -h '^{address},' /var/lib/congvu/initial-passwords/{agency}.csv | tail -n 1")
    return out.strip().split(",")[1]


# --- the province and its mail -------------------------------------------------------------------

@pytest.fixture(scope="module")
def province(host, tmp_path_factory):
    """Mailboxes reconciled from the demo roster of two agencies, with mail in each."""
    if "people" not in SHARED:
        folder = str(tmp_path_factory.mktemp("roster") / "roster")
        os.makedirs(folder)
        for code in AGENCIES:
            shutil.copy(os.path.join(ROOT, "inventories", "demo", "roster", f"{code}.yml"), folder)
        rc, out = playbook("roster.yml", "-e", f"roster_path={folder}")
        assert rc == 0, out[-3000:]
        ldif = must(host, "ldapsearch -LLL -o ldif-wrap=no -Q -Y EXTERNAL -H ldapi:/// "
                          f"-b ou=people,{BASE} '(objectClass=congvuMailbox)' uid mail departmentNumber")
        people = []
        for block in ldif.strip().split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            people.append({"uid": fields["uid"], "mail": fields["mail"], "agency": fields["departmentNumber"]})
        assert len(people) > 30
        SHARED["people"] = sorted(people, key=lambda p: p["uid"])
        deliver_all(host, SHARED["people"])
    return SHARED["people"]


def maildir(person):
    return f"{STORE}/people/{person['uid']}/Maildir"


PASSWORD = "Khoi-phuc-2026!"  # chosen at the first login by the people who read mail in the tests


def python(host, code):
    r = host.run("python3 - <<'PYEOF'\n" + code + "\nPYEOF")
    assert r.rc == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else None


def subject(n, i):
    return f"Cong van so {n}-{i}"  # ASCII: found as is in the file (a UTF-8 subject is MIME-encoded)


def body(n, i):
    return f"Kính gửi đồng chí: nội dung công văn {n}-{i}. Đề nghị đồng chí xử lý."


def deliver_all(host, people):
    """Mail as it really arrives: SMTP to Postfix on port 25, LMTP to Dovecot, Maildir on disk."""
    must(host, f"rm -rf {STORE}/people {STORE}/agencies/*/Maildir")  # verify may run more than once
    recipients = [(n, i, p["mail"]) for n, p in enumerate(people) for i in range(2)]
    recipients.append((999, 0, f"stttt@{DOMAIN}"))
    python(host, f"""
import json, smtplib
from email.message import EmailMessage
s = smtplib.SMTP("localhost", 25, timeout=120)
for n, i, to in {json.dumps(recipients)}:
    msg = EmailMessage()
    msg["From"], msg["To"] = "vanthu@hatinh.gov.vn", to
    msg["Subject"] = "Cong van so %d-%d" % (n, i)
    msg.set_content("Kính gửi đồng chí: nội dung công văn %d-%d. Đề nghị đồng chí xử lý." % (n, i))
    s.send_message(msg)
s.quit()
print(json.dumps(True))
""")
    # first login (Art. 4.3): the readers choose their password; one keeps a Sent folder
    for person in people[:4]:
        dn = f"uid={person['uid']},ou=people,{BASE}"
        host.run(f"ldappasswd -x -H ldapi:/// -D {dn} -w {shlex.quote(password_of(host, person['mail']))} "
                 f"-s {shlex.quote(PASSWORD)}")  # fails on a second verify: already chosen
        must(host, f"ldapwhoami -x -H ldapi:/// -D {dn} -w {shlex.quote(PASSWORD)}")
    must(host, "doveadm auth cache flush")
    python(host, f"""
import imaplib, json, ssl, time
from email.message import EmailMessage
m = imaplib.IMAP4("localhost", 143)
m.starttls(ssl_context=ssl.create_default_context())
m.login({people[0]["mail"]!r}, {PASSWORD!r})
m.create("Sent")
msg = EmailMessage()
msg["From"], msg["To"], msg["Subject"] = {people[0]["mail"]!r}, "stttt@{DOMAIN}", "Bao cao tuan"
msg.set_content("Đã gửi báo cáo.")
typ, _ = m.append("Sent", "\\\\Seen", imaplib.Time2Internaldate(time.time()), msg.as_bytes())
assert typ == "OK"
m.logout()
print(json.dumps(True))
""")
    want = len(recipients) + 1
    for _ in range(120):
        if len(message_sums(host)) >= want:
            break
        time.sleep(1)
    assert len(message_sums(host)) == want


def imap_read(host, person, subject_text):
    """Log in by IMAP (STARTTLS) as the person, find the message by subject, return its text."""
    return python(host, f"""
import email, imaplib, json, ssl
m = imaplib.IMAP4("localhost", 143)
m.starttls(ssl_context=ssl.create_default_context())
m.login({person["mail"]!r}, {PASSWORD!r})
m.select("INBOX", readonly=True)
typ, data = m.uid("SEARCH", None, "SUBJECT", '"' + {subject_text!r} + '"')
uids = data[0].split()
text = None
if uids:
    typ, data = m.uid("FETCH", uids[-1], "(BODY.PEEK[])")
    text = email.message_from_bytes(data[0][1]).get_payload(decode=True).decode()
m.logout()
print(json.dumps(text))
""")


# --- the role ----------------------------------------------------------------------------------

def test_art16_5_timer_runs_the_backup_daily(host):
    assert host.service("congvu-backup.timer").is_enabled
    assert host.service("congvu-backup.timer").is_running
    shown = must(host, "systemctl show congvu-backup.timer -p TimersCalendar -p Persistent")
    assert "01:30:00" in shown and "Persistent=yes" in shown
    assert "OnFailure=congvu-backup-notify.service" in must(
        host, "systemctl show congvu-backup.service -p OnFailure")


def test_art16_5_repository_encrypted_with_a_passphrase_made_on_the_host(host):
    secret = host.file(PASSPHRASE)
    assert secret.user == "root" and secret.mode == 0o600 and len(secret.content_string) == 48
    assert host.file("/etc/congvu/backup/repokey").mode == 0o600
    info = json.loads(must(host, f"{BORG} info --json"))
    assert info["encryption"]["mode"] == "repokey-blake2"
    # without the passphrase the repository cannot be read
    r = host.run("BORG_REPO=/srv/backup/congvu BORG_PASSPHRASE=wrong borg list")
    assert r.rc == 2 and "passphrase" in (r.stderr + r.stdout).lower()


def test_art16_5_failed_slapcat_fails_the_run_loudly(host, province):
    before = archives(host)
    must(host, "mv /usr/sbin/slapcat /usr/sbin/slapcat.away")
    try:
        r = run_backup(host)
        state = host.run("systemctl is-failed congvu-backup.service").stdout.strip()
        notify = must(host, "journalctl -u congvu-backup-notify.service --no-pager")
        alert = must(host, "journalctl -t congvu-backup -p err --no-pager")
    finally:
        must(host, "mv /usr/sbin/slapcat.away /usr/sbin/slapcat")
    assert r.rc != 0
    assert state == "failed"
    m = metrics(host)
    assert m["congvu_backup_last_run_success"] == 0
    assert m['congvu_backup_last_run_failed_step{step="slapcat"}'] == 1
    # nothing after the failed export was archived: no archive without the directory
    assert archives(host) == before
    # the failure report ran: the journal at priority err, and the mail (or why there is none)
    assert "BACKUP FAILED" in alert
    assert "operators" in notify
    must(host, "systemctl reset-failed congvu-backup.service")


def test_art16_5_backup_saves_mail_directory_configuration_and_keys(host, province):
    started = time.time() - 5
    r = run_backup(host)
    assert r.rc == 0, must(host, "journalctl -u congvu-backup.service -n 40 --no-pager")
    m = metrics(host)
    assert m["congvu_backup_last_run_success"] == 1
    assert m["congvu_backup_last_success_timestamp_seconds"] >= started
    assert m["congvu_backup_last_archive_size_bytes"] > 0
    assert m["congvu_backup_repository_size_bytes"] > 0
    latest = archives(host)[-1]
    assert latest.startswith(f"{HOSTNAME}-")
    listing = set(must(host, f"{BORG} list --short ::{latest}").split())
    person = province[0]
    inbox = key_of(host, maildir(person), subject(0, 1))
    sent = key_of(host, f"{maildir(person)}/.Sent", "Bao cao tuan")
    agency = key_of(host, f"{STORE}/agencies/stttt/Maildir", subject(999, 0))
    files = {p.split(":")[0] for p in listing if "/cur/" in p or "/new/" in p}
    for key in (inbox, sent, agency):
        folder, base = key[2:].rsplit("/", 1)
        assert {f"{STORE[1:]}/{folder}/cur/{base}", f"{STORE[1:]}/{folder}/new/{base}"} & files, key
    for path in ("/var/backups/congvu/ldap/db0.ldif", "/var/backups/congvu/ldap/db1.ldif",
                 "/var/backups/congvu/ldap/db2.ldif",
                 "/etc/ldap/congvu/reconcile.secret", "/etc/ldap/congvu/tls/server.key",
                 "/var/log/congvu/roster-audit.jsonl", "/var/lib/congvu/initial-passwords/stttt.csv",
                 "/etc/congvu/backup.conf"):
        assert path.lstrip("/") in listing, path
    assert not [p for p in listing if p.startswith("etc/congvu/backup/")]  # never the passphrase
    # the export is the whole directory: the people reconciled are in it
    exported = must(host, "grep -c '^dn: uid=.*,ou=people,' /var/backups/congvu/ldap/db1.ldif")
    assert int(exported) == len(province)


def test_art16_5_prune_follows_the_retention(host, province):
    # twenty days of this host's archives from long ago, and another host's archive in the same
    # repository (not this host's to prune)
    host.run(f"{BORG} delete --glob-archives '*-2020-01-*'")  # verify may run more than once
    for day in range(1, 21):
        must(host, f"{BORG} create --timestamp 2020-01-{day:02d}T12:00:00 "
                   f"::{HOSTNAME}-2020-01-{day:02d}T12:00:00Z /etc/hostname")
    must(host, f"{BORG} create ::mx2-2020-01-01T00:00:00Z /etc/hostname")
    today = [a for a in archives(host, f"{HOSTNAME}-*") if "-2020-01-" not in a]
    assert run_backup(host).rc == 0
    kept = set(archives(host, f"{HOSTNAME}-*"))
    old = {a for a in kept if a.startswith(f"{HOSTNAME}-2020-")}
    days = sorted(int(a.split("-")[-1][:2]) for a in old)
    # keep-daily 7: today's last run and the 6 latest days before it; an earlier run of today goes
    assert not kept & set(today)
    assert [15, 16, 17, 18, 19, 20] == days[-6:]
    # keep-weekly 4: the last archive of each earlier week (Sunday 12 and Sunday 5 January 2020);
    # the rest of those weeks goes
    assert 12 in days and 5 in days
    assert not {13, 14, 6, 7, 8, 9, 10, 11} & set(days)
    assert archives(host, "mx2-*") == ["mx2-2020-01-01T00:00:00Z"]
    must(host, f"{BORG} delete --glob-archives '*2020-01-*'")


# --- the restore drill -----------------------------------------------------------------------

def test_art16_5_restore_drill_everything_comes_back_identical(host, province):
    # the record first, then the backup: whatever the services write in between is in the archive
    sums = message_sums(host)
    assert len(sums) == 2 * len(province) + 2
    people = directory_dump(host, BASE)
    audit = directory_dump(host, "cn=accesslog")
    assert len(people) > len(province) and len(audit) > len(province)
    SHARED["sums"] = sums
    assert run_backup(host).rc == 0

    # the disaster: the mail store and both directory databases are gone
    must(host, "systemctl stop slapd && rm -rf /var/lib/ldap/*.mdb /var/lib/ldap/accesslog/*.mdb "
               f"&& find {MAIL_ROOT} -mindepth 1 -delete && systemctl start slapd")
    assert message_sums(host) == {}
    assert directory_dump(host, BASE) == {}

    rc, out = playbook("restore.yml")
    assert rc == 0, out[-4000:]

    assert message_sums(host) == sums  # every message byte-identical
    assert directory_dump(host, BASE) == people  # every entry, every attribute
    # the audit trail too: every record, identical (the services' binds since add records of their
    # own); its container entry cn=accesslog is written by the overlay without entryUUID and
    # timestamps, which slapadd adds: of that entry only its own attributes are compared
    restored_audit = directory_dump(host, "cn=accesslog")
    root = "dn: cn=accesslog"
    assert [x for x in restored_audit.pop(root) if x.startswith(("cn:", "objectClass:"))] == \
        [x for x in audit.pop(root) if x.startswith(("cn:", "objectClass:"))]
    assert {dn: restored_audit.get(dn) for dn in audit} == audit
    # mail belongs to vmail again (Dovecot runs as vmail)
    assert must(host, f"find {MAIL_ROOT} ! -user vmail | wc -l").strip() == "0"
    # the service works: a person binds with their password over StartTLS (certificate restored),
    # a service account with the secret on the host
    reader = province[0]
    assert imap_read(host, reader, subject(0, 1)) == body(0, 1) + "\n"  # IMAP, after the restore
    person = province[5]
    must(host, f"ldapwhoami -x -ZZ -H ldap://localhost -D uid={person['uid']},ou=people,{BASE} "
               f"-w {shlex.quote(password_of(host, person['mail']))}")
    must(host, f"ldapwhoami -x -H ldapi:/// -D cn=reconcile,ou=system,{BASE} -y /etc/ldap/congvu/reconcile.secret")
    # what the restore replaced was kept aside, not deleted
    assert must(host, "ls -d /var/backups/congvu/pre-restore-*").strip()


def test_art16_5_restore_one_person_never_overwrites_newer_mail(host, province):
    sums = SHARED["sums"]
    stttt = [p for p in province if p["agency"] == "stttt"]
    kept, gone = stttt[1], stttt[2]
    n = province.index(kept)
    SHARED["kept"] = kept
    old = key_of(host, maildir(kept), subject(n, 0))
    SHARED["old"] = old
    base = old.rsplit("/", 1)[1]
    # since the backup: `kept` deleted one message and received a new one; `gone` lost everything
    must(host, f"doveadm expunge -u {kept['mail']} mailbox INBOX subject {shlex.quote(subject(n, 0))}")
    assert old not in message_sums(host)
    python(host, f"""
import json, smtplib
s = smtplib.SMTP("localhost", 25, timeout=120)
s.sendmail("vanthu@hatinh.gov.vn", [{kept["mail"]!r}], "Subject: Thu moi\\r\\n\\r\\nSau ban sao luu.\\r\\n")
s.quit()
print(json.dumps(True))
""")
    for _ in range(60):
        if len(message_sums(host, maildir(kept))) == 2:
            break
        time.sleep(1)
    must(host, f"rm -rf {STORE}/people/{gone['uid']}")
    newer = message_sums(host, f"{maildir(kept)}")
    assert len(newer) == 2

    rc, out = playbook("restore.yml", "-e", f"restore_person={kept['mail']}", "-e", "restore_date=2026-01-02")
    assert rc == 0, out[-4000:]
    # the mailbox had mail: what it has now is untouched, the archive's copy is in restored-<date>
    now = message_sums(host, f"{maildir(kept)}")
    for path, digest in newer.items():
        assert now[path] == digest
    assert now[f"./.restored-2026-01-02/{base}"] == sums[old]
    assert f"./{base}" not in now
    assert host.file(f"{maildir(kept)}/.restored-2026-01-02/maildirfolder").exists

    # by staff id; the mailbox was gone: back in place, byte-identical; nobody else's is touched
    rc, out = playbook("restore.yml", "-e", f"restore_person={gone['uid']}")
    assert rc == 0, out[-4000:]
    prefix = f"./people/{gone['uid']}/"
    back = message_sums(host)
    assert {p: d for p, d in back.items() if p.startswith(prefix)} == \
        {p: d for p, d in sums.items() if p.startswith(prefix)}
    assert old not in back  # `kept` was not selected this time
    assert host.file(f"{STORE}/people/{gone['uid']}").user == "vmail"


def test_art16_5_restore_one_agency(host, province):
    sums = SHARED["sums"]
    badon = [p for p in province if p["agency"] == "badon"]
    must(host, " && ".join(f"rm -rf {STORE}/people/{p['uid']}" for p in badon))
    rc, out = playbook("restore.yml", "-e", "restore_agency=badon")
    assert rc == 0, out[-4000:]
    back = message_sums(host)
    for p in badon:
        prefix = f"./people/{p['uid']}/"
        mine = {k: v for k, v in sums.items() if k.startswith(prefix)}
        assert mine and {k: v for k, v in back.items() if k.startswith(prefix)} == mine
    # a stttt person's deleted message stays deleted: the agency restore is badon's only
    assert SHARED["old"] not in back
