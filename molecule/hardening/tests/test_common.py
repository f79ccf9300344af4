"""Role `common` on a fresh Debian 12 container, in the scenario of role hardening, which applies it first (a
scenario of its own converged the same role on a container of its own: 117 s of `make test` for nothing more).

Each test fails when the feature it names is removed from the role.
"""

import pytest

testinfra_hosts = ["ansible://congvu-hardening"]

MAIL_FQDN = "mail.quangbinh.gov.vn"  # congvu__mail_host in inventories/demo/group_vars


@pytest.mark.parametrize("name", ["ca-certificates", "locales", "tzdata"])
def test_base_packages_installed(host, name):
    assert host.package(name).is_installed


def test_timezone_is_ho_chi_minh(host):
    localtime = host.file("/etc/localtime")
    assert localtime.is_symlink
    assert localtime.linked_to == "/usr/share/zoneinfo/Asia/Ho_Chi_Minh"
    assert host.file("/etc/timezone").content_string == "Asia/Ho_Chi_Minh\n"
    # UTC+7, no daylight saving
    assert host.check_output("date +%z") == "+0700"


def test_tzdata_debconf_answers_agree(host):
    # a tzdata upgrade reconfigures from these answers: they must not bring UTC back
    out = host.check_output("debconf-show tzdata")
    assert "tzdata/Areas: Asia" in out
    assert "tzdata/Zones/Asia: Ho_Chi_Minh" in out


@pytest.mark.parametrize("locale", ["vi_VN.utf8", "en_US.utf8"])
def test_locale_generated(host, locale):
    assert locale in host.check_output("locale -a").split()


def test_vietnamese_locale_usable(host):
    out = host.check_output("LC_ALL=vi_VN.UTF-8 date -d 2026-01-05 +%A")
    assert out == "Thứ hai"


def test_default_locale(host):
    assert "LANG=en_US.UTF-8" in host.file("/etc/default/locale").content_string.splitlines()


def test_fqdn_in_etc_hosts(host):
    entries = [line.split() for line in host.file("/etc/hosts").content_string.splitlines()]
    matching = [e for e in entries if e and not e[0].startswith("#") and MAIL_FQDN in e[1:]]
    assert len(matching) == 1, matching
    assert matching[0][1:] == [MAIL_FQDN, "mail"]
    assert host.addr(MAIL_FQDN).is_resolvable


def test_hostname_left_to_the_container_runtime(host):
    # in a container the role must not rename the host (the runtime owns it)
    assert host.check_output("hostname") != "mail"


def test_audit_log_directory(host):
    d = host.file("/var/log/congvu")
    assert d.is_directory
    assert d.user == "root"
    assert d.group == "adm"
    assert d.mode == 0o750


def test_journal_is_persistent(host):
    conf = host.file("/etc/systemd/journald.conf.d/congvu.conf")
    assert conf.contains("^Storage=persistent$")
    assert conf.contains("^SystemMaxUse=1G$")
    # journald was restarted by the handler and now writes to disk
    assert host.file("/var/log/journal").is_directory
    assert host.service("systemd-journald").is_running
