"""Role webmail, tested as users and their clients see it, from inside the all-in-one container.

Real clients only: curl, openssl s_client, ldapsearch, python3 urllib / xml.etree / plistlib (the
Roundcube user of rc_client.py posts the login form with its CSRF token as a browser does).
Test mailboxes are created by each run (ldapadd as root over ldapi://), so verify can run again.
Login and the settings page need Dovecot (role imap), which the scenario converges with Postfix: a
test that needs it fails, never skips, when it is down (a crash is a failure).
"""

import json
import os
import plistlib
import re
import shlex
import textwrap
import xml.etree.ElementTree as ET

import pytest

DOMAIN = "quangbinh.gov.vn"
# the former domain of converge.yml (congvu__former_domains): its names are served beside the domain's
FORMER = "quangtri.gov.vn"
FORMER_NAMES = [f"autoconfig.{FORMER}", f"autodiscover.{FORMER}", f"mta-sts.{FORMER}"]
MAIL_HOST = "mail.quangbinh.gov.vn"
BASE = "dc=quangbinh,dc=gov,dc=vn"
PEOPLE = f"ou=people,{BASE}"
CURL = ["curl", "-sS", "--max-time", "30"]
PORTS = {"imaps": 993, "imap": 143, "pop3s": 995, "submission": 587, "submissions": 465}
CLIENT = open(os.path.join(os.path.dirname(__file__), "rc_client.py"), encoding="utf-8").read()

# staff id, name, local part, state, initial password, password after the first change (or None)
MAILBOXES = {
    "ready": ("WB0001", "Nguyễn Văn An", "annv.stttt", "active", "Init-pass-1", "Doi-roi-2026"),
    "must_change": ("WB0002", "Trần Thị Bình", "binhtt.stttt", "active", "Init-pass-2", None),
    "settings": ("WB0003", "Lê Văn Cường", "cuonglv.stttt", "active", "Init-pass-3", "Doi-roi-2027"),
    "suspended": ("WB0004", "Phạm Thị Dung", "dungpt.stttt", "suspended", "Init-pass-4", "Doi-roi-2028"),
    "wrong": ("WB0005", "Hoàng Văn Em", "emhv.stttt", "active", "Init-pass-5", None),
    "filters": ("WB0006", "Đỗ Văn Phúc", "phucdv.stttt", "active", "Init-pass-6", "Doi-roi-2029"),
}
# the old address of the mailbox "ready" in the former domain: an alias of it (congvuAlias), as the
# roster keeps one after a change of domain or an import from the other province
OLD_ADDRESS = f"annv@{FORMER}"
# an outside domain the province lists for forwarding (converge.yml: congvu__forwarding_allowed_domains)
ALLOWED_OUTSIDE = "bo.example"


def addr(kind):
    return f"{MAILBOXES[kind][2]}@{DOMAIN}"


def dn(kind):
    return f"uid={MAILBOXES[kind][0]},{PEOPLE}"


def sh(host, argv, stdin=None):
    cmd = " ".join(shlex.quote(str(a)) for a in argv)
    if stdin is not None:
        cmd += " <<'CONGVU_EOF'\n" + stdin + "\nCONGVU_EOF"
    return host.run(cmd)


def run_client(host, code):
    """Run rc_client.py + code inside the container; the last printed line is JSON."""
    r = sh(host, ["python3", "-"], CLIENT + "\n" + textwrap.dedent(code))
    assert r.rc == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def running(host, unit):
    """The scenario converges Dovecot and Postfix: one that does not run is a failure of the test
    that needs it (with the unit's state in the message), not a reason to skip."""
    service = host.service(unit)
    assert service.is_running, f"{unit} is not running: " + host.run(f"systemctl status --no-pager {unit}").stdout


@pytest.fixture(scope="module")
def imap(host):
    running(host, "dovecot")


@pytest.fixture(scope="module", autouse=True)
def mailboxes(host):
    """Fresh test mailboxes: created by root (so with pwdReset, as the reconcile leaves them), then
    the ones that are 'ready' change their initial password themselves (ldappasswd as the user)."""
    ldif = []
    for kind, (uid, cn, local, state, initial, _) in MAILBOXES.items():
        sh(host, ["ldapdelete", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///", f"uid={uid},{PEOPLE}"])
        ldif.append(textwrap.dedent(f"""\
            dn: uid={uid},{PEOPLE}
            objectClass: inetOrgPerson
            objectClass: congvuMailbox
            uid: {uid}
            cn: {cn}
            displayName: {cn}
            sn: {cn.split()[0]}
            givenName: {cn.split()[-1]}
            mail: {local}@{DOMAIN}
            title: Chuyên viên
            departmentNumber: stttt
            congvuState: {state}
            userPassword: {initial}
            pwdReset: TRUE
            """) + (f"congvuAlias: {OLD_ADDRESS}\n" if kind == "ready" else ""))
    sh(host, ["ldapdelete", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///", f"cn=wbtest,ou=agencies,{BASE}"])
    ldif.append(textwrap.dedent(f"""\
        dn: cn=wbtest,ou=agencies,{BASE}
        objectClass: congvuAgencyMailbox
        cn: wbtest
        mail: wbtest@{DOMAIN}
        description: Ban Thử Nghiệm Webmail
        congvuKind: other
        congvuState: active
        """))
    r = sh(host, ["ldapadd", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///"], "\n".join(ldif))
    assert r.rc == 0, r.stderr
    for kind, (_, _, _, state, initial, changed) in MAILBOXES.items():
        if changed and state == "active":
            r = sh(host, ["ldappasswd", "-x", "-H", "ldapi:///", "-D", dn(kind), "-w", initial, "-s", changed])
            assert r.rc == 0, r.stderr
    # Dovecot must not answer from a cache filled by an earlier run
    running(host, "dovecot")
    assert host.run("doveadm auth cache flush").rc == 0


def binds(host, kind, password):
    return sh(host, ["ldapwhoami", "-x", "-H", "ldapi:///", "-D", dn(kind), "-w", password]).rc == 0


def pwd_reset(host, kind):
    r = sh(host, ["ldapsearch", "-LLL", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///", "-b", dn(kind),
                  "-s", "base", "(objectClass=*)", "pwdReset"])
    return "pwdReset: TRUE" in r.stdout


# --- HTTPS ---------------------------------------------------------------------------------------

def test_art3_http_redirects_to_https(host):
    r = sh(host, CURL + ["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                         f"http://{MAIL_HOST}/?_task=mail&x=1"])
    assert r.stdout == f"301 https://{MAIL_HOST}/?_task=mail&x=1"


def test_art16_hsts_and_no_server_version(host):
    r = sh(host, CURL + ["-D", "-", "-o", "/dev/null", f"https://{MAIL_HOST}/"])
    headers = {k.strip().lower(): v.strip() for k, _, v in
               (line.partition(":") for line in r.stdout.splitlines()[1:] if ":" in line)}
    age = re.match(r"max-age=(\d+)", headers["strict-transport-security"])
    assert age and int(age.group(1)) >= 31536000
    assert headers["server"] == "nginx"
    not_found = sh(host, CURL + [f"https://{MAIL_HOST}/no-such-page"]).stdout
    assert "404" in not_found and not re.search(r"nginx/\d", not_found)


@pytest.mark.parametrize("version", ["-tls1", "-tls1_1"])
def test_art16_tls_1_0_and_1_1_refused(host, version):
    # the client is allowed the old protocol (SECLEVEL=0), so only the server can refuse it
    r = sh(host, ["openssl", "s_client", version, "-cipher", "DEFAULT@SECLEVEL=0", "-connect",
                  "127.0.0.1:443", "-servername", MAIL_HOST], "Q")
    assert r.rc != 0
    assert "Cipher is (NONE)" in r.stdout or "no protocols available" in r.stderr or "alert" in r.stderr


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_art16_tls_1_2_and_1_3_verified(host, version):
    r = sh(host, ["openssl", "s_client", version, "-verify_return_error", "-verify_hostname", MAIL_HOST,
                  "-connect", "127.0.0.1:443", "-servername", MAIL_HOST], "Q")
    assert r.rc == 0, r.stderr
    assert "Verify return code: 0 (ok)" in r.stdout


def test_art16_nginx_and_php_restart_when_they_die(host):
    for unit in ("nginx", "php8.2-fpm"):
        assert host.run(f"systemctl show -p Restart --value {unit}").stdout.strip() == "on-failure"
    main_pid = host.run("systemctl show -p MainPID --value nginx").stdout.strip()
    host.run(f"kill -9 {main_pid}")
    r = host.run("for i in $(seq 30); do sleep 1; systemctl is-active -q nginx && "
                 f"[ \"$(systemctl show -p MainPID --value nginx)\" != {main_pid} ] && exit 0; done; exit 1")
    assert r.rc == 0, "nginx did not come back after SIGKILL"
    r = host.run("for i in $(seq 10); do curl -s -o /dev/null -w '%{http_code}' "
                 f"https://{MAIL_HOST}/ | grep -q 200 && exit 0; sleep 1; done; exit 1")
    assert r.rc == 0


# --- Roundcube -----------------------------------------------------------------------------------

def test_login_page_in_vietnamese(host):
    page = sh(host, CURL + ["-H", "Accept-Language: en-US,en", f"https://{MAIL_HOST}/"]).stdout
    assert '<html lang="vi">' in page
    assert ">Tên đăng nhập</label>" in page and ">Mật khẩu</label>" in page and ">Đăng nhập</button>" in page


def test_secrets_readable_by_the_webmail_only(host):
    for path in ("/etc/roundcube/congvu/des_key", "/etc/roundcube/congvu/ldap.secret"):
        f = host.file(path)
        assert (f.user, f.group, f.mode) == ("root", "www-data", 0o640)
    des_key = host.file("/etc/roundcube/congvu/des_key").content_string.strip()
    assert len(des_key) == 24
    assert des_key not in host.file("/etc/roundcube/config.inc.php").content_string


def test_art14_global_address_list_as_roundcube(host):
    """ldapsearch with exactly the address book settings Roundcube's config holds."""
    r = host.run("php -r 'include \"/etc/roundcube/config.inc.php\"; "
                 "echo json_encode($config[\"ldap_public\"][\"congvu\"]);'")
    assert r.rc == 0, r.stderr
    book = json.loads(r.stdout)
    assert book["bind_dn"] == f"cn=roundcube,ou=system,{BASE}"
    r = sh(host, ["ldapsearch", "-LLL", "-x", "-H", book["hosts"][0], "-D", book["bind_dn"], "-w",
                  book["bind_pass"], "-b", book["base_dn"], book["filter"], "mail"])
    assert r.rc == 0, r.stderr
    found = set(re.findall(r"^mail: (.*)$", r.stdout, re.M))
    assert {addr("ready"), addr("must_change"), f"wbtest@{DOMAIN}"} <= found
    assert addr("suspended") not in found


# --- forced change at first login, Art. 4.3 and 6.3; the policy of Art. 8 -------------------------

def test_art4_wrong_initial_password_refused(host):
    out = run_client(host, f"""
        rc = Roundcube()
        r = rc.login({addr("wrong")!r}, "Not-the-password-1")
        print(json.dumps({{"status": r["status"], "texts": texts(r["body"])}}))
        """)
    assert out["texts"] == ["Không đăng nhập được"]
    assert pwd_reset(host, "wrong")


def test_art4_initial_password_leads_to_the_change_form_and_art8_refusals(host):
    kind = "must_change"
    initial = MAILBOXES[kind][4]
    out = run_client(host, f"""
        rc = Roundcube()
        steps = [texts(rc.login({addr(kind)!r}, {initial!r})["body"])]
        steps.append(texts(rc.change_at_login("abc")["body"]))
        steps.append(texts(rc.change_at_login("chiconchulthuong")["body"]))
        steps.append(texts(rc.change_at_login("Hai-lan-khac-1", "Hai-lan-khac-2")["body"]))
        last = rc.change_at_login("Mat-khau-moi-2026")
        steps.append(texts(last["body"]))
        print(json.dumps({{"steps": steps, "url": last["url"], "env": env(last["body"])}}))
        """)
    first, short, classes, mismatch, done = out["steps"]
    assert any("phải đặt mật khẩu mới" in t and "Điều 4" in t for t in first), first
    assert any("chỉ có 3 ký tự" in t and "Điều 8" in t and "ít nhất 7" in t for t in short), short
    assert any("chỉ dùng 1 trong 4 loại" in t and "Điều 8" in t for t in classes), classes
    assert any("không giống nhau" in t for t in mismatch), mismatch
    # the directory took the new password, and the mark is gone
    assert binds(host, kind, "Mat-khau-moi-2026")
    assert not binds(host, kind, initial)
    assert not pwd_reset(host, kind)
    assert out["env"].get("task") == "mail", done


def test_art4_initial_password_kept_out_of_imap(host, imap):
    """The forced change is the only way in: Dovecot refuses the initial password (role imap)."""
    r = sh(host, ["python3", "-c", textwrap.dedent(f"""
        import imaplib, ssl
        c = imaplib.IMAP4_SSL("localhost", 993, ssl_context=ssl.create_default_context())
        try:
            c.login({addr("wrong")!r}, {MAILBOXES["wrong"][4]!r})
        except imaplib.IMAP4.error as e:
            print("refused", e)
        """)])
    assert r.stdout.startswith("refused"), r.stdout + r.stderr


# --- with Dovecot and Postfix ---------------------------------------------------------------------

def test_login_with_the_mailbox_address(host, imap):
    out = run_client(host, f"""
        rc = Roundcube()
        r = rc.login({addr("ready")!r}, {MAILBOXES["ready"][5]!r})
        shown = {addr("ready")!r} in r["body"]
        print(json.dumps({{"url": r["url"], "env": env(r["body"]), "shows_address": shown}}))
        """)
    assert out["env"].get("task") == "mail", out
    assert out["shows_address"]


def test_art8_weak_password_refused_in_settings(host, imap):
    kind = "settings"
    current = MAILBOXES[kind][5]
    out = run_client(host, f"""
        rc = Roundcube()
        rc.login({addr(kind)!r}, {current!r})
        weak = texts(rc.change_in_settings({current!r}, "chuthuongvaso1")["body"])
        good = texts(rc.change_in_settings({current!r}, "Moi-Hon-2029")["body"])
        print(json.dumps({{"weak": weak, "good": good}}))
        """)
    assert any("không được chấp nhận" in t and "chỉ dùng 2 trong 4 loại" in t and "Điều 8" in t
               for t in out["weak"]), out
    assert binds(host, kind, "Moi-Hon-2029")


def test_art9_upload_limit_shown_in_compose(host, imap):
    out = run_client(host, f"""
        rc = Roundcube()
        rc.login({addr("ready")!r}, {MAILBOXES["ready"][5]!r})
        r = rc.get("/?_task=mail&_action=compose")
        print(json.dumps({{"env": env(r["body"]), "limit": re.findall(r"[^>]*20 MB[^<]*", r["body"])}}))
        """)
    assert out["env"]["max_filesize"] == 20 * 1024 * 1024, out["env"].get("max_filesize")
    assert out["limit"], "the compose page does not tell the 20 MB limit"


def test_art14_address_book_autocomplete(host, imap):
    out = run_client(host, f"""
        rc = Roundcube()
        rc.login({addr("ready")!r}, {MAILBOXES["ready"][5]!r})
        token = env(rc.page)["request_token"]
        r = rc.get("/?_task=mail&_action=autocomplete&_search=binhtt&_reqid=1&_remote=1",
                   headers={{"X-Roundcube-Request": token, "X-Requested-With": "XMLHttpRequest"}})
        print(json.dumps({{"status": r["status"], "body": r["body"]}}))
        """)
    assert addr("must_change") in out["body"], out


def forget_filters(host, kind):
    """Remove the webmail's Sieve script of a test mailbox, active or not (verify may run again)."""
    sh(host, ["doveadm", "sieve", "delete", "-a", "-u", addr(kind), "roundcube"])


def test_vacation_reply_saved_through_managesieve(host, imap):
    """Settings > Out of office writes a Sieve script into Dovecot (ManageSieve, STARTTLS)."""
    kind = "ready"
    out = run_client(host, f"""
        rc = Roundcube()
        rc.login({addr(kind)!r}, {MAILBOXES[kind][5]!r})
        rc.get("/?_task=settings&_action=plugin.managesieve-vacation")
        r = rc.post("/?_task=settings&_action=plugin.managesieve-vacation", {{
            "_token": rc.token(), "vacation_status": "on", "vacation_subject": "Nghỉ phép",
            "vacation_reason": "Tôi nghỉ phép đến thứ Hai.", "vacation_interval": "1",
            "vacation_interval_type": "days", "vacation_action": "keep"}})
        print(json.dumps({{"status": r["status"]}}))
        """)
    assert out["status"] == 200
    script = sh(host, ["doveadm", "sieve", "get", "-u", addr(kind), "roundcube"])
    assert script.rc == 0, script.stderr
    assert 'vacation :days 1 :subject "Nghỉ phép" "Tôi nghỉ phép đến thứ Hai."' in script.stdout
    forget_filters(host, kind)


def test_art13_filter_form_forwards_to_the_province_and_listed_domains_only(host, imap):
    """Art. 13.8, 15.2 (docs/forwarding.md): the filter form's "redirect to" offers the province's domain
    and the listed outside domains only. An outside address typed whole is refused with an error and not
    saved; a domain the list does not hold, posted anyway, is never written (Roundcube puts the
    province's domain instead); a listed outside domain is saved. (Postfix refuses the rest anyway:
    molecule/mail, test_forwarding.py.)"""
    kind = "filters"
    forget_filters(host, kind)
    attempts = [("outside typed", "ban@gmail.com", DOMAIN), ("outside posted", "ban", "gmail.com"),
                ("listed", "ban", ALLOWED_OUTSIDE)]
    out = run_client(host, f"""
        rc = Roundcube()
        rc.login({addr(kind)!r}, {MAILBOXES[kind][5]!r})
        domains = redirect_domains(rc.get("/?_task=settings&_action=plugin.managesieve-action&_framed=1")["body"])
        shown = {{}}
        for name, target, domain in {attempts!r}:
            rc.get("/?_task=settings&_action=plugin.managesieve-action&_framed=1")
            r = rc.post("/?_task=settings&_action=plugin.managesieve-save", {{
                "_token": rc.token(), "_framed": "1", "_fid": "", "_name": name, "_enabled": "1", "_join": "any",
                "_action_type[0]": "redirect", "_action_target[0]": target, "_action_target_domain[0]": domain}})
            shown[name] = messages(r["body"])
        print(json.dumps({{"domains": domains, "shown": shown}}))
        """)
    assert out["domains"] == sorted([DOMAIN, ALLOWED_OUTSIDE]), out
    script = sh(host, ["doveadm", "sieve", "get", "-u", addr(kind), "roundcube"])
    try:
        assert script.rc == 0, script.stderr
        # the address typed whole: the form says it has errors (Roundcube's warning), and no filter
        typed = {kind_ for _, kind_ in out["shown"]["outside typed"]}
        assert typed & {"error", "warning"} and "confirmation" not in typed, out
        assert "outside typed" not in script.stdout
        # whatever was posted, nothing in the script goes outside but to the listed domain
        assert "gmail.com" not in script.stdout
        assert f'redirect "ban@{DOMAIN}";' in script.stdout
        assert f'redirect "ban@{ALLOWED_OUTSIDE}";' in script.stdout
        assert any(kind_ == "confirmation" for _, kind_ in out["shown"]["listed"]), out
    finally:
        forget_filters(host, kind)


# --- Art. 9: uploads -----------------------------------------------------------------------------

def test_art9_25mb_upload_refused_with_a_clear_message(host):
    host.run("head -c 26214400 /dev/zero > /root/congvu-25mb.bin")
    r = sh(host, CURL + ["-o", "/root/congvu-413.html", "-w", "%{http_code}", "-F",
                         "_attachments[]=@/root/congvu-25mb.bin",
                         f"https://{MAIL_HOST}/?_task=mail&_action=upload&_uploadid=1&_id=1"])
    host.run("rm -f /root/congvu-25mb.bin")
    assert r.stdout == "413"
    page = host.file("/root/congvu-413.html").content_string
    assert "20 MB" in page and "QĐ 41/2015/QĐ-UBND (Quảng Bình)" in page  # the regulation in force


# --- client auto-configuration, Art. 3.2 ---------------------------------------------------------

def listening_with_tls(host, port, starttls=None):
    argv = ["openssl", "s_client", "-verify_return_error", "-verify_hostname", MAIL_HOST,
            "-connect", f"127.0.0.1:{port}", "-servername", MAIL_HOST]
    if starttls:
        argv += ["-starttls", starttls]
    return sh(host, argv, "Q").rc == 0


def check_against_services(host, servers):
    """servers: (protocol, port, socket type) from a document; compare with the variables and with
    what listens here."""
    expected = {("imap", PORTS["imaps"], "SSL"), ("imap", PORTS["imap"], "STARTTLS"),
                ("pop3", PORTS["pop3s"], "SSL"), ("smtp", PORTS["submissions"], "SSL"),
                ("smtp", PORTS["submission"], "STARTTLS")}
    assert set(servers) <= expected, servers
    for protocol, port, socket in servers:
        starttls = {"imap": "imap", "smtp": "smtp", "pop3": "pop3"}[protocol] if socket == "STARTTLS" else None
        assert listening_with_tls(host, port, starttls), f"{protocol} {port} {socket}"


@pytest.mark.parametrize("url", [
    f"https://{MAIL_HOST}/.well-known/autoconfig/mail/config-v1.1.xml",
    f"https://autoconfig.{DOMAIN}/mail/config-v1.1.xml?emailaddress=annv.stttt%40{DOMAIN}",
    f"http://autoconfig.{DOMAIN}/mail/config-v1.1.xml",
    f"https://autoconfig.{FORMER}/mail/config-v1.1.xml?emailaddress=annv%40{FORMER}",
    f"http://autoconfig.{FORMER}/mail/config-v1.1.xml",
])
def test_art3_thunderbird_autoconfig(host, url):
    r = sh(host, CURL + ["-f", url])
    assert r.rc == 0, r.stderr
    provider = ET.fromstring(r.stdout).find("emailProvider")
    assert provider.find("domain").text == DOMAIN
    # the former domain's addresses are the same provider's (Thunderbird matches the address typed)
    assert [d.text for d in provider.findall("domain")] == [DOMAIN, FORMER]
    servers = []
    for server in provider.findall("incomingServer") + provider.findall("outgoingServer"):
        assert server.find("hostname").text == MAIL_HOST
        assert server.find("username").text == "%EMAILADDRESS%"
        servers.append((server.get("type"), int(server.find("port").text), server.find("socketType").text))
    assert len(servers) == 5
    check_against_services(host, servers)


@pytest.mark.parametrize(("where", "address"), [
    (MAIL_HOST, addr("ready")), (f"autodiscover.{DOMAIN}", addr("ready")), (f"autodiscover.{FORMER}", OLD_ADDRESS),
])
def test_art3_outlook_autodiscover(host, where, address):
    ns = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}"
    request = ('<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/'
               'exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>{}</EMailAddress>'
               '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/'
               'responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>')
    url = f"https://{where}/Autodiscover/Autodiscover.xml"
    r = sh(host, CURL + ["-f", "-H", "Content-Type: text/xml", "--data-binary", request.format(address), url])
    assert r.rc == 0, r.stderr
    account = ET.fromstring(r.stdout).find(f"{ns}Response/{ns}Account")
    servers = []
    for p in account.findall(f"{ns}Protocol"):
        assert p.find(f"{ns}Server").text == MAIL_HOST
        assert p.find(f"{ns}LoginName").text == address
        assert p.find(f"{ns}SSL").text == "on"
        servers.append((p.find(f"{ns}Type").text.lower(), int(p.find(f"{ns}Port").text), "SSL"))
    assert sorted(s[0] for s in servers) == ["imap", "pop3", "smtp"]
    check_against_services(host, servers)
    other = sh(host, CURL + ["--data-binary", request.format("someone@example.com"), url]).stdout
    assert "<ErrorCode>600</ErrorCode>" in other and "example.com" not in other


def test_art3_apple_profile_per_user(host):
    r = sh(host, CURL + ["-f", "-D", "/root/congvu-mc.headers", f"https://{MAIL_HOST}/mobileconfig?email={addr('ready')}"])
    assert r.rc == 0, r.stderr
    headers = host.file("/root/congvu-mc.headers").content_string.lower()
    assert "content-type: application/x-apple-aspen-config" in headers
    profile = plistlib.loads(r.stdout.encode())
    assert profile["PayloadType"] == "Configuration"
    (account,) = profile["PayloadContent"]
    assert account["PayloadType"] == "com.apple.mail.managed"
    assert account["EmailAddress"] == account["IncomingMailServerUsername"] == addr("ready")
    assert account["IncomingMailServerHostName"] == account["OutgoingMailServerHostName"] == MAIL_HOST
    assert account["IncomingMailServerUseSSL"] and account["OutgoingMailServerUseSSL"]
    check_against_services(host, [("imap", account["IncomingMailServerPortNumber"], "SSL"),
                                  ("smtp", account["OutgoingMailServerPortNumber"], "SSL")])
    bad = sh(host, CURL + ["-o", "/dev/null", "-w", "%{http_code}", f"https://{MAIL_HOST}/mobileconfig?email=x@example.com"])
    assert bad.stdout == "400"


def zone_mx(domain):
    """The MX of `domain`'s zone in the records file role dns_records wrote on the controller."""
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "dns", f"{DOMAIN}.zone")
    with open(path, encoding="utf-8") as f:
        zone = f.read().split(f"$ORIGIN {domain}.\n", 1)[1].split("$ORIGIN", 1)[0]
    return re.search(r"^@\s+IN\s+MX\s+\d+\s+(\S+)\.$", zone, re.MULTILINE).group(1)


@pytest.mark.parametrize("domain", [DOMAIN, FORMER])
def test_rfc8461_mta_sts_policy_served_for_each_domain(host, domain):
    """RFC 8461: a sending server fetches https://mta-sts.<domain>/.well-known/mta-sts.txt with SNI and a
    certificate valid for that name; the policy lists the MX of that domain's published zone."""
    r = sh(host, CURL + ["-f", "-D", "-", f"https://mta-sts.{domain}/.well-known/mta-sts.txt"])
    assert r.rc == 0, r.stderr
    head, _, body = r.stdout.partition("\r\n\r\n")
    assert "content-type: text/plain" in head.lower()
    assert body.splitlines() == ["version: STSv1", "mode: testing", f"mx: {zone_mx(domain)}", "max_age: 604800"]
    assert zone_mx(domain) == MAIL_HOST


def test_rfc8461_no_mta_sts_policy_is_a_404(host):
    """Without the policy file (role dns_records not run yet on this host) the web front answers 404 on
    every mta-sts. name, not an empty or stale policy."""
    policy = "/etc/congvu/dns/mta-sts.txt"
    assert host.run(f"mv {policy} {policy}.away").rc == 0
    try:
        for domain in (DOMAIN, FORMER):
            url = f"https://mta-sts.{domain}/.well-known/mta-sts.txt"
            assert sh(host, CURL + ["-o", "/dev/null", "-w", "%{http_code}", url]).stdout == "404", domain
    finally:
        assert host.run(f"mv {policy}.away {policy}").rc == 0


# --- a change of domain (docs/reorganisation.md): the former domain's names on the same web front ---

@pytest.mark.parametrize("name", FORMER_NAMES)
def test_change_of_domain_certificate_covers_the_former_names(host, name):
    r = sh(host, ["openssl", "s_client", "-verify_return_error", "-verify_hostname", name,
                  "-connect", "127.0.0.1:443", "-servername", name], "Q")
    assert r.rc == 0, r.stderr
    assert "Verify return code: 0 (ok)" in r.stdout


def test_change_of_domain_roundcube_on_the_mail_host_only(host):
    """Roundcube answers on the mail host (clients keep their settings); the former domain's names serve
    the client auto-configuration and the policy only."""
    page = sh(host, CURL + ["-f", f"https://{MAIL_HOST}/"])
    assert page.rc == 0 and 'name="_user"' in page.stdout, page.stderr
    for name in FORMER_NAMES:
        r = sh(host, CURL + ["-o", "/dev/null", "-w", "%{http_code}", f"https://{name}/"])
        assert r.stdout == "404", name


def test_change_of_domain_login_with_the_old_address_opens_the_mailbox(host, imap):
    """The old address is an alias of the mailbox: Roundcube logs in with it (Dovecot finds the alias)."""
    out = run_client(host, f"""
        rc = Roundcube()
        r = rc.login({OLD_ADDRESS!r}, {MAILBOXES["ready"][5]!r})
        print(json.dumps({{"env": env(r["body"])}}))
        """)
    assert out["env"].get("task") == "mail", out


def test_change_of_domain_apple_profile_for_the_old_address(host):
    r = sh(host, CURL + ["-f", f"https://{MAIL_HOST}/mobileconfig?email={OLD_ADDRESS}"])
    assert r.rc == 0, r.stderr
    (account,) = plistlib.loads(r.stdout.encode())["PayloadContent"]
    assert account["EmailAddress"] == account["IncomingMailServerUsername"] == OLD_ADDRESS
    assert account["IncomingMailServerHostName"] == MAIL_HOST
