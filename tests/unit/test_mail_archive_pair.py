"""The archive job of terminated mailboxes (role imap, Art. 7.1) on the mail pair's sdbox store
(docs/cluster.md, docs/mail.md): real files and GNU tar in a temporary folder, the directory replaced by a
function, the job's own main() with its real settings file format."""

import json
import os
import sys

import pytest

from scripts import load

job = load("congvu_mail_archive", "roles", "imap", "files", "congvu-mail-archive.py")


@pytest.fixture()
def host(tmp_path, monkeypatch):
    people = tmp_path / "people"
    (people / "TT0001" / "sdbox" / "mailboxes" / "INBOX" / "dbox-Mails").mkdir(parents=True)
    (people / "TT0001" / "sdbox" / "mailboxes" / "INBOX" / "dbox-Mails" / "u.1").write_text("archived\n")
    conf = tmp_path / "congvu-mail-archive.conf"

    def settings(**extra):
        lines = [f"PEOPLE_ROOT={people}", f"ARCHIVE_DIR={tmp_path / 'archive'}", "ARCHIVE_AFTER_DAYS=0",
                 "RETENTION_DAYS=3650", f"TEXTFILE_DIR={tmp_path / 'none'}", "MAIL_FORMAT=sdbox"]
        conf.write_text("\n".join(lines + [f"{k}={v}" for k, v in extra.items()]) + "\n", encoding="utf-8")

    settings()
    monkeypatch.setattr(job, "CONF", str(conf))
    monkeypatch.setattr(sys, "argv", ["congvu-mail-archive", "sync"])
    # terminated: the first sync archives the mailbox and removes its home
    monkeypatch.setattr(job, "people", lambda c: {"TT0001": ("an.stttt@quangbinh.gov.vn", "terminated")})
    job.main()
    assert not (people / "TT0001").exists()
    monkeypatch.setattr(job, "people", lambda c: {"TT0001": ("an.stttt@quangbinh.gov.vn", "active")})
    return tmp_path, settings


def log(tmp_path):
    return [json.loads(line)["action"] for line in (tmp_path / "archive" / "archive.log").read_text().splitlines()]


def test_art7_a_mailbox_back_in_service_with_no_mail_since_gets_its_sdbox_archive_back(host):
    tmp_path, _ = host
    job.main()
    assert (tmp_path / "people" / "TT0001" / "sdbox" / "mailboxes" / "INBOX" / "dbox-Mails" / "u.1").read_text() \
        == "archived\n"
    assert log(tmp_path) == ["archived", "restored"]


def test_art7_sdbox_mail_received_since_is_never_merged_with_the_archive_and_the_run_says_so(host):
    tmp_path, _ = host
    new = tmp_path / "people" / "TT0001" / "sdbox" / "mailboxes" / "INBOX" / "dbox-Mails"
    new.mkdir(parents=True)
    (new / "u.1").write_text("arrived since\n")
    with pytest.raises(SystemExit) as failed:
        job.main()
    assert "TT0001 (an.stttt@quangbinh.gov.vn) received mail since it came back" in str(failed.value)
    assert "doveadm import" in str(failed.value)
    assert sorted(p.name for p in new.iterdir()) == ["u.1"] and (new / "u.1").read_text() == "arrived since\n"
    assert log(tmp_path) == ["archived"]


def test_art16_on_the_pair_only_the_node_holding_the_address_puts_an_archive_back(host, monkeypatch):
    tmp_path, settings = host
    settings(VIRTUAL_ADDRESS="10.20.0.100")
    monkeypatch.setattr(job, "holds", lambda address: False)
    job.main()
    assert not (tmp_path / "people" / "TT0001").exists() and log(tmp_path) == ["archived"]
    monkeypatch.setattr(job, "holds", lambda address: address == "10.20.0.100")
    job.main()
    assert (tmp_path / "people" / "TT0001" / "sdbox").is_dir() and log(tmp_path) == ["archived", "restored"]


@pytest.fixture()
def doveadm(tmp_path, monkeypatch):
    """A `doveadm` first on PATH that records its arguments (the import itself runs in molecule/mail, after
    the store's conversion); DOVEADM_RC sets its exit status."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "doveadm-calls"
    (bin_dir / "doveadm").write_text(f'#!/bin/sh\necho "$*" >> {calls}\necho "import refused" >&2\n'
                                     'exit "${DOVEADM_RC:-0}"\n')
    (bin_dir / "doveadm").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return calls


def maildir_archive(tmp_path, settings, monkeypatch):
    """The mailbox archived while the store was Maildir, then the store converted to sdbox."""
    people = tmp_path / "people"
    (people / "TT0002" / "Maildir" / "cur").mkdir(parents=True)
    (people / "TT0002" / "Maildir" / "cur" / "1.host:2,S").write_text("archived in Maildir\n")
    settings(MAIL_FORMAT="maildir")
    monkeypatch.setattr(job, "people", lambda c: {"TT0002": ("binh.stttt@quangbinh.gov.vn", "terminated")})
    job.main()
    settings()
    monkeypatch.setattr(job, "people", lambda c: {"TT0002": ("binh.stttt@quangbinh.gov.vn", "active")})
    return people / "TT0002"


def test_art7_an_archive_made_in_maildir_is_imported_into_the_sdbox_store_it_comes_back_to(host, doveadm,
                                                                                            monkeypatch):
    tmp_path, settings = host
    home = maildir_archive(tmp_path, settings, monkeypatch)
    job.main()
    assert (home / "Maildir" / "cur" / "1.host:2,S").read_text() == "archived in Maildir\n"  # kept
    assert doveadm.read_text().split() == ["import", "-s", "-u", "binh.stttt@quangbinh.gov.vn",
                                           f"maildir:{home / 'Maildir'}", "all"]
    assert log(tmp_path)[-2:] == ["restored", "imported"]


def test_art7_a_failed_import_fails_the_run_and_names_the_archive(host, doveadm, monkeypatch):
    tmp_path, settings = host
    home = maildir_archive(tmp_path, settings, monkeypatch)
    monkeypatch.setenv("DOVEADM_RC", "75")
    with pytest.raises(SystemExit) as failed:
        job.main()
    assert "TT0002 (binh.stttt@quangbinh.gov.vn): TT0002-" in str(failed.value)
    assert "doveadm import" in str(failed.value) and "import refused" in str(failed.value)
    assert (home / "Maildir").is_dir() and log(tmp_path)[-1] == "restored"


def test_art7_an_sdbox_archive_or_a_maildir_store_needs_no_import(host, doveadm, monkeypatch):
    tmp_path, settings = host
    job.main()  # TT0001's archive is sdbox
    settings(MAIL_FORMAT="maildir")
    home = maildir_archive(tmp_path, settings, monkeypatch)
    settings(MAIL_FORMAT="maildir")
    job.main()
    assert (home / "Maildir").is_dir() and not doveadm.exists()


def test_art16_the_holder_asks_the_replicator_to_copy_what_it_put_back(host, doveadm, monkeypatch):
    tmp_path, settings = host
    settings(VIRTUAL_ADDRESS="10.20.0.100")
    monkeypatch.setattr(job, "holds", lambda address: True)
    job.main()
    assert doveadm.read_text().split() == ["replicator", "replicate", "-f", "an.stttt@quangbinh.gov.vn"]


def test_art16_the_other_node_records_the_mailbox_dsync_brought_and_never_puts_it_back_after_a_failover(host,
                                                                                                        monkeypatch):
    tmp_path, settings = host
    settings(VIRTUAL_ADDRESS="10.20.0.100")
    monkeypatch.setattr(job, "holds", lambda address: False)
    # the holder put it back and dsync brought it, with mail received since
    inbox = tmp_path / "people" / "TT0001" / "sdbox" / "mailboxes" / "INBOX" / "dbox-Mails"
    inbox.mkdir(parents=True)
    (inbox / "u.1").write_text("replicated\n")
    (inbox / "u.2").write_text("arrived since\n")
    job.main()
    assert log(tmp_path) == ["archived", "replicated"]
    # this node takes the address: nothing to put back, no failure
    monkeypatch.setattr(job, "holds", lambda address: True)
    job.main()
    assert log(tmp_path) == ["archived", "replicated"]
    assert sorted(p.name for p in inbox.iterdir()) == ["u.1", "u.2"]
