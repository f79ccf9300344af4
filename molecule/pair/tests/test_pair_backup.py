"""Art. 16.5 on the mail pair (docs/backup.md, "The mail pair"): each node backs up its own store and its
copy of the directory; a message deleted by its owner, and gone from both replicas by dsync, comes back from
the backup with playbooks/restore.yml as the operator runs it, on both replicas, in a folder the owner sees.
The replica is not a backup: the deletion reached it within seconds.

Runs after test_cluster.py, whose roster apply made the mailboxes and wrote the initial passwords.
"""

import imaplib
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
sys.path.insert(0, os.path.dirname(__file__))
from ldaptools import PEOPLE, ROOT, sh  # noqa: E402
from polling import wait  # noqa: E402
from roster_runs import playbook  # noqa: E402
from test_mail_pair import L1, NAMES, NODE, VIRTUAL, address_of, client_context, fetched, send  # noqa: E402

# a person of the demo roster's stttt whom no other test of the pair changes
UID = "TT0014"
PASSWORD = "Sao-luu-cap-16"
TEMPORARY = "Tam-thoi-cap-16"
RESTORE_DATE = "2026-12-01"
FOLDER = f"restored-{RESTORE_DATE}"
BORG = ("BORG_REPO=/srv/backup/congvu BORG_PASSCOMMAND='cat /etc/congvu/backup/passphrase' "
        "BORG_RELOCATED_REPO_ACCESS_IS_OK=no borg")


def holding(host, address, message_id):
    """The folders of `address` that hold `message_id` on that replica (doveadm)."""
    return sorted(folder for folder, found in fetched(host, address, "mailbox hdr.message-id")
                  if found.strip() == message_id)


def imap_session(address):
    imap = imaplib.IMAP4_SSL(VIRTUAL, 993, ssl_context=client_context(), timeout=30)
    imap.login(address, PASSWORD)
    return imap


def test_art16_5_a_message_deleted_on_the_pair_comes_back_from_the_backup_on_both_replicas():
    address = address_of(UID)
    # an administrator's reset (the roster runs of the tests before may have handed out more than one
    # initial password), then the owner's own change, which the password policy asks before any login
    dn = f"uid={UID},{PEOPLE}"
    r = sh(L1, ["ldappasswd", *ROOT, "-s", TEMPORARY, dn])
    assert r.rc == 0, r.stderr
    r = sh(L1, ["ldappasswd", "-x", "-H", "ldapi:///", "-D", dn, "-w", TEMPORARY, "-a", TEMPORARY, "-s", PASSWORD])
    assert r.rc == 0, r.stderr
    message_id = f"<backup-{uuid.uuid4().hex[:8]}@example.org>"
    send(NAMES[0], address, message_id, "Kept by the backup")
    wait(lambda: all(holding(NODE[n], address, message_id) == ["INBOX"] for n in NAMES), timeout=120, step=3,
         what="the message in the INBOX of both replicas")

    # each node backs up what it holds, its store and its copy of the directory, into its own archives
    for name in NAMES:
        run = NODE[name].run("systemctl start congvu-backup.service")
        assert run.rc == 0, f"{name}: {run.stderr}"
        listed = NODE[name].run(f"{BORG} list --short")
        assert listed.rc == 0, listed.stderr
        archive = listed.stdout.split()[-1]
        assert archive.startswith(f"{name}-"), listed.stdout
        files = NODE[name].run(f"{BORG} list --short ::{archive} var/backups/congvu/ldap")
        assert "var/backups/congvu/ldap/db1.ldif" in files.stdout.split(), files.stdout

    # mail received since the backup, which the restore must leave where it is
    newer = f"<after-backup-{uuid.uuid4().hex[:8]}@example.org>"
    send(NAMES[1], address, newer, "After the backup")
    wait(lambda: all(holding(NODE[n], address, newer) == ["INBOX"] for n in NAMES), timeout=120, step=3,
         what="the newer message in the INBOX of both replicas")

    # the owner deletes the first in the mail client; dsync takes the deletion to the other replica
    with imap_session(address) as imap:
        imap.select("INBOX")
        _, found = imap.uid("SEARCH", None, "HEADER", "Message-ID", message_id)
        assert found[0].split(), "the message in the INBOX over IMAP"
        imap.uid("STORE", found[0].split()[0], "+FLAGS", "(\\Deleted)")
        imap.expunge()
    wait(lambda: not any(holding(NODE[n], address, message_id) for n in NAMES), timeout=120, step=3,
         what="the deletion on both replicas")

    # the operator's restore of one person (by staff id, looked up in the node's own directory export)
    run = playbook("restore.yml", "-e", f"restore_person={UID}", "-e", f"restore_date={RESTORE_DATE}")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert f"imported into {FOLDER} by doveadm import" in run.stdout, run.stdout[-3000:]
    assert NODE[NAMES[0]].run("ls -d /var/vmail/.congvu-restore-*").rc != 0, "the extracted copy is left behind"

    wait(lambda: all(holding(NODE[n], address, message_id) == [f"{FOLDER}/INBOX"] for n in NAMES),
         timeout=120, step=3, what=f"the message in {FOLDER}/INBOX on both replicas, once")
    assert all(holding(NODE[n], address, newer) == ["INBOX"] for n in NAMES), "the newer message moved or copied"
    # what the owner sees: the folder subscribed, the message in it, the INBOX without it
    with imap_session(address) as imap:
        _, subscribed = imap.lsub()
        assert any(f"{FOLDER}/INBOX" in line.decode() for line in subscribed), subscribed
        imap.select(f'"{FOLDER}/INBOX"', readonly=True)
        _, found = imap.uid("SEARCH", None, "HEADER", "Message-ID", message_id)
        assert len(found[0].split()) == 1
        imap.select("INBOX", readonly=True)
        _, found = imap.uid("SEARCH", None, "HEADER", "Message-ID", message_id)
        assert not found[0].split()
