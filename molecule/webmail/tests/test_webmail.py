"""Role webmail on a web front of its own, tested as users and their clients see it (webmail_hosts.py).

Real clients only, in the web front container: curl, openssl s_client, python3 urllib / xml.etree / plistlib /
imaplib (the Roundcube user of rc_client.py posts the forms with their CSRF token as a browser does). What
happened on the mail side is read in the mail container: the directory over ldapi://, doveadm, the journal of
Postfix and Dovecot. Test mailboxes are created by each run (ldapadd as root over ldapi://), so verify can run
again. Login and the settings page need Dovecot (role imap), sending needs Postfix (role mta): a test that
needs one fails, never skips, when it is down (a crash is a failure).
"""

import hashlib
import json
import os
import plistlib
import re
import shlex
import sys
import textwrap
import time
import uuid
import xml.etree.ElementTree as ET

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from webmail_hosts import CURL, FRONT, MAIL, MAIL_HOST, MAIL_NAME, addresses, resolved_on_front  # noqa: E402

DOMAIN = "quangbinh.gov.vn"
# the former domain of converge.yml (congvu__former_domains): its names are served beside the domain's
FORMER = "quangtri.gov.vn"
FORMER_NAMES = [f"autoconfig.{FORMER}", f"autodiscover.{FORMER}", f"mta-sts.{FORMER}"]
BASE = "dc=quangbinh,dc=gov,dc=vn"
PEOPLE = f"ou=people,{BASE}"
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
    # receives what "ready" sends from the webmail, and reads it there
    "reader": ("WB0007", "Vũ Thị Giang", "giangvt.stttt", "active", "Init-pass-7", "Doi-roi-2030"),
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


def run_client(code):
    """Run rc_client.py + code in the web front, as a user's browser there; the last printed line is JSON."""
    r = sh(FRONT, ["python3", "-"], CLIENT + "\n" + textwrap.dedent(code))
    assert r.rc == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def running(host, unit):
    """The scenario converges Dovecot and Postfix: one that does not run is a failure of the test
    that needs it (with the unit's state in the message), not a reason to skip."""
    service = host.service(unit)
    assert service.is_running, f"{unit} is not running: " + host.run(f"systemctl status --no-pager {unit}").stdout


@pytest.fixture(scope="module")
def imap():
    running(MAIL, "dovecot")


@pytest.fixture(scope="module")
def submission():
    running(MAIL, "postfix@-")


@pytest.fixture(scope="module", autouse=True)
def mailboxes():
    """Fresh test mailboxes: created by root (so with pwdReset, as the reconcile leaves them), then
    the ones that are 'ready' change their initial password themselves (ldappasswd as the user)."""
    ldif = []
    for kind, (uid, cn, local, state, initial, _) in MAILBOXES.items():
        sh(MAIL, ["ldapdelete", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///", f"uid={uid},{PEOPLE}"])
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
    sh(MAIL, ["ldapdelete", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///", f"cn=wbtest,ou=agencies,{BASE}"])
    ldif.append(textwrap.dedent(f"""\
        dn: cn=wbtest,ou=agencies,{BASE}
        objectClass: congvuAgencyMailbox
        cn: wbtest
        mail: wbtest@{DOMAIN}
        description: Ban Thử Nghiệm Webmail
        congvuKind: other
        congvuState: active
        """))
    r = sh(MAIL, ["ldapadd", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///"], "\n".join(ldif))
    assert r.rc == 0, r.stderr
    for kind, (_, _, _, state, initial, changed) in MAILBOXES.items():
        if changed and state == "active":
            r = sh(MAIL, ["ldappasswd", "-x", "-H", "ldapi:///", "-D", dn(kind), "-w", initial, "-s", changed])
            assert r.rc == 0, r.stderr
    # Dovecot must not answer from a cache filled by an earlier run
    running(MAIL, "dovecot")
    assert MAIL.run("doveadm auth cache flush").rc == 0


def binds(kind, password):
    """Whether the directory takes this password (a bind as the person, on the directory host)."""
    return sh(MAIL, ["ldapwhoami", "-x", "-H", "ldapi:///", "-D", dn(kind), "-w", password]).rc == 0


def pwd_reset(kind):
    r = sh(MAIL, ["ldapsearch", "-LLL", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///", "-b", dn(kind),
                  "-s", "base", "(objectClass=*)", "pwdReset"])
    return "pwdReset: TRUE" in r.stdout


# --- the layout: a web front of its own -----------------------------------------------------------

def roundcube_config(*names):
    """Settings of Roundcube's config.inc.php on the front, as PHP reads them."""
    keys = ", ".join(f'"{n}" => $config["{n}"]' for n in names)
    r = FRONT.run(f"php -r 'include \"/etc/roundcube/config.inc.php\"; echo json_encode([{keys}]);'")
    assert r.rc == 0, r.stderr
    return json.loads(r.stdout)


def test_the_web_front_holds_the_webmail_and_the_mail_host_the_mail():
    """The split this scenario tests: nginx and Roundcube on the front only, the directory and the mail services
    on the mail host only, and the mail host name (what Roundcube connects to) leads from the front to the mail
    host, not to the front itself."""
    for package in ("nginx", "roundcube-core"):
        assert FRONT.package(package).is_installed and not MAIL.package(package).is_installed, package
    for package in ("slapd", "postfix", "dovecot-core"):
        assert MAIL.package(package).is_installed and not FRONT.package(package).is_installed, package
    assert resolved_on_front(MAIL_HOST) == addresses(MAIL), FRONT.run(f"getent ahostsv4 {MAIL_HOST}").stdout
    assert not addresses(MAIL) & addresses(FRONT)
    # role webmail's defaults on a host outside groups imap and mx: the mail host name, not localhost
    assert roundcube_config("imap_host", "smtp_host", "managesieve_host") == {
        "imap_host": f"ssl://{MAIL_HOST}:993", "smtp_host": f"tls://{MAIL_HOST}:587",
        "managesieve_host": f"tls://{MAIL_HOST}:4190"}


# --- HTTPS ---------------------------------------------------------------------------------------

def test_art3_http_redirects_to_https():
    r = sh(FRONT, CURL + ["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                          f"http://{MAIL_HOST}/?_task=mail&x=1"])
    assert r.stdout == f"301 https://{MAIL_HOST}/?_task=mail&x=1"


def test_art16_hsts_and_no_server_version():
    r = sh(FRONT, CURL + ["-D", "-", "-o", "/dev/null", f"https://{MAIL_HOST}/"])
    headers = {k.strip().lower(): v.strip() for k, _, v in
               (line.partition(":") for line in r.stdout.splitlines()[1:] if ":" in line)}
    age = re.match(r"max-age=(\d+)", headers["strict-transport-security"])
    assert age and int(age.group(1)) >= 31536000
    assert headers["server"] == "nginx"
    not_found = sh(FRONT, CURL + [f"https://{MAIL_HOST}/no-such-page"]).stdout
    assert "404" in not_found and not re.search(r"nginx/\d", not_found)


@pytest.mark.parametrize("version", ["-tls1", "-tls1_1"])
def test_art16_tls_1_0_and_1_1_refused(version):
    # the client is allowed the old protocol (SECLEVEL=0), so only the server can refuse it
    r = sh(FRONT, ["openssl", "s_client", version, "-cipher", "DEFAULT@SECLEVEL=0", "-connect",
                   "127.0.0.1:443", "-servername", MAIL_HOST], "Q")
    assert r.rc != 0
    assert "Cipher is (NONE)" in r.stdout or "no protocols available" in r.stderr or "alert" in r.stderr


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_art16_tls_1_2_and_1_3_verified(version):
    r = sh(FRONT, ["openssl", "s_client", version, "-verify_return_error", "-verify_hostname", MAIL_HOST,
                   "-connect", "127.0.0.1:443", "-servername", MAIL_HOST], "Q")
    assert r.rc == 0, r.stderr
    assert "Verify return code: 0 (ok)" in r.stdout


def test_art16_nginx_and_php_restart_when_they_die():
    for unit in ("nginx", "php8.2-fpm"):
        assert FRONT.run(f"systemctl show -p Restart --value {unit}").stdout.strip() == "on-failure"
    main_pid = FRONT.run("systemctl show -p MainPID --value nginx").stdout.strip()
    FRONT.run(f"kill -9 {main_pid}")
    r = FRONT.run("for i in $(seq 30); do sleep 1; systemctl is-active -q nginx && "
                  f"[ \"$(systemctl show -p MainPID --value nginx)\" != {main_pid} ] && exit 0; done; exit 1")
    assert r.rc == 0, "nginx did not come back after SIGKILL"
    curl = " ".join(shlex.quote(a) for a in CURL + ["-o", "/dev/null", "-w", "%{http_code}", f"https://{MAIL_HOST}/"])
    r = FRONT.run(f"for i in $(seq 10); do {curl} | grep -q 200 && exit 0; sleep 1; done; exit 1")
    assert r.rc == 0


# --- Roundcube -----------------------------------------------------------------------------------

def test_login_page_in_vietnamese():
    page = sh(FRONT, CURL + ["-H", "Accept-Language: en-US,en", f"https://{MAIL_HOST}/"]).stdout
    assert '<html lang="vi">' in page
    assert ">Tên đăng nhập</label>" in page and ">Mật khẩu</label>" in page and ">Đăng nhập</button>" in page


def test_secrets_readable_by_the_webmail_only():
    for path in ("/etc/roundcube/congvu/des_key", "/etc/roundcube/congvu/ldap.secret"):
        f = FRONT.file(path)
        assert (f.user, f.group, f.mode) == ("root", "www-data", 0o640)
    des_key = FRONT.file("/etc/roundcube/congvu/des_key").content_string.strip()
    assert len(des_key) == 24
    assert des_key not in FRONT.file("/etc/roundcube/config.inc.php").content_string


POOL = "/etc/php/8.2/fpm/pool.d/congvu-webmail.conf"


def pool_environment():
    """The environment Roundcube's PHP-FPM pool gives its workers (libldap's TLS settings: env[...])."""
    return dict(re.findall(r"^env\[(\w+)\]\s*=\s*(\S+)$", FRONT.file(POOL).content_string, re.M))


def test_art14_global_address_list_as_roundcube():
    """ldapsearch in the web front with exactly the address book settings Roundcube's config holds, and the TLS
    settings its PHP-FPM pool gives libldap: the directory on the mail host, over LDAPS, its certificate
    verified with the front's trust store (role webmail copied the directory's CA there), as Roundcube does."""
    r = FRONT.run("php -r 'include \"/etc/roundcube/config.inc.php\"; "
                  "echo json_encode($config[\"ldap_public\"][\"congvu\"]);'")
    assert r.rc == 0, r.stderr
    book = json.loads(r.stdout)
    assert book["hosts"] == [f"ldaps://{MAIL_NAME}:636"]
    assert book["bind_dn"] == f"cn=roundcube,ou=system,{BASE}"
    tls = pool_environment()
    assert tls == {"LDAPTLS_CACERT": "/etc/ssl/certs/ca-certificates.crt", "LDAPTLS_REQCERT": "demand"}, tls
    r = sh(FRONT, ["env", *(f"{k}={v}" for k, v in tls.items()), "ldapsearch", "-LLL", "-x", "-H", book["hosts"][0],
                   "-D", book["bind_dn"], "-w", book["bind_pass"], "-b", book["base_dn"], book["filter"], "mail"])
    assert r.rc == 0, r.stderr
    found = set(re.findall(r"^mail: (.*)$", r.stdout, re.M))
    assert {addr("ready"), addr("must_change"), f"wbtest@{DOMAIN}"} <= found
    assert addr("suspended") not in found


# --- forced change at first login, Art. 4.3 and 6.3; the policy of Art. 8 -------------------------

def test_art4_wrong_initial_password_refused():
    out = run_client(f"""
        rc = Roundcube()
        r = rc.login({addr("wrong")!r}, "Not-the-password-1")
        print(json.dumps({{"status": r["status"], "texts": texts(r["body"])}}))
        """)
    assert out["texts"] == ["Không đăng nhập được"]
    assert pwd_reset("wrong")


def test_art4_initial_password_leads_to_the_change_form_and_art8_refusals():
    kind = "must_change"
    initial = MAILBOXES[kind][4]
    out = run_client(f"""
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
    assert binds(kind, "Mat-khau-moi-2026")
    assert not binds(kind, initial)
    assert not pwd_reset(kind)
    assert out["env"].get("task") == "mail", done


def imap_login(kind, password):
    """A mail client in the web front's network logs in over IMAPS at the mail host name (the mail container),
    the certificate verified: "ok", or "refused" and Dovecot's answer."""
    r = sh(FRONT, ["python3", "-c", textwrap.dedent(f"""
        import imaplib, ssl
        c = imaplib.IMAP4_SSL({MAIL_HOST!r}, 993, ssl_context=ssl.create_default_context())
        try:
            c.login({addr(kind)!r}, {password!r})
            print("ok")
        except imaplib.IMAP4.error as e:
            print("refused", e)
        """)])
    return r.stdout + r.stderr


def test_art4_initial_password_kept_out_of_imap(imap):
    """The forced change is the only way in: Dovecot refuses the initial password (role imap), and takes the
    password a person set."""
    assert imap_login("wrong", MAILBOXES["wrong"][4]).startswith("refused")
    assert imap_login("ready", MAILBOXES["ready"][5]).startswith("ok")


# --- with Dovecot and Postfix ---------------------------------------------------------------------

def test_login_with_the_mailbox_address(imap):
    out = run_client(f"""
        rc = Roundcube()
        r = rc.login({addr("ready")!r}, {MAILBOXES["ready"][5]!r})
        shown = {addr("ready")!r} in r["body"]
        print(json.dumps({{"url": r["url"], "env": env(r["body"]), "shows_address": shown}}))
        """)
    assert out["env"].get("task") == "mail", out
    assert out["shows_address"]


def test_art8_weak_password_refused_in_settings(imap):
    kind = "settings"
    current = MAILBOXES[kind][5]
    out = run_client(f"""
        rc = Roundcube()
        rc.login({addr(kind)!r}, {current!r})
        weak = texts(rc.change_in_settings({current!r}, "chuthuongvaso1")["body"])
        good = texts(rc.change_in_settings({current!r}, "Moi-Hon-2029")["body"])
        print(json.dumps({{"weak": weak, "good": good}}))
        """)
    assert any("không được chấp nhận" in t and "chỉ dùng 2 trong 4 loại" in t and "Điều 8" in t
               for t in out["weak"]), out
    assert binds(kind, "Moi-Hon-2029")


def test_art9_upload_limit_shown_in_compose(imap):
    out = run_client(f"""
        rc = Roundcube()
        rc.login({addr("ready")!r}, {MAILBOXES["ready"][5]!r})
        r = rc.get("/?_task=mail&_action=compose")
        print(json.dumps({{"env": env(r["body"]), "limit": re.findall(r"[^>]*20 MB[^<]*", r["body"])}}))
        """)
    assert out["env"]["max_filesize"] == 20 * 1024 * 1024, out["env"].get("max_filesize")
    assert out["limit"], "the compose page does not tell the 20 MB limit"


def test_art14_address_book_autocomplete(imap):
    out = run_client(f"""
        rc = Roundcube()
        rc.login({addr("ready")!r}, {MAILBOXES["ready"][5]!r})
        token = env(rc.page)["request_token"]
        r = rc.get("/?_task=mail&_action=autocomplete&_search=binhtt&_reqid=1&_remote=1",
                   headers={{"X-Roundcube-Request": token, "X-Requested-With": "XMLHttpRequest"}})
        print(json.dumps({{"status": r["status"], "body": r["body"]}}))
        """)
    assert addr("must_change") in out["body"], out


def journal_since(host, since, *args):
    """The journal of `host` since the time `since` (seconds since the epoch, the host's clock)."""
    return host.run(f"journalctl --no-pager -o cat --since @{since} " + " ".join(args)).stdout


def test_art3_send_and_read_through_the_web_front(imap, submission):
    """A person writes a message in the webmail and another reads it there: the front submits it to Postfix on
    the mail host (port 587, STARTTLS, the sender's own login), Postfix delivers it to Dovecot, and the
    reader's webmail lists and opens it over IMAPS; the sender's copy is saved in Sent. The mail host's logs
    show both connections coming from the front."""
    token = uuid.uuid4().hex[:12]
    subject = f"Lịch họp giao ban {token}"
    text = f"Họp giao ban lúc 8 giờ thứ Hai ({token})."
    since = MAIL.run("date +%s").stdout.strip()
    sent = run_client(f"""
        rc = Roundcube()
        rc.login({addr("ready")!r}, {MAILBOXES["ready"][5]!r})
        r = rc.send({addr("reader")!r}, {subject!r}, {text!r})
        print(json.dumps({{"messages": messages(r["body"]), "sent": "sent_successfully" in r["body"]}}))
        """)
    assert sent["sent"] and not [m for m in sent["messages"] if m[1] == "error"], sent

    def found(kind, mailbox):
        r = sh(MAIL, ["doveadm", "search", "-u", addr(kind), "mailbox", mailbox, "subject", token])
        return r.stdout.split()[1] if r.rc == 0 and r.stdout.strip() else None

    for _ in range(30):
        uid = found("reader", "INBOX")
        if uid:
            break
        time.sleep(1)
    assert uid, "not delivered within 30 s: " + MAIL.run("postqueue -p").stdout
    assert found("ready", "Sent"), "no copy in the sender's Sent folder"

    read = run_client(f"""
        rc = Roundcube()
        rc.login({addr("reader")!r}, {MAILBOXES["reader"][5]!r})
        listed = rc.ajax("/?_task=mail&_action=list&_mbox=INBOX&_remote=1")
        shown = rc.get("/?_task=mail&_mbox=INBOX&_uid={uid}&_action=show")["body"]
        print(json.dumps({{"listed": {token!r} in json.dumps(listed), "subject": {subject!r} in shown,
                          "text": {text!r} in shown, "from": {addr("ready")!r} in shown}}))
        """)
    assert read == {"listed": True, "subject": True, "text": True, "from": True}, read

    front = addresses(FRONT)
    submitted = [line for line in journal_since(MAIL, since, "-t", "postfix/submission/smtpd").splitlines()
                 if f"sasl_username={addr('ready')}" in line]
    assert submitted and all(any(f"[{a}]" in line for a in front) for line in submitted), submitted
    logins = [line for line in journal_since(MAIL, since, "-u", "dovecot").splitlines()
              if "imap-login: Login:" in line and f"user=<{addr('reader')}>" in line]
    assert logins and all(re.search(r"rip=([\d.]+)", line).group(1) in front for line in logins), logins


def forget_filters(kind):
    """Remove the webmail's Sieve script of a test mailbox, active or not (verify may run again)."""
    sh(MAIL, ["doveadm", "sieve", "delete", "-a", "-u", addr(kind), "roundcube"])


def test_vacation_reply_saved_through_managesieve(imap):
    """Settings > Out of office writes a Sieve script into Dovecot (ManageSieve, STARTTLS)."""
    kind = "ready"
    out = run_client(f"""
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
    script = sh(MAIL, ["doveadm", "sieve", "get", "-u", addr(kind), "roundcube"])
    assert script.rc == 0, script.stderr
    assert 'vacation :days 1 :subject "Nghỉ phép" "Tôi nghỉ phép đến thứ Hai."' in script.stdout
    forget_filters(kind)


def test_art13_filter_form_forwards_to_the_province_and_listed_domains_only(imap):
    """Art. 13.8, 15.2 (docs/forwarding.md): the filter form's "redirect to" offers the province's domain
    and the listed outside domains only. An outside address typed whole is refused with an error and not
    saved; a domain the list does not hold, posted anyway, is never written (Roundcube puts the
    province's domain instead); a listed outside domain is saved. (Postfix refuses the rest anyway:
    molecule/mail, test_forwarding.py.)"""
    kind = "filters"
    forget_filters(kind)
    attempts = [("outside typed", "ban@gmail.com", DOMAIN), ("outside posted", "ban", "gmail.com"),
                ("listed", "ban", ALLOWED_OUTSIDE)]
    out = run_client(f"""
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
    script = sh(MAIL, ["doveadm", "sieve", "get", "-u", addr(kind), "roundcube"])
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
        forget_filters(kind)


# --- Art. 9: uploads -----------------------------------------------------------------------------

def test_art9_25mb_upload_refused_with_a_clear_message():
    FRONT.run("head -c 26214400 /dev/zero > /root/congvu-25mb.bin")
    r = sh(FRONT, CURL + ["-o", "/root/congvu-413.html", "-w", "%{http_code}", "-F",
                          "_attachments[]=@/root/congvu-25mb.bin",
                          f"https://{MAIL_HOST}/?_task=mail&_action=upload&_uploadid=1&_id=1"])
    FRONT.run("rm -f /root/congvu-25mb.bin")
    assert r.stdout == "413"
    page = FRONT.file("/root/congvu-413.html").content_string
    assert "20 MB" in page and "QĐ 41/2015/QĐ-UBND (Quảng Bình)" in page  # the regulation in force


# --- client auto-configuration, Art. 3.2 ---------------------------------------------------------

def listening_with_tls(port, starttls=None):
    """A mail client in the web front's network connects to the mail host name, which leads to the mail
    container (webmail_hosts.py), and verifies its certificate for that name with the trust store there."""
    argv = ["openssl", "s_client", "-verify_return_error", "-verify_hostname", MAIL_HOST,
            "-connect", f"{MAIL_HOST}:{port}", "-servername", MAIL_HOST]
    if starttls:
        argv += ["-starttls", starttls]
    return sh(FRONT, argv, "Q").rc == 0


def check_against_services(servers):
    """servers: (protocol, port, socket type) from a document; compare with the variables and with
    what listens at the mail host name, reached from the web front over the network."""
    expected = {("imap", PORTS["imaps"], "SSL"), ("imap", PORTS["imap"], "STARTTLS"),
                ("pop3", PORTS["pop3s"], "SSL"), ("smtp", PORTS["submissions"], "SSL"),
                ("smtp", PORTS["submission"], "STARTTLS")}
    assert set(servers) <= expected, servers
    for protocol, port, socket in servers:
        starttls = {"imap": "imap", "smtp": "smtp", "pop3": "pop3"}[protocol] if socket == "STARTTLS" else None
        assert listening_with_tls(port, starttls), f"{protocol} {port} {socket}"


@pytest.mark.parametrize("url", [
    f"https://{MAIL_HOST}/.well-known/autoconfig/mail/config-v1.1.xml",
    f"https://autoconfig.{DOMAIN}/mail/config-v1.1.xml?emailaddress=annv.stttt%40{DOMAIN}",
    f"http://autoconfig.{DOMAIN}/mail/config-v1.1.xml",
    f"https://autoconfig.{FORMER}/mail/config-v1.1.xml?emailaddress=annv%40{FORMER}",
    f"http://autoconfig.{FORMER}/mail/config-v1.1.xml",
])
def test_art3_thunderbird_autoconfig(url):
    r = sh(FRONT, CURL + ["-f", url])
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
    check_against_services(servers)


@pytest.mark.parametrize(("where", "address"), [
    (MAIL_HOST, addr("ready")), (f"autodiscover.{DOMAIN}", addr("ready")), (f"autodiscover.{FORMER}", OLD_ADDRESS),
])
def test_art3_outlook_autodiscover(where, address):
    ns = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}"
    request = ('<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/'
               'exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>{}</EMailAddress>'
               '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/'
               'responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>')
    url = f"https://{where}/Autodiscover/Autodiscover.xml"
    r = sh(FRONT, CURL + ["-f", "-H", "Content-Type: text/xml", "--data-binary", request.format(address), url])
    assert r.rc == 0, r.stderr
    account = ET.fromstring(r.stdout).find(f"{ns}Response/{ns}Account")
    servers = []
    for p in account.findall(f"{ns}Protocol"):
        assert p.find(f"{ns}Server").text == MAIL_HOST
        assert p.find(f"{ns}LoginName").text == address
        assert p.find(f"{ns}SSL").text == "on"
        servers.append((p.find(f"{ns}Type").text.lower(), int(p.find(f"{ns}Port").text), "SSL"))
    assert sorted(s[0] for s in servers) == ["imap", "pop3", "smtp"]
    check_against_services(servers)
    other = sh(FRONT, CURL + ["--data-binary", request.format("someone@example.com"), url]).stdout
    assert "<ErrorCode>600</ErrorCode>" in other and "example.com" not in other


def test_art3_apple_profile_per_user():
    r = sh(FRONT, CURL + ["-f", "-D", "/root/congvu-mc.headers", f"https://{MAIL_HOST}/mobileconfig?email={addr('ready')}"])
    assert r.rc == 0, r.stderr
    headers = FRONT.file("/root/congvu-mc.headers").content_string.lower()
    assert "content-type: application/x-apple-aspen-config" in headers
    profile = plistlib.loads(r.stdout.encode())
    assert profile["PayloadType"] == "Configuration"
    (account,) = profile["PayloadContent"]
    assert account["PayloadType"] == "com.apple.mail.managed"
    assert account["EmailAddress"] == account["IncomingMailServerUsername"] == addr("ready")
    assert account["IncomingMailServerHostName"] == account["OutgoingMailServerHostName"] == MAIL_HOST
    assert account["IncomingMailServerUseSSL"] and account["OutgoingMailServerUseSSL"]
    check_against_services([("imap", account["IncomingMailServerPortNumber"], "SSL"),
                                  ("smtp", account["OutgoingMailServerPortNumber"], "SSL")])
    bad = sh(FRONT, CURL + ["-o", "/dev/null", "-w", "%{http_code}", f"https://{MAIL_HOST}/mobileconfig?email=x@example.com"])
    assert bad.stdout == "400"


def zone_mx(domain):
    """The MX of `domain`'s zone in the records file role dns_records wrote on the controller."""
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "dns", f"{DOMAIN}.zone")
    with open(path, encoding="utf-8") as f:
        zone = f.read().split(f"$ORIGIN {domain}.\n", 1)[1].split("$ORIGIN", 1)[0]
    return re.search(r"^@\s+IN\s+MX\s+\d+\s+(\S+)\.$", zone, re.MULTILINE).group(1)


@pytest.mark.parametrize("domain", [DOMAIN, FORMER])
def test_rfc8461_mta_sts_policy_served_for_each_domain(domain):
    """RFC 8461: a sending server fetches https://mta-sts.<domain>/.well-known/mta-sts.txt with SNI and a
    certificate valid for that name; the policy lists the MX of that domain's published zone."""
    r = sh(FRONT, CURL + ["-f", "-D", "-", f"https://mta-sts.{domain}/.well-known/mta-sts.txt"])
    assert r.rc == 0, r.stderr
    head, _, body = r.stdout.partition("\r\n\r\n")
    assert "content-type: text/plain" in head.lower()
    assert body.splitlines() == ["version: STSv1", "mode: testing", f"mx: {zone_mx(domain)}", "max_age: 604800"]
    assert zone_mx(domain) == MAIL_HOST


def test_rfc8461_the_policy_served_by_the_front_is_the_zones_and_names_the_mail_hosts_mx():
    """The policy the front serves is the one the zone announces (its id, RFC 8461 3.1: the first 20 hex digits
    of the policy's SHA-1, role dns_records), and each MX it lists is the mail host: from the front the name
    leads to the mail container, whose port 25 offers STARTTLS with a certificate valid for that name (RFC 8461
    4.1: what a sending server checks once it has the policy)."""
    policy = sh(FRONT, CURL + ["-f", f"https://mta-sts.{DOMAIN}/.well-known/mta-sts.txt"]).stdout
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "dns", f"{DOMAIN}.zone")
    with open(path, encoding="utf-8") as f:
        announced = re.search(r'^_mta-sts\s+IN\s+TXT\s+"v=STSv1; id=(\w+)"', f.read(), re.M).group(1)
    # (the role hashes the rendered template; whether its final newline counts does not matter)
    assert announced in {hashlib.sha1(t.encode()).hexdigest()[:20] for t in (policy, policy.rstrip("\n"))}
    listed = re.findall(r"^mx: (\S+)$", policy, re.M)
    assert listed == [MAIL_HOST]
    for mx in listed:
        assert resolved_on_front(mx) == addresses(MAIL), mx
        r = sh(FRONT, ["openssl", "s_client", "-starttls", "smtp", "-verify_return_error", "-verify_hostname", mx,
                       "-connect", f"{mx}:25", "-servername", mx], "QUIT")
        assert r.rc == 0 and "Verify return code: 0 (ok)" in r.stdout, r.stdout[-2000:] + r.stderr


def test_rfc8461_no_mta_sts_policy_is_a_404():
    """Without the policy file (role dns_records not run yet on this host) the web front answers 404 on
    every mta-sts. name, not an empty or stale policy."""
    policy = "/etc/congvu/dns/mta-sts.txt"
    assert FRONT.run(f"mv {policy} {policy}.away").rc == 0
    try:
        for domain in (DOMAIN, FORMER):
            url = f"https://mta-sts.{domain}/.well-known/mta-sts.txt"
            assert sh(FRONT, CURL + ["-o", "/dev/null", "-w", "%{http_code}", url]).stdout == "404", domain
    finally:
        assert FRONT.run(f"mv {policy}.away {policy}").rc == 0


# --- a change of domain (docs/reorganisation.md): the former domain's names on the same web front ---

@pytest.mark.parametrize("name", FORMER_NAMES)
def test_change_of_domain_certificate_covers_the_former_names(name):
    r = sh(FRONT, ["openssl", "s_client", "-verify_return_error", "-verify_hostname", name,
                   "-connect", "127.0.0.1:443", "-servername", name], "Q")
    assert r.rc == 0, r.stderr
    assert "Verify return code: 0 (ok)" in r.stdout


def test_change_of_domain_roundcube_on_the_mail_host_only():
    """Roundcube answers on the mail host (clients keep their settings); the former domain's names serve
    the client auto-configuration and the policy only."""
    page = sh(FRONT, CURL + ["-f", f"https://{MAIL_HOST}/"])
    assert page.rc == 0 and 'name="_user"' in page.stdout, page.stderr
    for name in FORMER_NAMES:
        r = sh(FRONT, CURL + ["-o", "/dev/null", "-w", "%{http_code}", f"https://{name}/"])
        assert r.stdout == "404", name


def test_change_of_domain_login_with_the_old_address_opens_the_mailbox(imap):
    """The old address is an alias of the mailbox: Roundcube logs in with it (Dovecot finds the alias)."""
    out = run_client(f"""
        rc = Roundcube()
        r = rc.login({OLD_ADDRESS!r}, {MAILBOXES["ready"][5]!r})
        print(json.dumps({{"env": env(r["body"])}}))
        """)
    assert out["env"].get("task") == "mail", out


def test_change_of_domain_apple_profile_for_the_old_address():
    r = sh(FRONT, CURL + ["-f", f"https://{MAIL_HOST}/mobileconfig?email={OLD_ADDRESS}"])
    assert r.rc == 0, r.stderr
    (account,) = plistlib.loads(r.stdout.encode())["PayloadContent"]
    assert account["EmailAddress"] == account["IncomingMailServerUsername"] == OLD_ADDRESS
    assert account["IncomingMailServerHostName"] == MAIL_HOST
