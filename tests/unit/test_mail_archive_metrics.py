"""The archive job of terminated mailboxes (role imap, Art. 7.1) tells Prometheus how it went:
congvu_mail_archive.prom in node-exporter's textfile folder (alerts CongvuMailArchiveLate and
CongvuMailArchiveFailed of role alerting). The directory is replaced by a function; the job's own
main() runs with its real settings file format."""

import sys

import pytest

from scripts import load

job = load("congvu_mail_archive", "roles", "imap", "files", "congvu-mail-archive.py")


@pytest.fixture()
def host(tmp_path, monkeypatch):
    textfile = tmp_path / "node-exporter"
    textfile.mkdir()
    (tmp_path / "people").mkdir()
    conf = tmp_path / "congvu-mail-archive.conf"
    conf.write_text("\n".join([
        f"PEOPLE_ROOT={tmp_path / 'people'}", f"ARCHIVE_DIR={tmp_path / 'archive'}", "ARCHIVE_AFTER_DAYS=0",
        "RETENTION_DAYS=3650", f"TEXTFILE_DIR={textfile}"]) + "\n", encoding="utf-8")
    monkeypatch.setattr(job, "CONF", str(conf))
    monkeypatch.setattr(sys, "argv", ["congvu-mail-archive", "sync"])
    return textfile / "congvu_mail_archive.prom"


def metrics(path):
    return dict(line.split() for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))


def test_a_successful_sync_records_its_time_and_no_failure(host, monkeypatch):
    monkeypatch.setattr(job, "people", lambda conf: {})
    monkeypatch.setattr(job, "now", lambda: job.datetime.datetime(2026, 12, 6, 2, 30, tzinfo=job.datetime.UTC))
    job.main()
    assert metrics(host) == {"congvu_mail_archive_last_success_timestamp_seconds": "1796524200",
                             "congvu_mail_archive_last_run_failed": "0", "congvu_mail_archive_archived": "0"}


def test_a_failed_sync_is_flagged_and_keeps_the_time_of_the_last_success(host, monkeypatch):
    monkeypatch.setattr(job, "people", lambda conf: {})
    job.main()
    last = metrics(host)["congvu_mail_archive_last_success_timestamp_seconds"]

    def unreachable(conf):
        sys.exit("ldapsearch ou=people: Can't contact LDAP server (-1)")
    monkeypatch.setattr(job, "people", unreachable)
    with pytest.raises(SystemExit):
        job.main()
    assert metrics(host) == {"congvu_mail_archive_last_success_timestamp_seconds": last,
                             "congvu_mail_archive_last_run_failed": "1", "congvu_mail_archive_archived": "0"}


def test_a_first_sync_that_fails_has_no_time_of_success(host, monkeypatch):
    monkeypatch.setattr(job, "people", lambda conf: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        job.main()
    assert metrics(host) == {"congvu_mail_archive_last_run_failed": "1", "congvu_mail_archive_archived": "0"}
