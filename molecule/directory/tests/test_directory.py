"""Role `directory` (OpenLDAP slapd 2.5) on a fresh Debian 12 container (molecule scenario `directory`).

Each test fails when the feature it names is removed from the role. The LDAP client tools run inside
the container (testinfra's host.run): over StartTLS/ldaps as the users and services would, and as
root on ldapi:// (SASL EXTERNAL, the rootdn) to set up and inspect. Tests that change state set their
own starting point through root first, so `molecule verify` can run again on the same instance.
The test mailboxes come from converge.yml (password Seed-pass1); admin1/admin2 from its role vars.
test_inactivity.py (the role inactivity, on this host too) runs after this file and puts these
mailboxes back when it is done.
"""

import base64
import calendar
import email
import email.policy
import hashlib
import os
import re
import shlex
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from ldaptools import ADMINS, AGENCIES, BASE, PEOPLE, ROOT, SYSTEM, attr_values, parse_ldif, sh  # noqa: E402
from ldaptools import root_search_ldif as root_search  # noqa: E402

CONFIG_DIR = "/etc/ldap/congvu"
CA_TRUST = "/usr/local/share/ca-certificates/congvu-directory-ca.crt"
STARTTLS = ["-x", "-ZZ", "-H", "ldap://localhost"]
SEED = "Seed-pass1"
OID_ARC = "2.25.199799154234286894661170690651591675280"


def person(uid):
    return f"uid={uid},{PEOPLE}"


def admin(uid):
    return f"uid={uid},{ADMINS}"


def service(name):
    return f"cn={name},{SYSTEM}"


def root_modify(host, ldif, relax=False):
    argv = ["ldapmodify", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///"] + (["-e", "relax"] if relax else [])
    r = sh(host, argv, stdin=ldif)
    assert r.rc == 0, r.stderr
    return r


def search_as(host, dn, pw, base, filt="(objectClass=*)", *attrs, scope="sub"):
    return sh(host, ["ldapsearch", "-LLL", "-o", "ldif-wrap=no", *STARTTLS, "-D", dn, "-w", pw,
                     "-s", scope, "-b", base, filt, *attrs])


def modify_as(host, dn, pw, ldif):
    return sh(host, ["ldapmodify", *STARTTLS, "-D", dn, "-w", pw], stdin=ldif)


def whoami(host, dn, pw, uri_args=STARTTLS):
    return sh(host, ["ldapwhoami", *uri_args, "-D", dn, "-w", pw])


def change_own_password(host, dn, old, new):
    return sh(host, ["ldappasswd", *STARTTLS, "-D", dn, "-w", old, "-a", old, "-s", new])


def set_password(host, dn, pw):
    """Root sets the password (which clears failures and lockout), then clears pwdReset and the
    password history (so that a second `molecule verify` may reuse the tests' passwords)."""
    r = sh(host, ["ldappasswd", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///", "-s", pw, dn])
    assert r.rc == 0, r.stderr
    root_modify(host, f"dn: {dn}\nchangetype: modify\nreplace: pwdReset\n-\nreplace: pwdHistory\n-\n", relax=True)


def secret(host, name):
    return host.file(f"{CONFIG_DIR}/{name}.secret").content_string


# --- service, listeners, TLS -------------------------------------------------------------------

def test_slapd_running_and_enabled(host):
    slapd = host.service("slapd")
    assert slapd.is_running
    assert slapd.is_enabled


@pytest.mark.parametrize("port", [389, 636])
def test_ports_listen(host, port):
    assert host.socket(f"tcp://0.0.0.0:{port}").is_listening


def test_debian_took_the_mail_domain_not_nodomain(host):
    assert f"dn: {BASE}" in root_search(host, BASE, scope="base")
    contexts = sh(host, ["ldapsearch", "-LLL", "-x", "-H", "ldapi:///", "-s", "base", "-b", "",
                         "namingContexts"]).stdout
    assert BASE in contexts
    assert "nodomain" not in contexts


@pytest.mark.parametrize("cafile", [CA_TRUST, "/etc/ssl/certs/ca-certificates.crt"])
def test_ldaps_speaks_tls_verified_by_the_generated_ca(host, cafile):
    r = host.run(f"openssl s_client -connect localhost:636 -servername localhost -CAfile {cafile} "
                 "-verify_return_error -brief </dev/null")
    assert r.rc == 0, r.stderr
    assert "Verification: OK" in r.stderr
    assert re.search(r"Protocol version: TLSv1\.[23]", r.stderr)


def test_tls_below_1_2_refused(host):
    # the client is allowed TLS 1.1 (SECLEVEL=0); the server's priority string refuses it
    r = host.run("openssl s_client -connect localhost:636 -tls1_1 -cipher DEFAULT@SECLEVEL=0 -brief </dev/null")
    assert r.rc != 0
    assert "Protocol version: TLSv1.1" not in r.stdout + r.stderr


def test_simple_bind_on_plain_389_refused(host):
    set_password(host, person("TT0002"), SEED)
    r = whoami(host, person("TT0002"), SEED, ["-x", "-H", "ldap://localhost"])
    assert r.rc == 13, r.stderr  # confidentialityRequired
    assert "onfidentiality required" in r.stderr


@pytest.mark.parametrize("uri_args", [STARTTLS, ["-x", "-H", "ldaps://localhost"]],
                         ids=["starttls-389", "ldaps-636"])
def test_simple_bind_with_tls_works(host, uri_args):
    set_password(host, person("TT0002"), SEED)
    r = whoami(host, person("TT0002"), SEED, uri_args)
    assert r.rc == 0, r.stderr
    assert r.stdout.strip() == f"dn:{person('TT0002')}"


def test_root_uses_ldapi_without_password(host):
    config = root_search(host, "cn=config", "(olcRootDN=*)", "olcRootDN", "olcRootPW", scope="one")
    assert "olcRootPW" not in config
    assert "gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth" in config


# --- anonymous, address book, modifications ----------------------------------------------------

@pytest.mark.parametrize("uri_args", [["-x", "-ZZ", "-H", "ldap://localhost"], ["-x", "-H", "ldapi:///"]],
                         ids=["starttls", "ldapi"])
def test_anonymous_reads_no_personal_data(host, uri_args):
    r = sh(host, ["ldapsearch", "-LLL", *uri_args, "-b", BASE, "(uid=*)", "userPassword", "mail", "cn"])
    assert "dn: uid=" not in r.stdout
    assert "userPassword" not in r.stdout
    assert "@quangbinh.gov.vn" not in r.stdout


def test_users_read_the_address_book_of_active_mailboxes_only(host):
    set_password(host, person("TT0002"), SEED)
    r = search_as(host, person("TT0002"), SEED, BASE, "(mail=*)", "cn", "mail", "title", "uid",
                  "congvuQuota", "userPassword")
    assert r.rc == 0, r.stderr
    entries = {block.splitlines()[0]: block for block in r.stdout.strip().split("\n\n")}
    tt1 = entries[f"dn: {person('TT0001')}"]
    assert "mail: annv.stttt@quangbinh.gov.vn" in tt1
    assert "title:" in tt1
    # not in the address list: the staff id, the quota, the password
    assert "uid:" not in tt1 and "congvuQuota" not in tt1 and "userPassword" not in tt1
    # a suspended mailbox is not in the address list
    assert f"dn: {person('TT0005')}" not in entries
    # agency mailboxes are
    assert "mail: stttt@quangbinh.gov.vn" in entries[f"dn: cn=stttt,{AGENCIES}"]


def test_user_cannot_modify_another_users_entry(host):
    set_password(host, person("TT0002"), SEED)
    r = modify_as(host, person("TT0002"), SEED,
                  f"dn: {person('TT0001')}\nchangetype: modify\nreplace: title\ntitle: hacked\n")
    assert r.rc == 50, r.stderr  # insufficientAccessRights
    r = sh(host, ["ldappasswd", *STARTTLS, "-D", person("TT0002"), "-w", SEED, "-s", "Other-pass9",
                  person("TT0001")])
    assert r.rc != 0


@pytest.mark.parametrize("ldif", ["replace: title\ntitle: boss\n", "replace: mail\nmail: boss@quangbinh.gov.vn\n",
                                  "replace: congvuState\ncongvuState: active\n",
                                  f"replace: pwdPolicySubentry\npwdPolicySubentry: cn=services,ou=policies,{BASE}\n"],
                         ids=["title", "mail", "state", "policy"])
def test_user_cannot_modify_own_entry_beyond_the_password(host, ldif):
    set_password(host, person("TT0002"), SEED)
    r = modify_as(host, person("TT0002"), SEED, f"dn: {person('TT0002')}\nchangetype: modify\n{ldif}")
    assert r.rc == 50, r.stderr


def test_user_changes_own_password(host):
    set_password(host, person("TT0002"), SEED)
    r = change_own_password(host, person("TT0002"), SEED, "Doi-matkhau7")
    assert r.rc == 0, r.stderr + r.stdout
    assert whoami(host, person("TT0002"), "Doi-matkhau7").rc == 0
    assert whoami(host, person("TT0002"), SEED).rc == 49
    stored = root_search(host, person("TT0002"), "(objectClass=*)", "userPassword", scope="base")
    value = base64.b64decode(attr_values(stored, "userPassword")[0])
    assert value.startswith(b"{ARGON2}$argon2")


@pytest.mark.parametrize("who", ["TT0002", "postfix", "dovecot", "roundcube", "reconcile", "backup"])
def test_password_hashes_hidden_from_all_but_administrators(host, who):
    if who.startswith("TT"):
        set_password(host, person(who), SEED)
        dn, pw = person(who), SEED
    else:
        dn, pw = service(who), secret(host, who)
    r = search_as(host, dn, pw, BASE, "(|(uid=TT0001)(uid=TT0002)(uid=admin1))", "userPassword", "pwdHistory")
    assert r.rc == 0, r.stderr
    assert "userPassword" not in r.stdout
    assert "pwdHistory" not in r.stdout


def test_administrators_read_password_hashes(host):
    set_password(host, admin("admin1"), "Quantri-Mot-2026!")
    r = search_as(host, admin("admin1"), "Quantri-Mot-2026!", PEOPLE, "(uid=TT0001)", "userPassword")
    assert r.rc == 0, r.stderr
    assert "userPassword::" in r.stdout


# --- password policy (Art. 8) ------------------------------------------------------------------

@pytest.mark.parametrize("weak,why", [("abc1234", "character classes"), ("ABCDEFG1", "character classes"),
                                      ("Ab1-x", "")], ids=["2-classes", "2-classes-upper", "too-short"])
def test_weak_user_password_refused(host, weak, why):
    set_password(host, person("TT0002"), SEED)
    r = change_own_password(host, person("TT0002"), SEED, weak)
    assert r.rc != 0
    assert "Constraint violation" in r.stdout + r.stderr
    assert why in r.stdout + r.stderr
    # and through a plain modify with the cleartext value (not the password-modify operation)
    r = modify_as(host, person("TT0002"), SEED,
                  f"dn: {person('TT0002')}\nchangetype: modify\nreplace: userPassword\nuserPassword: {weak}\n")
    assert r.rc != 0
    assert whoami(host, person("TT0002"), SEED).rc == 0


@pytest.mark.parametrize("good", ["short1A", "Ánh-tuyết", "mật khẩu 7"], ids=["7-ascii", "vietnamese", "spaces"])
def test_user_password_of_7_characters_and_3_classes_accepted(host, good):
    set_password(host, person("TT0002"), SEED)
    r = change_own_password(host, person("TT0002"), SEED, good)
    assert r.rc == 0, r.stdout + r.stderr
    assert whoami(host, person("TT0002"), good).rc == 0


def test_admin_password_rules(host):
    a1, a2 = "Quantri-Mot-2026!", "Quantri-Hai-2026!"
    set_password(host, admin("admin1"), a1)
    set_password(host, admin("admin2"), a2)
    # 13 characters, 3 classes: enough for a user, not for an administrator
    r = change_own_password(host, admin("admin1"), a1, "Abcdefgh1-xyz")
    assert r.rc != 0 and "Constraint violation" in r.stdout + r.stderr
    # 14 characters but only 2 classes
    r = change_own_password(host, admin("admin1"), a1, "abcdefghijklmn")
    assert r.rc != 0 and "Constraint violation" in r.stdout + r.stderr
    # the password of another administrator
    r = change_own_password(host, admin("admin1"), a1, a2)
    assert r.rc != 0
    assert "another administrator" in r.stdout + r.stderr
    # 14 characters, 3 classes, nobody else's
    r = change_own_password(host, admin("admin1"), a1, "Abcdefgh1-xyzw")
    assert r.rc == 0, r.stdout + r.stderr
    assert whoami(host, admin("admin1"), "Abcdefgh1-xyzw").rc == 0
    # an administrator resetting another administrator is checked the same way
    r = sh(host, ["ldappasswd", *STARTTLS, "-D", admin("admin1"), "-w", "Abcdefgh1-xyzw", "-s", "Abcdefgh1-xyzw",
                  admin("admin2")])
    assert r.rc != 0
    assert "another administrator" in r.stdout + r.stderr
    assert whoami(host, admin("admin2"), a2).rc == 0


def test_admin_resetting_a_user_is_quality_checked(host):
    set_password(host, admin("admin1"), "Quantri-Mot-2026!")
    r = sh(host, ["ldappasswd", *STARTTLS, "-D", admin("admin1"), "-w", "Quantri-Mot-2026!", "-s", "abc1234",
                  person("TT0001")])
    assert r.rc != 0 and "Constraint violation" in r.stdout + r.stderr


def test_admin_passwords_expire_after_30_days(host):
    policy = root_search(host, f"cn=admins,ou=policies,{BASE}", "(objectClass=*)", scope="base")
    assert "pwdMaxAge: 2592000" in policy
    assert "pwdMinLength: 14" in policy
    for uid in ("admin1", "admin2"):
        entry = root_search(host, admin(uid), "(objectClass=*)", "pwdPolicySubentry", scope="base")
        assert f"pwdPolicySubentry: cn=admins,ou=policies,{BASE}" in entry
    set_password(host, admin("admin2"), "Quantri-Hai-2026!")
    assert whoami(host, admin("admin2"), "Quantri-Hai-2026!").rc == 0
    old = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(time.time() - 31 * 86400))
    root_modify(host, f"dn: {admin('admin2')}\nchangetype: modify\nreplace: pwdChangedTime\npwdChangedTime: {old}\n",
                relax=True)
    assert whoami(host, admin("admin2"), "Quantri-Hai-2026!").rc == 49
    set_password(host, admin("admin2"), "Quantri-Hai-2026!")


def test_new_administrators_get_a_root_only_initial_password(host):
    for uid in ("admin1", "admin2"):
        f = host.file(f"{CONFIG_DIR}/admins/{uid}.initial")
        assert f.exists and f.user == "root" and f.mode == 0o600
        assert len(f.content_string) >= 14
    group = root_search(host, f"cn=administrators,ou=groups,{BASE}", "(objectClass=*)", "member", scope="base")
    assert f"member: {admin('admin1')}" in group and f"member: {admin('admin2')}" in group


def test_reset_by_the_reconcile_is_checked_and_forces_a_change(host):
    rec = (service("reconcile"), secret(host, "reconcile"))
    set_password(host, person("TT0006"), SEED)
    weak = f"dn: {person('TT0006')}\nchangetype: modify\nreplace: userPassword\nuserPassword: abc1234\n"
    assert modify_as(host, *rec, weak).rc != 0
    reset = (f"dn: {person('TT0006')}\nchangetype: modify\nreplace: userPassword\nuserPassword: Khoi-tao-2026\n-\n"
             "replace: pwdReset\npwdReset: TRUE\n")
    r = modify_as(host, *rec, reset)
    assert r.rc == 0, r.stderr
    # stored hashed (olcPPolicyHashCleartext), never in clear
    stored = root_search(host, person("TT0006"), "(objectClass=*)", "userPassword", scope="base")
    assert "Khoi-tao-2026" not in stored
    # the user may bind but do nothing before changing the password
    r = search_as(host, person("TT0006"), "Khoi-tao-2026", PEOPLE, "(uid=TT0001)", "mail")
    assert r.rc == 50, r.stdout + r.stderr
    assert change_own_password(host, person("TT0006"), "Khoi-tao-2026", "Mat-khau-moi6").rc == 0
    assert search_as(host, person("TT0006"), "Mat-khau-moi6", PEOPLE, "(uid=TT0001)", "mail").rc == 0


def ssha512(password):
    """{SSHA512} as slapd's pw-sha2 module reads it: base64(SHA-512(password + salt) + salt)."""
    salt = os.urandom(16)
    return "{SSHA512}" + base64.b64encode(hashlib.sha512(password.encode() + salt).digest() + salt).decode()


def new_person_ldif(uid, password_value):
    return (f"dn: {person(uid)}\nobjectClass: inetOrgPerson\nobjectClass: congvuMailbox\nuid: {uid}\n"
            f"cn: Thử Nghiệm\nsn: Thử\nmail: {uid.lower()}.test@quangbinh.gov.vn\ncongvuState: active\n"
            f"userPassword: {password_value}\npwdReset: TRUE\n")


def test_art4_reconcile_creates_a_mailbox_with_a_prehashed_one_time_password(host):
    rec = (service("reconcile"), secret(host, "reconcile"))
    sh(host, ["ldapdelete", *ROOT, person("TT9101")])
    initial = "Kh7#tq-Vm2@xRp9z"  # 16 random characters, as passwords.generate makes them
    r = sh(host, ["ldapadd", *STARTTLS, "-D", rec[0], "-w", rec[1]], stdin=new_person_ldif("TT9101", ssha512(initial)))
    assert r.rc == 0, r.stderr
    stored = base64.b64decode(attr_values(root_search(host, person("TT9101"), "(objectClass=*)", "userPassword",
                                                      scope="base"), "userPassword")[0])
    assert stored.startswith(b"{SSHA512}")  # taken as sent: slapd did not hash it again
    # Art. 4.3: the owner logs in with it, may only change it, and the new one is stored with argon2
    r = search_as(host, person("TT9101"), initial, PEOPLE, "(uid=TT0001)", "mail")
    assert r.rc == 50, r.stdout + r.stderr
    assert change_own_password(host, person("TT9101"), initial, "abc1234").rc != 0  # Art. 8 still applies
    assert change_own_password(host, person("TT9101"), initial, "Mat-khau-rieng8").rc == 0
    stored = base64.b64decode(attr_values(root_search(host, person("TT9101"), "(objectClass=*)", "userPassword",
                                                      scope="base"), "userPassword")[0])
    assert stored.startswith(b"{ARGON2}$argon2")
    sh(host, ["ldapdelete", *ROOT, person("TT9101")])


def test_art8_prehashed_password_refused_on_every_other_path(host):
    rec = (service("reconcile"), secret(host, "reconcile"))
    weak = ssha512("abc")
    set_password(host, person("TT0006"), SEED)
    # the reconcile on an existing mailbox (a reset must send cleartext, which slapd checks)
    replace = f"dn: {person('TT0006')}\nchangetype: modify\nreplace: userPassword\nuserPassword: {weak}\n"
    r = modify_as(host, *rec, replace)
    assert r.rc == 19, r.stdout + r.stderr  # constraintViolation
    # the user on the own entry
    r = modify_as(host, person("TT0006"), SEED, replace)
    assert r.rc == 19, r.stdout + r.stderr
    assert whoami(host, person("TT0006"), SEED).rc == 0
    # an administrator creating a mailbox
    set_password(host, admin("admin1"), "Quantri-Mot-2026!")
    sh(host, ["ldapdelete", *ROOT, person("TT9102")])
    r = sh(host, ["ldapadd", *STARTTLS, "-D", admin("admin1"), "-w", "Quantri-Mot-2026!"],
           stdin=new_person_ldif("TT9102", weak))
    assert r.rc == 19, r.stdout + r.stderr
    assert "TT9102" not in root_search(host, PEOPLE, "(uid=TT9102)", "uid")


def test_pwcheck_module_installed_from_its_package_and_used(host):
    module = host.file("/usr/lib/ldap/congvu_pwcheck.so")
    assert module.exists and module.user == "root" and module.mode == 0o644
    # the Debian package built on the controller owns it, and apt knows its dependencies
    assert host.package("congvu-pwcheck").is_installed
    owner = host.run("dpkg -S /usr/lib/ldap/congvu_pwcheck.so")
    assert owner.rc == 0 and owner.stdout.startswith("congvu-pwcheck:"), owner.stdout + owner.stderr
    depends = host.run("dpkg-query -W -f '${Depends}' congvu-pwcheck").stdout
    assert "libldap-2.5-0" in depends and "slapd" in depends
    for cn in ("users", "admins"):
        policy = root_search(host, f"cn={cn},ou=policies,{BASE}", "(objectClass=*)", scope="base")
        assert "pwdCheckModule: /usr/lib/ldap/congvu_pwcheck.so" in policy
        assert "pwdCheckQuality: 2" in policy


def test_no_compiler_on_the_directory_host(host):
    for package in ("gcc", "libldap-dev"):
        assert not host.package(package).is_installed, package
    assert host.run("command -v cc gcc").rc != 0


# --- last bind, lockout, audit -----------------------------------------------------------------

def test_last_successful_bind_recorded(host):
    set_password(host, person("TT0004"), SEED)  # a password change removes pwdLastSuccess
    assert "pwdLastSuccess" not in root_search(host, person("TT0004"), "(objectClass=*)", "pwdLastSuccess",
                                               scope="base")
    before = host.check_output("date -u +%Y%m%d%H%M%S")
    assert whoami(host, person("TT0004"), SEED).rc == 0
    values = attr_values(root_search(host, person("TT0004"), "(objectClass=*)", "pwdLastSuccess", scope="base"),
                         "pwdLastSuccess")
    assert len(values) == 1
    assert values[0][:14] >= before


def test_failed_binds_lock_the_account(host):
    set_password(host, person("TT0003"), SEED)
    for _ in range(5):
        assert whoami(host, person("TT0003"), "wrong-Pass1").rc == 49
    assert whoami(host, person("TT0003"), SEED).rc == 49  # right password, locked
    entry = root_search(host, person("TT0003"), "(objectClass=*)", "pwdAccountLockedTime", scope="base")
    assert "pwdAccountLockedTime:" in entry
    set_password(host, person("TT0003"), SEED)  # an administrator's reset unlocks
    assert whoami(host, person("TT0003"), SEED).rc == 0


def test_audit_trail_records_who_changed_what(host):
    set_password(host, admin("admin1"), "Quantri-Mot-2026!")
    stamp = f"audit-{int(time.time())}"
    r = modify_as(host, admin("admin1"), "Quantri-Mot-2026!",
                  f"dn: {person('TT0001')}\nchangetype: modify\nreplace: title\ntitle: {stamp}\n")
    assert r.rc == 0, r.stderr
    log = root_search(host, "cn=accesslog", f"(&(reqType=modify)(reqDN={person('TT0001')}))",
                      "reqStart", "reqAuthzID", "reqMod")
    records = [b for b in log.split("\n\n") if f"reqMod: title:= {stamp}" in b]
    assert len(records) == 1, log
    assert f"reqAuthzID: {admin('admin1')}" in records[0]
    assert re.search(r"reqStart: \d{14}\.\d{6}Z", records[0])
    # a password change is logged with its author too
    set_password(host, person("TT0002"), SEED)
    assert change_own_password(host, person("TT0002"), SEED, "Nhat-ky-2026").rc == 0
    log = root_search(host, "cn=accesslog",
                      f"(&(reqType=modify)(reqDN={person('TT0002')})(reqAuthzID={person('TT0002')}))", "reqMod")
    assert "pwdChangedTime:=" in log


def test_audit_trail_readable_by_administrators_and_backup_only(host):
    set_password(host, person("TT0002"), SEED)
    set_password(host, admin("admin1"), "Quantri-Mot-2026!")
    for dn, pw in [(person("TT0002"), SEED), (service("postfix"), secret(host, "postfix")),
                   (service("reconcile"), secret(host, "reconcile"))]:
        r = search_as(host, dn, pw, "cn=accesslog", "(reqType=modify)", "reqDN")
        assert "reqDN" not in r.stdout, dn
    backup = search_as(host, service("backup"), secret(host, "backup"), "cn=accesslog",
                       f"(reqDN={person('TT0002')})", "reqMod")
    assert "pwdChangedTime:=" in backup.stdout
    assert not re.search(r"^reqMod::? *(dXNlclBhc3N3b3Jk|userPassword)", backup.stdout, re.M), "hash leaked to backup"
    admins = search_as(host, admin("admin1"), "Quantri-Mot-2026!", "cn=accesslog",
                       f"(reqDN={person('TT0002')})", "reqMod")
    assert re.search(r"^reqMod:: dXNlclBhc3N3b3Jk", admins.stdout, re.M)  # base64 of "userPassword"


def test_audit_trail_purged_after_the_configured_age(host):
    overlay = root_search(host, "cn=config", "(objectClass=olcAccessLogConfig)")
    assert "olcAccessLogPurge: 180+00:00 01+00:00" in overlay
    assert "olcAccessLogOps: writes" in overlay


# --- schema, indexes ---------------------------------------------------------------------------

def test_schema_accepts_a_full_mailbox_as_documented(host):
    dn = person("TT9001")
    sh(host, ["ldapdelete", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///", dn])
    ldif = f"""dn: {dn}
objectClass: inetOrgPerson
objectClass: congvuMailbox
uid: TT9001
cn: Nguyễn Thị Ánh Tuyết
displayName: Nguyễn Thị Ánh Tuyết
sn: Nguyễn
givenName: Ánh Tuyết
mail: anhtuyetnt.stttt@quangbinh.gov.vn
title: Phó Giám đốc
departmentNumber: stttt
congvuState: active
congvuLeader: TRUE
congvuQuota: 5368709120
congvuQuotaDecision: 123/QĐ-UBND
congvuGivenName: Ánh Tuyết
congvuAlias: anhtuyetnt.snv@quangbinh.gov.vn
congvuAliasExpiry: anhtuyetnt.snv@quangbinh.gov.vn 2027-03-01
congvuAddressHistory: anhtuyetnt.snv@quangbinh.gov.vn
congvuAddressHistory: anhtuyetnt.stttt@quangbinh.gov.vn
userPassword: Seed-pass1
"""
    r = sh(host, ["ldapadd", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///"], stdin=ldif)
    assert r.rc == 0, r.stderr
    entry = root_search(host, dn, "(congvuAlias=anhtuyetnt.snv@quangbinh.gov.vn)", scope="base")
    assert "congvuLeader: TRUE" in entry and "congvuQuota: 5368709120" in entry
    sh(host, ["ldapdelete", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///", dn])
    # congvuState is required
    r = sh(host, ["ldapadd", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///"],
           stdin=ldif.replace("congvuState: active\n", ""))
    assert r.rc == 65, r.stderr  # objectClassViolation


def test_schema_accepts_a_full_agency_mailbox(host):
    dn = f"cn=sxd,{AGENCIES}"
    sh(host, ["ldapdelete", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///", dn])
    ldif = f"""dn: {dn}
objectClass: congvuAgencyMailbox
cn: sxd
mail: sxd@quangbinh.gov.vn
description: Sở Xây dựng
congvuKind: department
congvuHead: {person('TT0001')}
congvuDelegate: {person('TT0002')}
congvuDelegate: {person('TT0003')}
congvuState: active
"""
    r = sh(host, ["ldapadd", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///"], stdin=ldif)
    assert r.rc == 0, r.stderr
    found = root_search(host, AGENCIES, f"(congvuDelegate={person('TT0003')})", "cn")
    assert "cn: sxd" in found
    sh(host, ["ldapdelete", "-Q", "-Y", "EXTERNAL", "-H", "ldapi:///", dn])


def test_schema_oids_under_the_uuid_arc(host):
    schema = root_search(host, "cn=schema,cn=config", "(cn=*}congvu)", "olcAttributeTypes", "olcObjectClasses",
                         scope="one")
    oids = re.findall(r"\(\s*([0-9.]+)\s+NAME", schema)
    assert len(oids) == 15  # 13 attribute types (congvuDelegateOf the last), 2 object classes
    assert all(oid.startswith(OID_ARC + ".") for oid in oids)


@pytest.mark.parametrize("attr", ["uid", "mail", "congvuAlias", "congvuState", "departmentNumber", "congvuHead",
                                  "congvuDelegate", "objectClass", "cn", "pwdLastSuccess"])
def test_indexed(host, attr):
    db = root_search(host, "cn=config", f"(olcSuffix={BASE})", "olcDbIndex", scope="one")
    assert re.search(rf"^olcDbIndex: {attr} eq", db, re.M), db


def test_configuration_passes_slaptest(host):
    assert host.run("slaptest -Q -u -F /etc/ldap/slapd.d").rc == 0


# --- service accounts --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["postfix", "dovecot", "roundcube", "reconcile", "backup"])
def test_service_secret_root_only_and_binds(host, name):
    f = host.file(f"{CONFIG_DIR}/{name}.secret")
    assert f.user == "root" and f.group == "root" and f.mode == 0o600
    assert len(f.content_string) >= 32
    r = sh(host, ["ldapwhoami", *STARTTLS, "-D", service(name), "-y", f"{CONFIG_DIR}/{name}.secret"])
    assert r.rc == 0, r.stderr
    # never in the logs
    assert host.run(f"journalctl --no-pager | grep -cF {shlex.quote(f.content_string)}").stdout.strip() == "0"


def test_read_only_services_read_what_they_need_and_write_nothing(host):
    pf = (service("postfix"), secret(host, "postfix"))
    r = search_as(host, *pf, BASE, "(mail=hadtt.stttt@quangbinh.gov.vn)", "uid", "mail", "congvuState",
                  "congvuQuota")
    assert r.rc == 0 and "uid: TT0002" in r.stdout and "congvuState: active" in r.stdout
    assert "congvuQuota" not in r.stdout  # Dovecot's business, not Postfix's
    r = search_as(host, *pf, AGENCIES, "(cn=stttt)", "congvuDelegate")
    assert f"congvuDelegate: {person('TT0002')}" in r.stdout
    r = modify_as(host, *pf, f"dn: {person('TT0001')}\nchangetype: modify\nreplace: congvuState\ncongvuState: active\n")
    assert r.rc == 50


def test_reconcile_writes_people_and_agencies_only(host):
    rec = (service("reconcile"), secret(host, "reconcile"))
    r = modify_as(host, *rec, f"dn: {person('TT0001')}\nchangetype: modify\nreplace: title\ntitle: Chuyên viên\n")
    assert r.rc == 0, r.stderr
    r = modify_as(host, *rec,
                  f"dn: cn=stttt,{AGENCIES}\nchangetype: modify\nreplace: congvuKind\ncongvuKind: department\n")
    assert r.rc == 0, r.stderr
    r = modify_as(host, *rec, f"dn: {admin('admin1')}\nchangetype: modify\nreplace: sn\nsn: X\n")
    assert r.rc == 50
    r = modify_as(host, *rec, f"dn: cn=administrators,ou=groups,{BASE}\nchangetype: modify\nadd: member\n"
                              f"member: {service('reconcile')}\n")
    assert r.rc == 50
    # but not which password policy applies to a person (the services policy has no lockout, Art. 8)
    r = modify_as(host, *rec, f"dn: {person('TT0001')}\nchangetype: modify\nreplace: pwdPolicySubentry\n"
                              f"pwdPolicySubentry: cn=services,ou=policies,{BASE}\n")
    assert r.rc == 50, r.stderr
    # it reads everything under ou=people it manages, beyond the default size limit
    r = search_as(host, *rec, PEOPLE, "(objectClass=congvuMailbox)", "pwdLastSuccess", "congvuQuota")
    assert r.rc == 0 and "congvuQuota" in r.stdout


def test_backup_reads_everything_but_hashes(host):
    r = search_as(host, service("backup"), secret(host, "backup"), BASE, "(objectClass=*)", "*", "+")
    assert r.rc == 0, r.stderr
    for dn in (person("TT0005"), admin("admin1"), f"cn=users,ou=policies,{BASE}", service("postfix")):
        assert f"dn: {dn}" in r.stdout
    assert "congvuQuota:" in r.stdout
    assert not re.search(r"^(userPassword|pwdHistory):", r.stdout, re.M | re.I)


# --- the regulation as a profile (docs/profiles.md) ----------------------------------------------

def converge(profile):
    """The scenario's converge.yml again, as an operator switches the inventory's congvu__profile."""
    argv = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
            os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml"),
            "-e", f"congvu__profile={profile}"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return proc.stdout


def users_policy(host):
    return root_search(host, f"cn=users,ou=policies,{BASE}", "(objectClass=*)", scope="base")


def plan_switch(profile, plan_file):
    """playbooks/profile_plan.yml: what switching to `profile` changes, counted in this directory."""
    argv = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
            os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks", "profile_plan.yml"),
            "-e", f"congvu__profile={profile}", "-e", f"profile_plan_file={plan_file}"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    with open(plan_file, encoding="utf-8") as handle:
        return {line.split("`")[1]: [cell.strip() for cell in line.strip().strip("|").split("|")]
                for line in handle if line.startswith("| `")}


NOTICES = "/var/spool/congvu/password-notices"


def test_a_stricter_profile_refuses_an_8_character_password_and_locks_nobody_out(host, tmp_path):
    eight = "Tam-ky1x"
    set_password(host, person("TT0004"), SEED)
    assert change_own_password(host, person("TT0004"), SEED, eight).rc == 0  # Quảng Bình: 7 is enough
    # a password set 200 days ago: Ninh Bình's 6 months would expire it at once
    set_password(host, person("TT0006"), SEED)
    old = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(time.time() - 200 * 86400))
    root_modify(host, f"dn: {person('TT0006')}\nchangetype: modify\nreplace: pwdChangedTime\n"
                      f"pwdChangedTime: {old}\n", relax=True)
    # the plan of the switch, before it: each rule that changes, and the mailboxes it concerns
    rows = plan_switch("ninhbinh-2025", str(tmp_path / "profile-plan.md"))
    assert set(rows) == {"passwords.user.min_length", "passwords.user.max_age_days", "lockout.max_failures",
                         "mailbox.attachment_mb", "addresses.sub_units"}
    assert rows["passwords.user.max_age_days"][-1] == "1"  # TT0006's clock restarts, nobody else's
    assert rows["passwords.user.min_length"][1:3] == ["7", "9"]
    try:
        out = converge("ninhbinh-2025")
        assert "restarted 1 password clock(s) of users" in out
        # TT0006 is told by mail (docs/profiles.md); this host has no sendmail: the notice waits in the spool
        assert "sent 0, kept 1" in out
        mail = attr_values(root_search(host, person("TT0006"), "(objectClass=*)", "mail", scope="base"), "mail")[0]
        assert host.run(f"ls {NOTICES}").stdout.split() == [f"{time.strftime('%Y-%m-%d')}-{mail}.eml"]
        notice = email.message_from_string(host.run(f"cat {NOTICES}/*.eml").stdout, policy=email.policy.default)
        assert notice["To"].addresses[0].addr_spec == mail
        last_day = time.strftime("%d/%m/%Y", time.localtime(time.time() + 29 * 86400))
        assert str(notice["Subject"]) == f"Mật khẩu của hộp thư {mail} phải được đổi chậm nhất ngày {last_day}"
        body = notice.get_content()
        assert "áp dụng QĐ 162/2025/QĐ-UBND (Ninh Bình)" in body and "có ít nhất 9 ký tự" in body
        assert "ít nhất 180 ngày một lần" in body
        policy = users_policy(host)
        assert "pwdMinLength: 9" in policy and "pwdMaxAge: 15552000" in policy and "pwdMaxFailure: 12" in policy
        described = parse_ldif(policy)[f"cn=users,ou=policies,{BASE}"]["description"][0]
        assert "QĐ 162/2025/QĐ-UBND (Ninh Bình)" in described and ">= 9 characters" in described
        # nobody is locked out at once: the 8 characters set before still open the mailbox, and the
        # 200-day-old password has the notice period (30 days) before it expires
        assert whoami(host, person("TT0004"), eight).rc == 0
        assert whoami(host, person("TT0006"), SEED).rc == 0
        changed = attr_values(root_search(host, person("TT0006"), "(objectClass=*)", "pwdChangedTime",
                                          scope="base"), "pwdChangedTime")[0]
        expires = calendar.timegm(time.strptime(changed, "%Y%m%d%H%M%SZ")) + 180 * 86400
        assert 29 * 86400 < expires - time.time() <= 30 * 86400
        # the stricter rule applies at the next change
        set_password(host, person("TT0002"), SEED)
        r = change_own_password(host, person("TT0002"), SEED, "Tam-ky2x")
        assert r.rc != 0 and "Constraint violation" in r.stdout + r.stderr
        assert change_own_password(host, person("TT0002"), SEED, "Chin-ky3xy").rc == 0
        assert "ninhbinh-2025" in host.file("/etc/ldap/congvu/profile.json").content_string
        # a re-run with the same profile restarts no clock again, and changes nothing at all: the
        # scenario's no-change proof under a profile the demo does not use (the default sequence has no
        # idempotence step, .config/molecule/config.yml)
        again = converge("ninhbinh-2025")
        assert "restarted" not in again
        recap = again.split("PLAY RECAP")[-1]
        assert re.search(r"\bchanged=0\b", recap) and not re.search(r"\bchanged=[1-9]", recap), recap
    finally:
        converge("quangbinh-2015")
        host.run(f"rm -rf {NOTICES}")
    policy = users_policy(host)
    assert "pwdMinLength: 7" in policy and "pwdMaxAge: 0" in policy and "pwdMaxFailure: 5" in policy
