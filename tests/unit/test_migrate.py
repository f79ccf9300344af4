"""The pure logic of role migrate's congvu-migrate: which messages a pass copies, the verification of a
folder, the quota check and the report (roles/migrate/files/congvu_migrate.py; docs/migration.md)."""

import csv
import io
import json
import os

import pytest

import scripts

cm = scripts.load("congvu_migrate", "roles", "migrate", "files", "congvu_migrate.py")


def msg(uid, mid, size=100, date=1_700_000_000, folder="INBOX"):
    return {"mailbox": folder, "uid": str(uid), "hdr.message-id": mid, "size.virtual": str(size),
            "date.received.unixtime": str(date)}


def test_uid_set_ranges():
    assert cm.uid_set([9, 1, 2, 3, 7, 10, 3]) == "1:3,7,9:10"
    assert cm.uid_set([5]) == "5"
    assert cm.uid_set(list(range(1, 10001))) == "1:10000"


def test_first_pass_copies_what_is_not_there_by_identity():
    staging = [msg(1, "<a>"), msg(2, "<b>"), msg(3, "<c>")]
    dest = [msg(7, "<b>"), msg(8, "<local>")]   # <b> already there (an interrupted pass), a local one
    todo, how = cm.messages_to_copy(staging, dest, None, 42)
    assert how == "identity" and [m["uid"] for m in todo] == ["1", "3"]


def test_later_pass_copies_above_the_last_uid():
    staging = [msg(1, "<a>"), msg(2, "<b>"), msg(5, "<new>")]
    todo, how = cm.messages_to_copy(staging, [], {"uidvalidity": 42, "last_uid": 2, "dirty": False}, 42)
    assert how == "mark" and [m["uid"] for m in todo] == ["5"]


def test_a_message_deleted_in_the_destination_is_not_copied_again():
    """After the first pass the user owns the new mailbox: what they deleted stays deleted."""
    staging = [msg(1, "<a>"), msg(2, "<b>")]
    todo, _ = cm.messages_to_copy(staging, [msg(1, "<b>")], {"uidvalidity": 42, "last_uid": 2}, 42)
    assert todo == []


@pytest.mark.parametrize("state", [{"uidvalidity": 41, "last_uid": 2},
                                   {"uidvalidity": 42, "last_uid": 2, "dirty": True}])
def test_changed_uidvalidity_or_interrupted_import_falls_back_to_identity(state):
    staging = [msg(1, "<a>"), msg(2, "<b>"), msg(3, "<c>")]
    todo, how = cm.messages_to_copy(staging, [msg(1, "<a>"), msg(2, "<b>")], state, 42)
    assert how == "identity" and [m["uid"] for m in todo] == ["3"]


def test_identical_messages_are_counted_not_merged():
    """The source holds the same message twice: both are copied, once."""
    staging = [msg(1, "<same>"), msg(2, "<same>")]
    todo, _ = cm.messages_to_copy(staging, [msg(1, "<same>")], None, 1)
    assert [m["uid"] for m in todo] == ["2"]


def test_identity_uses_date_and_size_without_message_id():
    assert cm.identity(msg(1, "", 10, 5)) != cm.identity(msg(2, "", 10, 6))
    assert cm.identity(msg(1, " <x> ", 10, 5)) == cm.identity(msg(2, "<x>", 10, 5))


def test_folder_equal_with_local_mail_apart():
    staging = [msg(1, "<a>", 100), msg(2, "<b>", 200)]
    dest = [msg(1, "<a>", 100), msg(2, "<b>", 200), msg(3, "<local>", 50)]
    row = cm.compare_folder("INBOX", {"messages": "2", "vsize": "300"}, staging, dest)
    assert row["equal"] and row["dest_messages"] == 2 and row["dest_bytes"] == 300
    assert (row["extra_messages"], row["extra_bytes"], row["missing_messages"]) == (1, 50, 0)


def test_folder_differs_when_a_message_is_missing():
    staging = [msg(1, "<a>", 100), msg(2, "<b>", 200)]
    row = cm.compare_folder("Công văn đến", {"messages": 2, "vsize": 300}, staging, [msg(1, "<a>", 100)])
    assert not row["equal"] and (row["missing_messages"], row["missing_bytes"]) == (1, 200)


def test_folder_differs_when_the_source_changed_during_the_pass():
    staging = [msg(1, "<a>", 100)]
    row = cm.compare_folder("INBOX", {"messages": 2, "vsize": 250}, staging, staging)
    assert not row["equal"]


def test_quota():
    assert cm.quota_check(100, None, 10**9) is None            # no limit
    assert cm.quota_check(100, 1024, 0) is None                 # nothing to copy
    assert cm.quota_check(0, 1024, 1024 * 1024) is None         # exactly full
    over = cm.quota_check(24, 1024, 1024 * 1024)                # 1 MiB limit, 24 KiB used
    assert over == {"used_bytes": 24576, "copy_bytes": 1048576, "limit_bytes": 1048576, "over_bytes": 24576}


def test_conf_value_quotes_and_refuses_line_breaks():
    assert cm.conf_value('a"b\\c #d') == '"a\\"b\\\\c #d"'
    with pytest.raises(cm.MigrateError):
        cm.conf_value("a\nb")


def report():
    ok = {"address": "annv.stttt@quangbinh.gov.vn", "source_user": "annv@quangtri.gov.vn", "status": "ok",
          "source_messages": 3, "source_bytes": 300, "copied_messages": 3, "copied_bytes": 300,
          "folders": [cm.compare_folder("Lưu trữ/2024", {"messages": 1, "vsize": 100}, [msg(1, "<a>")],
                                        [msg(1, "<a>")])]}
    over = {"address": "lanpt.stttt@quangbinh.gov.vn", "source_user": "lanpt@quangtri.gov.vn",
            "status": "over_quota", "source_messages": 3, "source_bytes": 3 * 1048576, "copied_messages": 0,
            "quota": cm.quota_check(0, 1024, 3 * 1048576),
            "error": {"code": "over_quota", "vi": "Hộp thư lanpt.stttt@quangbinh.gov.vn vượt hạn mức", "en": "x"},
            "folders": []}
    return {"source_host": "mail.quangtri.gov.vn", "mode": "pass", "finished": "2025-07-01T01:00:00Z",
            "mailboxes": [ok, over]}


def test_summary_fails_when_one_mailbox_is_not_ok():
    s = cm.summarize(report()["mailboxes"])
    assert not s["passed"] and s["failed"] == ["lanpt.stttt@quangbinh.gov.vn"] and s["ok"] == 1
    assert s["copied_messages"] == 3


def test_markdown_report_for_the_operator():
    r = report()
    r["summary"] = cm.summarize(r["mailboxes"])
    text = cm.render_markdown(r)
    assert "Kết luận: **KHÔNG ĐẠT**" in text
    assert "| Lưu trữ/2024 | 1 | 0.0 | 1 | 0.0 | 0 | 0 | ✓ |" in text
    assert "Vượt hạn mức 2.0 MB" in text and "VƯỢT HẠN MỨC" in text


def test_csv_report_one_row_per_folder():
    rows = list(csv.DictReader(io.StringIO(cm.render_csv(report()))))
    assert [(r["address"], r["folder"], r["status"]) for r in rows] == [
        ("annv.stttt@quangbinh.gov.vn", "Lưu trữ/2024", "ok"), ("lanpt.stttt@quangbinh.gov.vn", "", "over_quota")]
    assert rows[0]["equal"] == "True"


def test_report_command_writes_three_files(tmp_path):
    data = tmp_path / "results.json"
    data.write_text(json.dumps(report(), ensure_ascii=False), encoding="utf-8")
    assert cm.main(["report", "--input", str(data), "--out-dir", str(tmp_path / "out")]) == 0
    assert sorted(os.listdir(tmp_path / "out")) == ["migrate-report.csv", "migrate-report.json", "migrate-report.md"]
    saved = json.loads((tmp_path / "out" / "migrate-report.json").read_text(encoding="utf-8"))
    assert saved["summary"]["passed"] is False


def test_markdown_report_of_a_dry_run():
    row = {"folder": "Công văn đến", "source_messages": 60, "source_bytes": 2 * 1048576, "dest_messages": None,
           "dest_bytes": None, "missing_messages": None, "extra_messages": None, "equal": False}
    r = {"source_host": "h", "mode": "dry-run", "finished": "t",
         "mailboxes": [{"address": "a@b.vn", "source_user": "a@c.vn", "status": "dry_run", "folders": [row]}]}
    r["summary"] = cm.summarize(r["mailboxes"])
    text = cm.render_markdown(r)
    assert "| Công văn đến | 60 | 2.0 | - | - | - | - | ✗ |" in text
    assert "Kết luận: **chạy thử, chưa chép thư nào**" in text
