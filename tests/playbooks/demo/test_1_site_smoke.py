"""playbooks/site.yml on one all-in-one container: the demo host.

One smoke test per role in site.yml; each role's own scenario tests it in depth.
"""


def test_common(host):
    assert host.file("/etc/localtime").linked_to == "/usr/share/zoneinfo/Asia/Ho_Chi_Minh"
    assert "vi_VN.utf8" in host.check_output("locale -a").split()
    assert host.file("/var/log/congvu").mode == 0o750
    assert host.addr("mail.quangbinh.gov.vn").is_resolvable


def test_host_is_in_every_service_group(host):
    # the all-in-one host carries every service, as inventories/demo/hosts.yml has it
    groups = host.ansible.get_variables()["group_names"]
    assert {"mail", "directory", "mx", "imap", "webmail"} <= set(groups)


def test_directory(host):
    assert host.service("slapd").is_running
    assert host.socket("tcp://0.0.0.0:636").is_listening
    base = host.run("ldapsearch -Q -LLL -Y EXTERNAL -H ldapi:/// -s base -b dc=quangbinh,dc=gov,dc=vn dn")
    assert base.rc == 0 and "dn: dc=quangbinh,dc=gov,dc=vn" in base.stdout
