"""Mail of a legacy IMAP server brought into congvu-mail (playbooks/migrate.yml), proven with real servers.

The destination's people come from a roster applied with the project's own reconcile; the legacy
server (`congvu-legacy`, Debian's Dovecot) was seeded by converge. The migration runs from the
controller as an operator runs it, and every test looks at what a user would see, with doveadm on
both servers and Python's imaplib against the legacy server. Tests run in file order: dry run, first
pass, checks, second pass, new mail on both sides, the errors.
"""

import json
import os
import shlex
import subprocess
import time

import pytest
import testinfra
import yaml

ROOT = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
INVENTORY = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
DEST = testinfra.get_host("docker://congvu-migrate")
LEGACY = testinfra.get_host("docker://congvu-legacy")
DOMAIN = "quangbinh.gov.vn"
MASTER_PASSWORD = "Quan-Tri-Cu-2024"   # molecule/migrate/converge.yml
USER_PASSWORD = "Mat-Khau-Cu-2024"

ANNV, HADTT, LANPT = (f"{u}.stttt@{DOMAIN}" for u in ("annv", "hadtt", "lanpt"))
SRC = {ANNV: "annv@quangtri.gov.vn", HADTT: "hadtt@quangtri.gov.vn", LANPT: "lanpt@quangtri.gov.vn"}
MISSING = f"khongco.stttt@{DOMAIN}"


def sh(host, argv, check=True):
    r = host.run(" ".join(shlex.quote(str(a)) for a in argv))
    if check:
        assert r.rc == 0, f"{argv}: {r.stdout} {r.stderr}"
    return r


def doveadm_json(host, *argv):
    out = sh(host, ["doveadm", "-f", "json", *argv]).stdout.strip()
    return json.loads(out) if out else []


def status(host, user):
    """{folder: (messages, bytes)}; the legacy server's "." separator as "/"."""
    rows = doveadm_json(host, "mailbox", "status", "-u", user, "messages vsize", "*")
    sep = "." if host is LEGACY else "/"
    return {r["mailbox"].replace(sep, "/"): (int(r["messages"]), int(r["vsize"])) for r in rows
            if not r["mailbox"].startswith("Shared")}


def messages(host, user, folder):
    """{message-id: (flags without \\Recent, INTERNALDATE)} of one folder."""
    name = folder.replace("/", ".") if host is LEGACY else folder
    rows = doveadm_json(host, "fetch", "-u", user, "flags date.received.unixtime hdr.message-id",
                        "mailbox", name, "all")
    return {r["hdr.message-id"]: (sorted(f for f in r["flags"].split() if f != "\\Recent"),
                                  r["date.received.unixtime"]) for r in rows}


def roster():
    return {"agency": {"code": "stttt", "name": "Sở Thông tin và Truyền thông", "kind": "department",
                       "head": "MT0001", "delegates": ["MT0002"]},
            "staff": [{"id": "MT0001", "name": "Nguyễn Văn An", "leader": True, "title": "Giám đốc"},
                      {"id": "MT0002", "name": "Đặng Thị Thu Hà", "title": "Chánh Văn phòng"},
                      {"id": "MT0004", "name": "Phạm Thị Lan", "quota": "1M"}]}


def apply_roster(folder):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "stttt.yml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(roster(), handle, allow_unicode=True, sort_keys=False)
    subprocess.run(["git", "init", "-q", folder], check=True)
    git = ["git", "-C", folder, "-c", "user.name=IT", "-c", "user.email=it@example.invalid"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "migrate scenario"], check=True)
    proc = subprocess.run(["ansible-playbook", "-i", INVENTORY, os.path.join(ROOT, "playbooks", "roster.yml"),
                           "-e", f"roster_path={folder}", "-e", "roster_override_guard=true"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr


class Migration:
    """Runs playbooks/migrate.yml with a vars file, like an operator with an inventory and a vault."""

    def __init__(self, folder):
        self.folder = folder
        self.ca = os.path.join(folder, "legacy-ca.pem")
        with open(self.ca, "w", encoding="ascii") as handle:
            handle.write(LEGACY.file("/etc/dovecot/legacy.crt").content_string)
        self.runs = 0

    def run(self, mailboxes, *options, **extra):
        self.runs += 1
        report_dir = os.path.join(self.folder, f"run{self.runs}")
        settings = {
            "migrate__source_host": "congvu-legacy", "migrate__source_port": 993, "migrate__source_tls": "imaps",
            "migrate__source_ca_file": self.ca, "migrate__source_master_user": "migrator",
            "migrate__source_master_password": MASTER_PASSWORD, "migrate__report_dir": report_dir,
            "migrate__mailboxes": [{"address": a, "source_user": SRC.get(a, "annv@quangtri.gov.vn")}
                                   for a in mailboxes],
            **extra,
        }
        path = os.path.join(self.folder, f"vars{self.runs}.yml")
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(settings, handle, allow_unicode=True)
        t0 = time.monotonic()
        proc = subprocess.run(["ansible-playbook", "-i", INVENTORY, os.path.join(ROOT, "playbooks", "migrate.yml"),
                               "-e", f"@{path}", *options], capture_output=True, text=True, timeout=1800)
        proc.seconds = time.monotonic() - t0
        reports = [os.path.join(report_dir, d) for d in sorted(os.listdir(report_dir))] \
            if os.path.isdir(report_dir) else []
        proc.report = None
        if reports and os.path.exists(os.path.join(reports[-1], "migrate-report.json")):
            with open(os.path.join(reports[-1], "migrate-report.json"), encoding="utf-8") as handle:
                proc.report = json.load(handle)
            proc.report_dir = reports[-1]
        return proc


@pytest.fixture(scope="module")
def migration(tmp_path_factory):
    folder = tmp_path_factory.mktemp("migrate")
    apply_roster(str(folder / "roster"))
    sh(DEST, ["doveadm", "auth", "cache", "flush"])
    # mail delivered to the new address before the migration: it must survive every pass
    if not sh(DEST, ["doveadm", "search", "-u", ANNV, "mailbox", "INBOX", "header", "Message-ID",
                     f"<truoc@{DOMAIN}>"], check=False).stdout.strip():
        sh(DEST, ["sh", "-c", f"printf 'From: vanthu@{DOMAIN}\\nSubject: Thu moi truoc chuyen\\nMessage-ID: "
                  f"<truoc@{DOMAIN}>\\n\\nXin chao\\n' | doveadm save -u {ANNV}"])
    return Migration(str(folder))


@pytest.fixture(scope="module")
def first_pass(migration):
    dry = migration.run([ANNV, HADTT], migrate__dry_run=True)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    check = migration.run([ANNV], "--check")   # what an operator's --check does: the same dry run
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.report["mode"] == "dry-run" and check.report["mailboxes"][0]["status"] == "dry_run"
    first = migration.run([ANNV, HADTT])
    print(f"first pass: {first.seconds:.1f} s")
    assert first.returncode == 0, first.stdout + first.stderr
    return dry, first


def test_dry_run_copies_nothing(first_pass):
    dry, _ = first_pass
    assert dry.report["mode"] == "dry-run"
    assert {m["status"] for m in dry.report["mailboxes"]} == {"dry_run"}
    annv = next(m for m in dry.report["mailboxes"] if m["address"] == ANNV)
    assert annv["source_messages"] == 10109 and annv["copied_messages"] == 0


def test_progress_line_per_mailbox(first_pass):
    _, first = first_pass
    assert f"1/2 {ANNV} <- annv@quangtri.gov.vn: ok" in first.stdout
    assert f"2/2 {HADTT} <- hadtt@quangtri.gov.vn: ok" in first.stdout
    assert "10109 thư / messages" in first.stdout


@pytest.mark.parametrize("address", [ANNV, HADTT])
def test_counts_and_bytes_per_folder_equal(first_pass, address):
    source, dest = status(LEGACY, SRC[address]), status(DEST, address)
    for folder, figures in source.items():
        if address == ANNV and folder == "INBOX":  # plus the message delivered there before
            local = doveadm_json(DEST, "fetch", "-u", ANNV, "size.virtual", "mailbox", "INBOX", "header",
                                 "Message-ID", f"<truoc@{DOMAIN}>")
            figures = (figures[0] + 1, figures[1] + int(local[0]["size.virtual"]))
        assert dest.get(folder) == figures, folder
    if address == ANNV:
        assert source["Lưu trữ/2024"][0] == 10000


def test_flags_keywords_and_dates_kept(first_pass):
    for folder in ("Công văn đến", "Lưu trữ/2024"):
        source, dest = messages(LEGACY, SRC[ANNV], folder), messages(DEST, ANNV, folder)
        assert source == dest, folder
        flags = [f for fl, _ in source.values() for f in fl]
        assert {"\\Seen", "\\Flagged", "$CongVanDen"} <= set(flags)


def test_subscriptions_kept(first_pass):
    subscribed = {r["mailbox"] for r in doveadm_json(DEST, "mailbox", "list", "-s", "-u", ANNV)}
    listed = {r["mailbox"] for r in doveadm_json(DEST, "mailbox", "list", "-u", ANNV)}
    assert {"Công văn đến", "Lưu trữ", "Lưu trữ/2024"} <= subscribed
    assert "Nháp cũ" in listed and "Nháp cũ" not in subscribed  # not subscribed in the source either


def test_big_message_intact(first_pass):
    def digest(host, user):
        r = sh(host, ["sh", "-c", f"doveadm fetch -u {user} text mailbox INBOX header Message-ID big@quangtri "
                                  "| sha256sum"])
        return r.stdout.split()[0]

    size = doveadm_json(DEST, "fetch", "-u", ANNV, "size.physical", "mailbox", "INBOX", "header", "Message-ID",
                        "big@quangtri")
    assert int(size[0]["size.physical"]) > 20 * 1024 * 1024
    assert digest(LEGACY, SRC[ANNV]) == digest(DEST, ANNV)


def test_report_on_the_controller(first_pass):
    _, first = first_pass
    report = first.report
    assert report["summary"]["passed"] and report["summary"]["ok"] == 2
    annv = next(m for m in report["mailboxes"] if m["address"] == ANNV)
    rows = {f["folder"]: f for f in annv["folders"]}
    assert rows["Lưu trữ/2024"]["source_messages"] == rows["Lưu trữ/2024"]["dest_messages"] == 10000
    assert rows["INBOX"]["extra_messages"] == 1   # the message delivered before, counted apart
    with open(os.path.join(first.report_dir, "migrate-report.md"), encoding="utf-8") as handle:
        text = handle.read()
    assert "Kết luận: **ĐẠT**" in text and "| Lưu trữ/2024 | 10000 |" in text
    with open(os.path.join(first.report_dir, "migrate-report.csv"), encoding="utf-8") as handle:
        assert handle.readline().startswith("address,source_user,status,folder")


def test_second_pass_copies_nothing(migration, first_pass):
    before = status(DEST, ANNV)
    again = migration.run([ANNV, HADTT])
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.report["summary"]["copied_messages"] == 0
    assert "changed=0" in again.stdout.split("PLAY RECAP")[-1]
    assert status(DEST, ANNV) == before


def test_new_mail_on_both_sides(migration, first_pass):
    # a message arrives in the legacy mailbox (IMAP APPEND, a real client) and one in the new mailbox
    LEGACY.run("python3 -c " + shlex.quote(
        "import imaplib, ssl\n"
        "m = imaplib.IMAP4_SSL('localhost', 993, ssl_context=ssl._create_unverified_context())\n"
        f"m.login('annv@quangtri.gov.vn', '{USER_PASSWORD}')\n"
        "m.append('\"C&APQ-ng v&AQM-n &AREevw-n\"', '(\\\\Flagged)', '\"01-Jul-2025 08:00:00 +0700\"',\n"
        "         b'From: a@quangtri.gov.vn\\r\\nSubject: Sau lan 1\\r\\n'\n"
        "         b'Message-ID: <saulan1@quangtri.gov.vn>\\r\\n\\r\\nx\\r\\n')\n"
        "m.logout()\n"))
    sh(DEST, ["sh", "-c", f"printf 'From: vanthu@{DOMAIN}\\nSubject: Giua hai lan\\nMessage-ID: "
              f"<giua@{DOMAIN}>\\n\\nXin chao\\n' | doveadm save -u {ANNV} -m 'Công văn đến'"])
    before = status(DEST, ANNV)["Công văn đến"][0]
    third = migration.run([ANNV, HADTT])
    assert third.returncode == 0, third.stdout + third.stderr
    assert third.report["summary"]["copied_messages"] == 1
    ids = messages(DEST, ANNV, "Công văn đến")
    assert "<saulan1@quangtri.gov.vn>" in ids and ids["<saulan1@quangtri.gov.vn>"][0] == ["\\Flagged"]
    assert f"<giua@{DOMAIN}>" in ids and f"<truoc@{DOMAIN}>" in messages(DEST, ANNV, "INBOX")
    assert status(DEST, ANNV)["Công văn đến"][0] == before + 1
    # and once more: nothing duplicated
    fourth = migration.run([ANNV])
    assert fourth.returncode == 0 and fourth.report["summary"]["copied_messages"] == 0
    assert status(DEST, ANNV)["Công văn đến"][0] == before + 1


def test_per_user_password(migration, first_pass):
    proc = migration.run([], migrate__source_master_user="", migrate__source_master_password="",
                         migrate__mailboxes=[{"address": HADTT, "source_user": SRC[HADTT], "password": USER_PASSWORD}])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.report["mailboxes"][0]["status"] == "ok"
    assert USER_PASSWORD not in proc.stdout + proc.stderr


def test_wrong_destination_fails_before_copying(migration, first_pass):
    LEGACY.run("python3 -c " + shlex.quote(
        "import imaplib, ssl\n"
        "m = imaplib.IMAP4_SSL('localhost', 993, ssl_context=ssl._create_unverified_context())\n"
        f"m.login('annv@quangtri.gov.vn', '{USER_PASSWORD}')\n"
        "m.append('INBOX', '()', None,\n"
        "         b'Subject: Chua chep\\r\\nMessage-ID: <chuachep@quangtri.gov.vn>\\r\\n\\r\\nx\\r\\n')\n"
        "m.logout()\n"))
    before = status(DEST, ANNV)
    proc = migration.run([ANNV, MISSING])
    assert proc.returncode != 0
    said = proc.stdout + proc.stderr
    assert f"Hộp thư đích {MISSING} không có trong danh bạ" in said
    assert "Chưa chép thư nào" in said
    assert status(DEST, ANNV) == before  # the good mailbox was not touched either


def test_bad_list_names_the_entry(migration):
    proc = migration.run([], migrate__mailboxes=[{"address": "khong-phai-dia-chi", "source_user": "x"}])
    assert proc.returncode != 0 and "bad address: khong-phai-dia-chi" in proc.stdout + proc.stderr


def test_over_quota_reported_not_copied(migration, first_pass):
    proc = migration.run([LANPT])
    assert proc.returncode != 0
    row = proc.report["mailboxes"][0]
    assert row["status"] == "over_quota" and row["quota"]["over_bytes"] > 2 * 1024 * 1024
    assert f"Hộp thư {LANPT} vượt hạn mức" in proc.stdout + proc.stderr
    assert status(DEST, LANPT).get("INBOX", (0, 0))[0] == 0
    with open(os.path.join(proc.report_dir, "migrate-report.md"), encoding="utf-8") as handle:
        assert "VƯỢT HẠN MỨC" in handle.read()


def test_source_untouched(first_pass):
    """The legacy mailbox is read, never changed: its seeded folders only (no Sent, Drafts ... made by
    the imapc client) and its counts."""
    assert status(LEGACY, SRC[HADTT]) == {"INBOX": (25, status(LEGACY, SRC[HADTT])["INBOX"][1]),
                                          "Công văn đi": (15, status(LEGACY, SRC[HADTT])["Công văn đi"][1])}
