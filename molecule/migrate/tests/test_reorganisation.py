"""The 2025 reorganisation end to end (docs/reorganisation.md): agencies merged, renamed, abolished and a
new mail domain, on the destination the migration filled.

This file runs after test_migrate.py (pytest takes the files in name order; the scenario's migration
checks come first) and changes the destination for good: the old province's roster is applied and
mail delivered to every mailbox; then the destination's mail roles are converged again for the new
domain (domain_change.yml: quangtri.gov.vn, the former quangbinh.gov.vn kept, the directory where it is) and
the reorganisation applied in one roster plan: Sở TT&TT merged into Sở KH&CN, Sở GTVT renamed Sở Xây
dựng, huyện Lệ Thủy abolished and its agency mailbox handed over to xã Lệ Thủy, huyện Quảng Ninh closed,
every mailbox moved to the new domain. Real clients show what users see: smtplib on port 25 from the
controller (an outside server), submission, IMAP and Sieve inside the container; LDAP and doveadm show
that no mailbox was re-created and nothing was lost or duplicated. Last, a new agency on the retired
code is refused (Art. 5), and after the end date the old addresses stop (Art. 11.3: the aliases of a
reorganisation). Articles: 5, 7.1, 10, 11.3, 13.6, 13.8, 16.3, 16.4.
"""

import json
import os
import shlex
import smtplib
import subprocess
import textwrap
import time
import uuid

import pytest
import testinfra
import yaml

ROOT = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INVENTORY = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
DEST = testinfra.get_host("docker://congvu-migrate")
OLD, NEW = "quangbinh.gov.vn", "quangtri.gov.vn"
BASE = "dc=quangbinh,dc=gov,dc=vn"
PEOPLE = f"ou=people,{BASE}"
PASSWORD = "Mat-Khau-Moi-2025!"
UNTIL = "2027-06-30"                 # congvu__former_addresses_until
AFTER_UNTIL = "2027-07-02"           # a roster run after it: the old addresses expire
OUTSIDE = "vanthu@ubnd.hatinh.gov.vn"
DOMAIN_VARS = {"congvu__domain": NEW, "congvu__former_domains": [OLD], "congvu__base_dn": BASE,
               "congvu__former_addresses_until": UNTIL}

# uid: (local part before, agency before, agency after); the local part stays (Art. 5)
PEOPLE_MOVES = {
    "MT0001": ("annv", "stttt", "skhcn"), "MT0002": ("hadtt", "stttt", "skhcn"),
    "MT0004": ("lanpt", "stttt", "skhcn"), "KC0001": ("binhtv", "skhcn", "skhcn"),
    "GT0001": ("namhv", "sgtvt", "sxd"), "LT0001": ("longnv", "huyenlt", "lethuy"),
    "LT0002": ("hoatt", "huyenlt", "lethuy"),
}
CLOSED = ("QN0001", "hungpv.quangninh")   # huyện Quảng Ninh's only person, terminated with it


def old(uid):
    local, agency, _ = PEOPLE_MOVES[uid]
    return f"{local}.{agency}@{OLD}"


def new(uid):
    local, _, agency = PEOPLE_MOVES[uid]
    return f"{local}.{agency}@{NEW}"


def before_roster():
    """The old province: the migration's stttt (unchanged), and four more agencies."""
    return {
        "stttt": {"agency": {"code": "stttt", "name": "Sở Thông tin và Truyền thông", "kind": "department",
                             "head": "MT0001", "delegates": ["MT0002"]},
                  "staff": [{"id": "MT0001", "name": "Nguyễn Văn An", "leader": True, "title": "Giám đốc"},
                            {"id": "MT0002", "name": "Đặng Thị Thu Hà", "title": "Chánh Văn phòng"},
                            {"id": "MT0004", "name": "Phạm Thị Lan", "quota": "1M"}]},
        "skhcn": {"agency": {"code": "skhcn", "name": "Sở Khoa học và Công nghệ", "kind": "department",
                             "head": "KC0001"},
                  "staff": [{"id": "KC0001", "name": "Trần Văn Bình", "leader": True}]},
        "sgtvt": {"agency": {"code": "sgtvt", "name": "Sở Giao thông vận tải", "kind": "department",
                             "head": "GT0001"},
                  "staff": [{"id": "GT0001", "name": "Hoàng Văn Nam", "leader": True}]},
        "huyenlt": {"agency": {"code": "huyenlt", "name": "UBND huyện Lệ Thủy", "kind": "district",
                               "head": "LT0001"},
                    "staff": [{"id": "LT0001", "name": "Nguyễn Văn Long", "leader": True},
                              {"id": "LT0002", "name": "Trương Thị Hoa"}]},
        "quangninh": {"agency": {"code": "quangninh", "name": "UBND huyện Quảng Ninh", "kind": "district",
                                 "head": "QN0001"},
                      "staff": [{"id": "QN0001", "name": "Phạm Văn Hùng", "leader": True}]},
    }


def reorganised_roster():
    """The merged province: skhcn takes stttt over, sxd is sgtvt renamed, xã Lệ Thủy succeeds the
    abolished huyện Lệ Thủy and takes its agency mailbox, huyện Quảng Ninh is closed."""
    files = before_roster()
    stttt, sgtvt, huyenlt = files.pop("stttt"), files.pop("sgtvt"), files.pop("huyenlt")
    files.pop("quangninh")
    files["skhcn"]["agency"]["replaces"] = ["stttt"]
    files["skhcn"]["agency"]["delegates"] = ["MT0002"]
    files["skhcn"]["staff"] += [dict(p, leader=False) if p["id"] == "MT0001" else p for p in stttt["staff"]]
    files["sxd"] = {"agency": {"code": "sxd", "name": "Sở Xây dựng", "kind": "department", "head": "GT0001",
                               "replaces": ["sgtvt"]}, "staff": sgtvt["staff"]}
    files["lethuy"] = {"agency": {"code": "lethuy", "name": "UBND xã Lệ Thủy", "kind": "other", "head": "LT0002",
                                  "replaces": [{"code": "huyenlt", "mailbox": "handover"}]},
                       "staff": [dict(p, leader=False) for p in huyenlt["staff"]]}
    return files


def sh(host, argv, check=True):
    r = host.run(" ".join(shlex.quote(str(a)) for a in argv))
    if check:
        assert r.rc == 0, f"{argv}: {r.stdout} {r.stderr}"
    return r


def playbook(name, *args, timeout=900):
    return subprocess.run(["ansible-playbook", "-i", INVENTORY, name, *args],
                          capture_output=True, text=True, timeout=timeout)


class Roster:
    """A roster repository on the controller, applied with the project's playbooks/roster.yml."""

    def __init__(self, folder, vars_file=None):
        self.folder = folder
        self.vars_file = vars_file
        subprocess.run(["git", "init", "-q", folder], check=True)

    def commit(self, files, message):
        for name in os.listdir(self.folder):
            if name.endswith(".yml"):
                os.remove(os.path.join(self.folder, name))
        for code, content in files.items():
            with open(os.path.join(self.folder, f"{code}.yml"), "w", encoding="utf-8") as handle:
                yaml.safe_dump(content, handle, allow_unicode=True, sort_keys=False)
        git = ["git", "-C", self.folder, "-c", "user.name=IT", "-c", "user.email=it@example.invalid"]
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", message], check=True)

    def apply(self, *extra):
        more = ["-e", f"@{self.vars_file}"] if self.vars_file else []
        return playbook(os.path.join(ROOT, "playbooks", "roster.yml"), "-e", f"roster_path={self.folder}",
                        "-e", "roster_override_guard=true", *more, *extra)


def ldap(filt, *attrs, base=BASE):
    """{dn: {attr: [values]}} as root over ldapi (values are plain text here)."""
    r = sh(DEST, ["ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///",
                  "-b", base, filt, *attrs])
    entries, current = {}, None
    for line in r.stdout.splitlines():
        name, _, value = line.partition(": ")
        if name == "dn":
            current = entries.setdefault(value, {})
        elif current is not None and value:
            current.setdefault(name, []).append(value)
    return entries


def person(uid):
    (entry,) = ldap(f"(uid={uid})", "mail", "entryUUID", "congvuAlias", "congvuState", base=PEOPLE).values()
    return entry


def agency(code):
    found = ldap(f"(&(objectClass=congvuAgencyMailbox)(cn={code}))", "mail", "entryUUID", "congvuAlias",
                 "congvuState", base=f"ou=agencies,{BASE}")
    return next(iter(found.values()), None)


def mailbox_facts(address):
    """(messages in every folder, home, INBOX GUID) as Dovecot sees the mailbox of this address."""
    rows = json.loads(sh(DEST, ["doveadm", "-f", "json", "mailbox", "status", "-u", address, "messages",
                                "*"]).stdout)
    total = sum(int(r["messages"]) for r in rows if not r["mailbox"].startswith("Shared"))
    home = sh(DEST, ["doveadm", "user", "-f", "home", address]).stdout.strip()
    guid = json.loads(sh(DEST, ["doveadm", "-f", "json", "mailbox", "status", "-u", address, "guid",
                                "INBOX"]).stdout)[0]["guid"]
    return total, home, guid


def smtp_in(rcpts, subject, sender=OUTSIDE):
    """Like an outside server on port 25 (the controller is not in mynetworks): {rcpt: (code, text)} of
    the RCPT replies; the message goes to the accepted ones."""
    ip = DEST.run("hostname -I").stdout.split()[0]
    message_id = f"<{uuid.uuid4().hex}@ubnd.hatinh.gov.vn>"
    replies = {}
    with smtplib.SMTP(ip, 25, timeout=120) as smtp:
        smtp.ehlo("mail.ubnd.hatinh.gov.vn")
        smtp.mail(sender)
        for rcpt in rcpts:
            code, text = smtp.rcpt(rcpt)
            replies[rcpt] = (code, text.decode())
        if any(code == 250 for code, _ in replies.values()):
            body = (f"From: {sender}\r\nTo: {', '.join(rcpts)}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
                    "Content-Type: text/plain; charset=utf-8\r\n\r\nKinh gui cac don vi.\r\n")
            smtp.data(body.encode())
        else:
            smtp.rset()
    return message_id, replies


def has_message(address, message_id, mailbox="INBOX", timeout=60):
    deadline = time.time() + timeout
    while True:
        r = sh(DEST, ["doveadm", "search", "-u", address, "mailbox", mailbox, "header", "Message-ID", message_id],
               check=False)
        found = len(r.stdout.splitlines()) if r.rc == 0 else 0
        if found or time.time() > deadline:
            return found
        time.sleep(1)


CLIENT = '''
import imaplib, json, smtplib, ssl
CTX = ssl.create_default_context()   # the system bundle holds the CA of role tls

def imap(user, password):
    m = imaplib.IMAP4("localhost", 143)
    m.starttls(ssl_context=CTX)
    m.login(user, password)
    return m

def login(user, password):
    """(ok, text) of an IMAP login."""
    try:
        m = imap(user, password)
        m.logout()
        return True, ""
    except imaplib.IMAP4.error as e:
        return False, str(e)

def inbox_ids(user, password, mailbox="INBOX"):
    m = imap(user, password)
    typ, _ = m.select('"' + mailbox + '"', readonly=True)
    assert typ == "OK", (typ, mailbox)
    typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    m.logout()
    return sorted(part[1].decode().split(":", 1)[1].strip() for part in data if isinstance(part, tuple))

def submit(user, password, sender, to, subject):
    """(code, text) of the first refusal at submission, or (250, '')."""
    try:
        s = smtplib.SMTP("localhost", 587, timeout=120)
        s.starttls(context=CTX)
        s.login(user, password)
        msg = "From: %s\\r\\nTo: %s\\r\\nSubject: %s\\r\\n\\r\\nx\\r\\n" % (sender, to, subject)
        s.sendmail(sender, [to], msg)
        s.quit()
        return 250, ""
    except smtplib.SMTPSenderRefused as e:
        return e.smtp_code, e.smtp_error.decode()
    except smtplib.SMTPRecipientsRefused as e:
        code, text = next(iter(e.recipients.values()))
        return code, text.decode()

def out(value):
    print(json.dumps(value))
'''


def client(code):
    r = DEST.run("python3 - <<'PYEOF'\n" + CLIENT + textwrap.dedent(code) + "\nPYEOF")
    assert r.rc == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def local_ca():
    return sh(DEST, ["openssl", "x509", "-in", "/etc/congvu/tls/ca.crt", "-noout", "-fingerprint", "-sha256"]).stdout


def initial_password(code, address):
    r = DEST.run(f"grep -h '^{address},' /var/lib/congvu/initial-passwords/{code}.csv | tail -n 1 | cut -d, -f2")
    assert r.rc == 0 and r.stdout.strip(), f"no initial password for {address}"
    return r.stdout.strip()


@pytest.fixture(scope="module")
def before(tmp_path_factory):
    """The old province in service: every person has chosen PASSWORD, every mailbox holds mail
    delivered from outside; what each mailbox is and holds, by uid and agency code."""
    folder = tmp_path_factory.mktemp("reorganisation")
    roster = Roster(str(folder / "roster"))
    roster.commit(before_roster(), "the old province")
    proc = roster.apply()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for uid in PEOPLE_MOVES:
        agency_code = PEOPLE_MOVES[uid][1]
        sh(DEST, ["ldappasswd", "-x", "-H", "ldapi:///", "-D", f"uid={uid},{PEOPLE}",
                  "-w", initial_password(agency_code, old(uid)), "-s", PASSWORD])
    sh(DEST, ["doveadm", "auth", "cache", "flush"])
    targets = [old(uid) for uid in PEOPLE_MOVES] + [f"{c}@{OLD}" for c in ("stttt", "skhcn", "sgtvt", "huyenlt")]
    message_id, replies = smtp_in(targets, "Cong van truoc to chuc lai")
    assert {code for code, _ in replies.values()} == {250}, replies
    for address in targets:
        assert has_message(address, message_id) == 1, address
    facts = {uid: mailbox_facts(old(uid)) for uid in PEOPLE_MOVES}
    facts.update({code: mailbox_facts(f"{code}@{OLD}") for code in ("skhcn", "huyenlt")})
    return {"folder": str(folder), "facts": facts, "message_id": message_id, "ca": local_ca(),
            "uuid": {uid: person(uid)["entryUUID"][0] for uid in PEOPLE_MOVES},
            "agency_uuid": {code: agency(code)["entryUUID"][0] for code in ("skhcn", "huyenlt")}}


@pytest.fixture(scope="module")
def reorganised(before):
    """The destination converged for the new domain, then the reorganisation roster applied."""
    vars_file = os.path.join(before["folder"], "domain.yml")
    with open(vars_file, "w", encoding="utf-8") as handle:
        yaml.safe_dump({**DOMAIN_VARS, "dns_records__dest": os.path.join(before["folder"], "dns", f"{NEW}.zone")},
                       handle)
    # the DKIM keys role antispam keeps for each domain (not converged in this scenario): the records
    # must carry each domain's own
    for domain in (NEW, OLD):
        sh(DEST, ["sh", "-c", f"mkdir -p /var/lib/rspamd/dkim && test -s /var/lib/rspamd/dkim/{domain}.congvu1.key"
                              f" || openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024"
                              f" -out /var/lib/rspamd/dkim/{domain}.congvu1.key"])
    t0 = time.monotonic()
    proc = playbook(os.path.join(HERE, "domain_change.yml"), "--limit", "congvu-migrate", "-e", f"@{vars_file}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    t1 = time.monotonic()
    roster = Roster(os.path.join(before["folder"], "roster"), vars_file)
    roster.commit(reorganised_roster(), "QĐ sáp nhập: stttt vào skhcn, sgtvt thành sxd, huyện Lệ Thủy giải thể")
    applied = roster.apply()
    assert applied.returncode == 0, applied.stdout + applied.stderr
    print(f"domain change converge: {t1 - t0:.0f} s, reorganisation apply: {time.monotonic() - t1:.0f} s")
    # what each mailbox is and holds right after the apply, before any new mail
    facts = {uid: mailbox_facts(new(uid)) for uid in PEOPLE_MOVES}
    facts.update({code: mailbox_facts(f"{code}@{NEW}") for code in ("skhcn", "huyenlt")})
    return {"roster": roster, "facts": facts, "plan": applied.stdout}


def test_art11_3_every_mailbox_moved_to_the_new_domain_as_the_same_entry_with_its_old_address_an_alias(
        before, reorganised):
    for uid in PEOPLE_MOVES:
        entry = person(uid)
        assert entry["mail"] == [new(uid)], uid
        assert entry["entryUUID"] == [before["uuid"][uid]], uid   # the same entry: not re-created
        assert old(uid) in entry["congvuAlias"], uid
    for code in ("skhcn", "huyenlt"):
        entry = agency(code)
        assert entry["mail"] == [f"{code}@{NEW}"] and entry["entryUUID"] == [before["agency_uuid"][code]]
    assert agency("huyenlt")["congvuState"] == ["active"]            # handed over, not closed
    assert agency("stttt")["congvuState"] == ["terminated"]          # merged: its address an alias
    assert f"stttt@{OLD}" in agency("skhcn")["congvuAlias"]
    assert f"sgtvt@{OLD}" in agency("sxd")["congvuAlias"]


def test_art11_3_no_mailbox_recreated_and_nothing_lost_or_duplicated(before, reorganised):
    """The same folder on disk and the same INBOX (its GUID), and as many messages as before."""
    assert reorganised["facts"] == before["facts"]
    assert before["facts"]["MT0001"][0] > 10000    # annv's migrated mail is in the count


def test_art11_3_mail_to_every_old_address_lands_in_the_right_mailbox(reorganised):
    where = {old(uid): new(uid) for uid in PEOPLE_MOVES}
    where.update({f"stttt@{OLD}": f"skhcn@{NEW}", f"skhcn@{OLD}": f"skhcn@{NEW}", f"sgtvt@{OLD}": f"sxd@{NEW}",
                  f"huyenlt@{OLD}": f"huyenlt@{NEW}", f"postmaster@{OLD}": None})
    message_id, replies = smtp_in(list(where), "Cong van sau to chuc lai")
    assert {code for code, _ in replies.values()} == {250}, replies
    for mailbox in {m for m in where.values() if m}:
        # once each, though skhcn@ is addressed twice (its old and its new agency address)
        assert has_message(mailbox, message_id) == 1, mailbox


def test_art7_1_an_address_of_the_former_domain_that_never_existed_or_was_closed_is_refused_at_rcpt(reorganised):
    _, replies = smtp_in([f"khongco.skhcn@{OLD}", f"annv.skhcn@{OLD}", f"{CLOSED[1]}@{OLD}"], "Khong ai nhan")
    never, new_name_old_domain, closed = (replies[a] for a in replies)
    assert never[0] == 550 and "5.1.1" in never[1]               # no catch-all in the former domain
    assert new_name_old_domain[0] == 550                          # the new name was never an old address
    assert closed[0] == 550 and "ngung su dung" in closed[1]      # a closed mailbox stays closed there


def test_art11_3_login_with_the_old_address_opens_the_same_mailbox(before, reorganised):
    value = client(f"""
        out([login({old("MT0002")!r}, {PASSWORD!r}), inbox_ids({old("MT0002")!r}, {PASSWORD!r}),
             inbox_ids({new("MT0002")!r}, {PASSWORD!r}), login({old("MT0002")!r}, "sai-mat-khau")])
        """)
    (ok, text), by_old, by_new, (wrong_ok, _) = value
    assert ok, text
    assert by_old == by_new and before["message_id"] in by_old
    assert not wrong_ok


def test_art13_6_a_person_still_sends_as_the_old_address_but_nobody_else_does(reorganised):
    value = client(f"""
        out([submit({new("LT0001")!r}, {PASSWORD!r}, {old("LT0001")!r}, {new("KC0001")!r}, "Tu dia chi cu"),
             submit({new("LT0001")!r}, {PASSWORD!r}, {old("LT0002")!r}, {new("KC0001")!r}, "Gia mao")])
        """)
    (own, own_text), (other, _) = value
    assert own == 250, own_text
    assert other == 553


def test_art13_8_a_sieve_redirect_to_an_old_address_stays_in_the_system(reorganised):
    """The forwarding rule (docs/forwarding.md) counts the former domain as the system's own."""
    script = f'require ["copy"];\nredirect :copy "{old("MT0004")}";\n'
    sh(DEST, ["sh", "-c", f"printf '%s' {shlex.quote(script)} | doveadm sieve put -u {new('GT0001')} -a chuyen"])
    try:
        message_id, replies = smtp_in([new("GT0001")], "Chuyen tiep noi bo")
        assert replies[new("GT0001")][0] == 250
        assert has_message(new("MT0004"), message_id) == 1
    finally:
        sh(DEST, ["doveadm", "sieve", "deactivate", "-u", new("GT0001"), "chuyen"], check=False)


def test_art10_the_successor_head_opens_the_abolished_districts_agency_mailbox(reorganised, before):
    value = client(f"""
        out(inbox_ids({new("LT0002")!r}, {PASSWORD!r}, "Shared/huyenlt@{NEW}/INBOX"))
        """)
    assert before["message_id"] in value


def test_art16_3_the_local_ca_clients_trust_is_not_issued_again(before, reorganised):
    assert local_ca() == before["ca"]


def test_art16_4_dns_records_and_certificate_cover_both_domains(reorganised):
    zone = DEST.file(f"/etc/congvu/dns/{NEW}.zone").content_string
    head, former = zone.split(f"$ORIGIN {OLD}.")
    assert f"$ORIGIN {NEW}." in head
    for part in (head, former):
        for record in ('"v=spf1 mx -all"', "_dmarc ", '"v=STSv1; id=', '"v=TLSRPTv1;', "autoconfig ", "mta-sts "):
            assert record in part, record
    keys = [part.split('"p=', 1)[1].split('"', 1)[0] for part in (head, former)]
    assert keys[0] != keys[1]                 # each domain signs with its own DKIM key
    assert f"{OLD}._report._dmarc" in head    # the former domain's DMARC reports go to postmaster@ of the new
    names = sh(DEST, ["openssl", "x509", "-in", "/etc/congvu/tls/mail.crt", "-noout", "-ext",
                      "subjectAltName"]).stdout
    for domain in (NEW, OLD):
        for name in ("autoconfig", "autodiscover", "mta-sts"):
            assert f"DNS:{name}.{domain}" in names


def test_art5_a_new_agency_on_the_retired_code_is_refused_naming_both(before, reorganised):
    files = reorganised_roster()
    files["quangninh"] = {"agency": {"code": "quangninh", "name": "UBND xã Quảng Ninh", "kind": "other",
                                     "head": "QN0101"},
                          "staff": [{"id": "QN0101", "name": "Hoàng Văn Minh", "leader": True}]}
    roster = reorganised["roster"]
    roster.commit(files, "xã Quảng Ninh")
    proc = roster.apply()
    said = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "quangninh" in said and "UBND huyện Quảng Ninh" in said and "UBND xã Quảng Ninh" in said, said[-3000:]
    assert "retired_code: reuse" in said
    assert not ldap("(uid=QN0101)", "uid", base=PEOPLE)     # nothing applied
    roster.commit(reorganised_roster(), "xã Quảng Ninh: waiting for a decision")


def test_art11_3_after_the_end_date_the_old_addresses_stop(reorganised):
    """Last: a roster run after congvu__former_addresses_until removes the aliases; the old address no
    longer logs in nor receives, the new one does both."""
    proc = reorganised["roster"].apply("-e", f"roster_plan_date={AFTER_UNTIL}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert old("MT0001") not in person("MT0001").get("congvuAlias", [])
    sh(DEST, ["doveadm", "auth", "cache", "flush"])
    value = client(f"""
        out([login({old("MT0001")!r}, {PASSWORD!r}), login({new("MT0001")!r}, {PASSWORD!r})])
        """)
    (old_ok, _), (new_ok, text) = value
    assert not old_ok and new_ok, text
    _, replies = smtp_in([old("MT0001"), new("MT0001")], "Sau han")
    assert replies[old("MT0001")][0] == 550 and replies[new("MT0001")][0] == 250
