"""The restore helper of role backup (roles/backup/files/congvu-restore-mail) on an sdbox store, the mail
pair's (Art. 16.5, docs/backup.md): real files in a temporary folder, the script run as the playbook runs it.
The Maildir cases are run by the molecule scenario `backup` against a real Dovecot."""

import json
import os
import subprocess
import sys

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "roles", "backup", "files", "congvu-restore-mail")


def sdbox(home, uids):
    """An sdbox mailbox as Dovecot lays it out: the INBOX's message files and its index."""
    mails = os.path.join(home, "sdbox", "mailboxes", "INBOX", "dbox-Mails")
    os.makedirs(mails)
    for uid in uids:
        with open(os.path.join(mails, f"u.{uid}"), "w", encoding="utf-8") as handle:
            handle.write(f"message {uid}\n")
    with open(os.path.join(mails, "dovecot.index"), "w", encoding="utf-8") as handle:
        handle.write(f"index of {len(uids)}\n")


def place(tmp_path, *folders):
    r = subprocess.run([sys.executable, SCRIPT, "place", "--staging", str(tmp_path / "staging"), "--mail-root",
                        str(tmp_path / "vmail"), "--folder-name", "restored-2026-12-06", *folders],
                       capture_output=True, text=True, check=True)
    return {row["folder"]: row for row in json.loads(r.stdout)["restored"]}


def test_art16_5_an_sdbox_mailbox_lost_from_the_store_comes_back_whole(tmp_path):
    sdbox(tmp_path / "staging" / "qb" / "people" / "TT0001", [1, 2, 3])
    report = place(tmp_path, "qb/people/TT0001")
    assert report["qb/people/TT0001"] == {"folder": "qb/people/TT0001", "result": "in place", "messages": 3}
    mails = tmp_path / "vmail" / "qb" / "people" / "TT0001" / "sdbox" / "mailboxes" / "INBOX" / "dbox-Mails"
    assert sorted(os.listdir(mails)) == ["dovecot.index", "u.1", "u.2", "u.3"]


def test_art16_5_an_sdbox_mailbox_that_has_mail_is_left_as_it_is_and_named(tmp_path):
    sdbox(tmp_path / "staging" / "qb" / "people" / "TT0002", [1, 2, 3])
    sdbox(tmp_path / "vmail" / "qb" / "people" / "TT0002", [1, 7])
    report = place(tmp_path, "qb/people/TT0002")
    assert report["qb/people/TT0002"]["result"].startswith("not restored: a live sdbox mailbox")
    assert report["qb/people/TT0002"]["messages"] == 0
    live = tmp_path / "vmail" / "qb" / "people" / "TT0002" / "sdbox" / "mailboxes" / "INBOX" / "dbox-Mails"
    assert sorted(os.listdir(live)) == ["dovecot.index", "u.1", "u.7"]
    assert (live / "u.1").read_text() == "message 1\n" and (live / "dovecot.index").read_text() == "index of 2\n"
    # the extracted copy stays where the report says, for doveadm import
    assert (tmp_path / "staging" / "qb" / "people" / "TT0002" / "sdbox").is_dir()


def test_art16_5_a_live_sdbox_mailbox_without_mail_is_left_for_dovecot_too(tmp_path):
    """Its owner deleted everything: on the pair the other replica remembers those expunges, so files put back
    under the same UIDs could be expunged again by the next dsync; Dovecot's import gives them new ones."""
    sdbox(tmp_path / "staging" / "qb" / "people" / "TT0004", [1, 2])
    sdbox(tmp_path / "vmail" / "qb" / "people" / "TT0004", [])
    report = place(tmp_path, "qb/people/TT0004")
    assert report["qb/people/TT0004"]["result"].startswith("not restored: a live sdbox mailbox")
    live = tmp_path / "vmail" / "qb" / "people" / "TT0004" / "sdbox" / "mailboxes" / "INBOX" / "dbox-Mails"
    assert sorted(os.listdir(live)) == ["dovecot.index"]


def test_art16_5_a_restore_of_everything_finds_the_sdbox_mailboxes(tmp_path):
    sdbox(tmp_path / "staging" / "qb" / "people" / "TT0003", [1])
    sdbox(tmp_path / "staging" / "qb" / "agencies" / "stttt", [4, 5])
    report = place(tmp_path)
    assert {k: v["messages"] for k, v in report.items()} == {"qb/agencies/stttt": 2, "qb/people/TT0003": 1}
